# The bootstrap's state (terraform/bootstrap): backend.hcl's bucket and settings, with its own key
# beside the platform's. scripts/terraform-env.sh --bootstrap passes backend.hcl, then this file.
key = "dataplatform/ppd/bootstrap.tfstate"
