output "rule_arn" {
  description = "ARN of the EventBridge rule matching the groups' termination lifecycle actions."
  value       = aws_cloudwatch_event_rule.terminate.arn
}

output "rule_name" {
  description = "Name of the EventBridge rule (dimension RuleName of its AWS/Events metrics)."
  value       = aws_cloudwatch_event_rule.terminate.name
}

output "connection_arn" {
  description = "ARN of the EventBridge connection to AWX."
  value       = aws_cloudwatch_event_connection.awx.arn
}

output "connection_name" {
  description = "Name of the EventBridge connection to AWX, whose token awx/configure.yml sets (events:UpdateConnection)."
  value       = aws_cloudwatch_event_connection.awx.name
}

output "connection_secret_arn" {
  description = "ARN of the Secrets Manager secret EventBridge keeps the connection's credentials in."
  value       = aws_cloudwatch_event_connection.awx.secret_arn
}

output "api_destination_arn" {
  description = "ARN of the API destination that launches the decommission job template."
  value       = aws_cloudwatch_event_api_destination.decommission.arn
}

output "launch_url" {
  description = "AWX URL the API destination posts to (the job template's named launch URL)."
  value       = local.launch_url
}

output "dlq_url" {
  description = "URL of the dead-letter queue of launches AWX never accepted."
  value       = aws_sqs_queue.dlq.id
}

output "dlq_arn" {
  description = "ARN of the dead-letter queue."
  value       = aws_sqs_queue.dlq.arn
}

output "events_role_arn" {
  description = "ARN of the role EventBridge assumes to invoke the API destination."
  value       = aws_iam_role.events.arn
}
