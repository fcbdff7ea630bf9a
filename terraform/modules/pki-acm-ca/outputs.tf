output "arn" {
  description = "ARN of the environment's root CA, available once the CA is active (its certificate installed)."
  value       = aws_acmpca_certificate_authority_certificate.root.certificate_authority_arn
}

output "usage_mode" {
  description = "Usage mode of the CA (GENERAL_PURPOSE or SHORT_LIVED_CERTIFICATE)."
  value       = aws_acmpca_certificate_authority.root.usage_mode
}

output "certificate_pem" {
  description = "The root CA certificate (PEM), the trust anchor of the environment."
  value       = aws_acmpca_certificate_authority_certificate.root.certificate
}

output "crl_enabled" {
  description = "Whether the CA publishes a certificate revocation list."
  value       = var.crl_bucket_name != null
}
