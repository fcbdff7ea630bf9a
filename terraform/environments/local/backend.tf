# The sandbox keeps its state on disk, next to nothing else: the emulator's resources vanish
# with it anyway. (`terraform init -backend-config=path=…` moves it.)
terraform {
  backend "local" {}
}
