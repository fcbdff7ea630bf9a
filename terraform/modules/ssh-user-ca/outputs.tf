output "secret_arn" {
  description = "ARN of the secret holding the CA's private key (the converge reads it to sign its login certificate)."
  value       = aws_secretsmanager_secret.user_ca.arn
}

output "secret_name" {
  description = "Name of the secret holding the CA's private key."
  value       = aws_secretsmanager_secret.user_ca.name
}

output "host_access" {
  description = "What the hosts' user data needs: the login user, the CA's public keys it trusts and the principals it accepts."
  value = {
    user                = var.user
    user_ca_public_keys = var.public_keys
    principals          = [local.principal]
  }
}

output "user" {
  description = "The login user on every host."
  value       = var.user
}

output "principal" {
  description = "The principal a login certificate must name for this environment's hosts."
  value       = local.principal
}
