# The SSH user CA of an environment: hosts trust certificates it signs (its public keys are in
# their user data); AWX and operators log in with short-lived certificates signed with its private
# key, which lives in this secret and nowhere else. Nothing here generates the key: its private
# half never passes through Terraform state (see README.md for the bootstrap).
locals {
  principal = "dataplatform-${var.environment}"
}

resource "aws_secretsmanager_secret" "user_ca" {
  #checkov:skip=CKV2_AWS_57:A CA key is rotated by adding the new public key to ssh_user_ca_public_keys (hosts trust both) and uploading its private key; a rotation Lambda cannot change what the hosts trust.
  name                    = "dataplatform/${var.environment}/ssh/user-ca"
  description             = "OpenSSH private key of the ${var.environment} SSH user CA (signs AWX's and operators' short-lived login certificates)."
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.recovery_window_in_days
  tags                    = var.tags
}
