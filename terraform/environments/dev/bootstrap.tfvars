# DEV: applied once by an administrator of the account, and again when what it makes changes.
environment       = "dev"
region            = "eu-west-1"
account_id        = "111111111111"
github_repository = "example-org/dataplatform-ops"
# The promotion model (terraform/modules/github-access/README.md): a feature branch deploys dev.
deploy_refs            = ["refs/heads/feature/*"]
terraform_state_bucket = "dataplatform-tfstate-111111111111"
