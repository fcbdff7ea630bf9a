output "bucket_names" {
  description = "Bucket name by purpose: bronze, silver, gold, artifacts, dags, logs, truststore."
  value       = { for purpose, bucket in aws_s3_bucket.platform : purpose => bucket.id }
}

output "bucket_arns" {
  description = "Bucket ARN by purpose: bronze, silver, gold, artifacts, dags, logs, truststore."
  value       = { for purpose, bucket in aws_s3_bucket.platform : purpose => bucket.arn }
}

output "access_log_bucket_name" {
  description = "Bucket that receives the S3 server access logs (SSE-S3), for other modules' log buckets (available once its policy admits log delivery)."
  value       = aws_s3_bucket_policy.access_logs.bucket
}

output "crl_bucket_name" {
  description = "The truststore bucket's name, for the private CA's CRL: known only once the bucket's policy (which lets the CA write its CRL) and public access block exist, so a CA that names it is created after them."
  value       = aws_s3_bucket_policy.platform["truststore"].bucket
  depends_on  = [aws_s3_bucket_public_access_block.platform]
}
