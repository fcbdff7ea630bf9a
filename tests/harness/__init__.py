"""Reusable pieces of the test harness: the moto server, podman hosts, Terraform offline."""
