# PROD: applied once by an administrator of the account, and again when what it makes changes.
environment            = "prod"
region                 = "eu-west-1"
account_id             = "333333333333"
github_repository      = "example-org/dataplatform-ops"
terraform_state_bucket = "dataplatform-tfstate-333333333333"
