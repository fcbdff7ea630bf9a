# The sandbox account's bootstrap: applied by `make sandbox` with the emulator's administrator key
# before the environment, which it then applies as the deploy role.
environment       = "local"
region            = "eu-west-1"
account_id        = "123456789012"
github_repository = "example-org/dataplatform-ops"
# IAM and STS at the AWS emulator (a loopback URL only); the sandbox passes its own (-var).
aws_endpoint_url = "https://127.0.0.1:5000"
# No workflow deploys the sandbox (make sandbox applies it as its operator); its deploy role
# trusts main in a GitHub environment "local", which the repository does not have (.github/environments.yml).
deploy_refs            = ["refs/heads/main"]
terraform_state_bucket = "dataplatform-tfstate-123456789012"
# The sandbox's operator (the account's administrator) applies the environment as the deploy role.
operator_principal_arns = ["arn:aws:iam::123456789012:root"]
