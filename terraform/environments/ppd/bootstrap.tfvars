# PPD: applied once by an administrator of the account, and again when what it makes changes.
environment       = "ppd"
region            = "eu-west-1"
account_id        = "222222222222"
github_repository = "example-org/dataplatform-ops"
# The promotion model (terraform/modules/github-access/README.md): a release branch deploys ppd.
deploy_refs            = ["refs/heads/release/*"]
terraform_state_bucket = "dataplatform-tfstate-222222222222"
