# The sandbox keeps this state on disk beside the environment's (`terraform init
# -backend-config=path=…` moves it).
terraform {
  backend "local" {}
}
