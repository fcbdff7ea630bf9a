# PROD: applied once by an administrator of the account, and again when what it makes changes.
environment       = "prod"
region            = "eu-west-1"
account_id        = "333333333333"
github_repository = "example-org/dataplatform-ops"
# The promotion model (terraform/modules/github-access/README.md): a version tag deploys prod,
# once the prod environment's reviewers approve.
deploy_refs            = ["refs/tags/v*.*.*"]
terraform_state_bucket = "dataplatform-tfstate-333333333333"
