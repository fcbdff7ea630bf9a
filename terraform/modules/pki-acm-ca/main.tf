data "aws_partition" "current" {}

resource "aws_acmpca_certificate_authority" "root" {
  type                            = "ROOT"
  usage_mode                      = var.usage_mode
  permanent_deletion_time_in_days = var.permanent_deletion_time_in_days
  tags                            = var.tags

  certificate_authority_configuration {
    key_algorithm     = var.key_algorithm
    signing_algorithm = var.signing_algorithm

    subject {
      common_name         = var.common_name
      organization        = var.organization
      organizational_unit = "dataplatform ${var.environment}"
      country             = var.country
    }
  }

  revocation_configuration {
    crl_configuration {
      enabled            = var.crl_bucket_name != null
      s3_bucket_name     = var.crl_bucket_name
      expiration_in_days = var.crl_bucket_name != null ? var.crl_expiration_in_days : null
      # The bucket keeps Block Public Access on: the CRL object stays private and is read
      # through the bucket's own access rules (NiFi itself checks no CRL; see README).
      s3_object_acl = var.crl_bucket_name != null ? "BUCKET_OWNER_FULL_CONTROL" : null
    }
  }

  # Every node, service and user certificate chains to it: a new CA means reissuing all of them.
  lifecycle {
    prevent_destroy = true
  }
}

# The root CA signs its own certificate: ACM Private CA issues it from the CA's CSR with the
# root template, and the CA becomes ACTIVE once that certificate is installed.
resource "aws_acmpca_certificate" "root" {
  certificate_authority_arn   = aws_acmpca_certificate_authority.root.arn
  certificate_signing_request = aws_acmpca_certificate_authority.root.certificate_signing_request
  signing_algorithm           = var.signing_algorithm
  template_arn                = "arn:${data.aws_partition.current.partition}:acm-pca:::template/RootCACertificate/V1"

  validity {
    type  = "YEARS"
    value = var.validity_years
  }
}

resource "aws_acmpca_certificate_authority_certificate" "root" {
  certificate_authority_arn = aws_acmpca_certificate_authority.root.arn
  certificate               = aws_acmpca_certificate.root.certificate
  certificate_chain         = aws_acmpca_certificate.root.certificate_chain
}

# Lets ACM renew the private certificates it issued from this CA (the Airflow load balancer's)
# without anyone's intervention.
resource "aws_acmpca_permission" "acm_renewal" {
  count = var.grant_acm_renewal_permission ? 1 : 0

  certificate_authority_arn = aws_acmpca_certificate_authority.root.arn
  principal                 = "acm.amazonaws.com"
  actions                   = ["IssueCertificate", "GetCertificate", "ListPermissions"]
}
