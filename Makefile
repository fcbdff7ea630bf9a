# dataplatform-ops: every entry point a person or CI uses.
#   make sandbox   the whole platform on the embedded default (moto + podman), see README.md
#   make test      everything CI runs
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

ROOT        := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
VENV        := $(ROOT)/.venv
BIN         := $(VENV)/bin
CHECKOV_VENV := $(VENV)/tools/checkov
PYTHON      ?= python3
COLLECTION  := collections/ansible_collections/dataplatform/ops
PYTEST      := $(BIN)/pytest
PYTEST_ARGS ?=
# `make test` runs two pytest processes side by side on the two cores: everything that runs
# Terraform (the terraform tier, the contract tests that plan or apply, the e2e sandbox), in order,
# because `terraform init` fills one provider cache that is not safe for concurrent writers; and
# everything else (unit, integration, podman, Molecule). TEST_SIDE_BY_SIDE=no runs one process.
TEST_SIDE_BY_SIDE ?= yes
TERRAFORM_TESTS := terraform or e2e
# Extra arguments of `python -m sandbox up`, e.g. SANDBOX_ARGS="--var nifi_desired_capacity=4"
SANDBOX_ARGS ?=

export PATH               := $(BIN):$(PATH)
export CONTAINERS_CONF    ?= $(ROOT)/sandbox/containers.conf
# Always the repository's offline configuration: a TF_CLI_CONFIG_FILE in the caller's environment may
# name a file that does not exist, and terraform would then silently fall back to the registry.
export TF_CLI_CONFIG_FILE := $(ROOT)/.cache/terraform/cli.tfrc
export ANSIBLE_CONFIG     := $(ROOT)/ansible.cfg
export ANSIBLE_COLLECTIONS_PATH := $(ROOT)/collections
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help setup package-cache venv host-image terraform-config lint lint-yaml lint-ansible lint-sanity lint-checkov \
        lint-python lint-workflows unit integration molecule terraform-check e2e test sandbox sandbox-down lock clean \
        lock-airflow execution-environment spark spark-package nifi-distribution

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 20

setup: ## Check the system tools the project needs; on Debian as root, install the missing ones
	@bash scripts/setup.sh

package-cache: setup ## Start the machine's Debian package cache for the test and sandbox hosts (kept between runs)
	@$(PYTHON) -m sandbox.package_cache start

venv: setup $(VENV)/.installed ## Create .venv/ with the pinned controller and development tools

$(VENV)/.installed: requirements/controller.txt requirements/dev.txt requirements/spark.txt requirements/constraints.txt requirements/checkov.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements/dev.txt -c requirements/constraints.txt
	# The repository's packages (pyproject.toml), editable: emulator, sandbox, dataplatform_spark, the collection.
	$(BIN)/pip install --quiet --no-deps --editable .
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet -r requirements/checkov.txt
	touch $@

lock: ## Refresh requirements/constraints.txt from a fresh install of the top-level pins
	rm -rf $(ROOT)/.cache/lock-venv
	$(PYTHON) -m venv $(ROOT)/.cache/lock-venv
	$(ROOT)/.cache/lock-venv/bin/pip install --quiet -r requirements/dev.txt
	{ echo "# Every transitive package, frozen from a working install of dev.txt (make lock refreshes it)."; \
	  $(ROOT)/.cache/lock-venv/bin/pip freeze; } > requirements/constraints.txt

# The airflow role's constraints: every package of a real install of its requirements.txt on the
# host image (Debian 13, its Python), frozen. Airflow's own constraint files are not on the index.
AIRFLOW_ROLE_FILES := $(COLLECTION)/roles/airflow/files

lock-airflow: ## Refresh the airflow role's constraints.txt from an install on the host image
	image=$$(bash sandbox/host-image.sh); \
	podman run --rm --network host -v /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro \
	  -v $(ROOT)/$(AIRFLOW_ROLE_FILES):/role-files:rw $$image /bin/sh -euc '\
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null; \
	    python3 -m venv /tmp/venv; \
	    PIP_CERT=/etc/ssl/certs/ca-certificates.crt /tmp/venv/bin/pip install --quiet -r /role-files/requirements.txt; \
	    { echo "# Every package of an install of requirements.txt on Debian 13 (Python 3.13), frozen by make lock-airflow."; \
	      /tmp/venv/bin/pip freeze; } > /role-files/constraints.txt'

host-image: setup package-cache ## Build the Debian 13 podman host image (only when its recipe changed)
	@bash sandbox/host-image.sh

execution-environment: venv package-cache ## Build the AWX execution environment (execution-environment.yml) with podman
	@EE_BASE_IMAGE=$${EE_BASE_IMAGE:-$$(bash sandbox/host-image.sh)} \
	  EE_BUILD_CA_BUNDLE=$${EE_BUILD_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt} \
	  bash scripts/build-execution-environment.sh

nifi-distribution: setup ## Build the NiFi distribution tarball (nifi-distribution/) into the machine's cache, once per pom set
	@bash scripts/build-nifi-distribution.sh

terraform-config: $(TF_CLI_CONFIG_FILE)

$(TF_CLI_CONFIG_FILE): scripts/terraform-cli-config.sh
	@bash scripts/terraform-cli-config.sh $@ >/dev/null

lint: lint-yaml lint-python lint-ansible lint-sanity lint-checkov lint-workflows ## Every linter (part of make test)

lint-yaml: venv
	yamllint --strict .

lint-python: venv
	ruff check .

lint-ansible: venv
	ansible-lint --profile production --strict

# ansible-test downloads a pip bootstrap script from outside the package registries; the
# harness provides an equivalent (ensurepip, then the pinned pip from the package index).
ANSIBLE_TEST_CACHE := $(HOME)/.ansible/test/cache
ANSIBLE_TEST_PIP   := 24.2
# ansible-test only finds collections in the collection root it tests: the collections ours
# depends on (galaxy.yml; bundled with the ansible package in the venv) are linked in beside it
# for the run (git-ignored) and removed afterwards, as ansible-lint would lint them otherwise.
SANITY_DEPENDENCY_NAMESPACES := amazon

lint-sanity: venv
	mkdir -p $(ANSIBLE_TEST_CACHE)
	cp tests/harness/ansible-test-get-pip.py $(ANSIBLE_TEST_CACHE)/get_pip_$(subst .,_,$(ANSIBLE_TEST_PIP)).py
	# ansible-test only sees files git knows: new files need `git add` first.
	for namespace in $(SANITY_DEPENDENCY_NAMESPACES); do \
	  ln -sfn "$$($(BIN)/python -c "import ansible_collections.$$namespace as n; print(list(n.__path__)[0])")" \
	    collections/ansible_collections/$$namespace; done; \
	status=0; (cd $(COLLECTION) && ansible-test sanity --venv --python 3.11 --color no) || status=$$?; \
	for namespace in $(SANITY_DEPENDENCY_NAMESPACES); do rm -f collections/ansible_collections/$$namespace; done; \
	exit $$status

lint-checkov: venv
	$(CHECKOV_VENV)/bin/checkov --directory terraform --framework terraform --quiet --compact \
	  --skip-download --download-external-modules false

lint-workflows: venv
	check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	zizmor --offline --no-progress .github/workflows

# The commit hooks (.pre-commit-config.yaml, CONTRIBUTING.md): the fast linters, local to this
# repository, with the tools of .venv/. `make hooks` makes each git commit run them on its files.
.PHONY: pre-commit hooks
pre-commit: venv ## The commit hooks (yamllint, ansible-lint, ruff, terraform fmt, workflow linters) on every file
	$(BIN)/pre-commit run --all-files

hooks: venv ## Install the commit hooks: each git commit runs them on the files it changes
	$(BIN)/pre-commit install

unit: venv ## Unit tests (no servers)
	$(PYTEST) -m unit $(PYTEST_ARGS)

integration: venv ## Tests against the moto server over HTTP
	$(PYTEST) -m integration $(PYTEST_ARGS)

terraform-check: venv terraform-config ## terraform fmt and validate of every module and environment, offline
	$(PYTEST) -m terraform $(PYTEST_ARGS)

molecule: venv package-cache ## Podman-host tests and every Molecule scenario
	$(PYTEST) -m "podman or molecule" $(PYTEST_ARGS)

spark: venv ## The Spark jobs on a local Spark (tests/spark; needs Java 17)
	$(PYTEST) -m spark $(PYTEST_ARGS)

spark-package: venv ## Build the Spark jobs' artifacts for EMR Serverless into .cache/spark/
	$(BIN)/python spark/package.py --output $(ROOT)/.cache/spark

e2e: venv package-cache terraform-config ## The whole sandbox, end to end
	$(PYTEST) -m e2e $(PYTEST_ARGS)

test: venv package-cache terraform-config ## Everything CI runs: lint, then every test tier in one pytest run
	@started=$$SECONDS; $(MAKE) --no-print-directory lint; echo "::phase lint: $$((SECONDS - started))s"
ifeq ($(TEST_SIDE_BY_SIDE),yes)
	@mkdir -p $(ROOT)/.cache; others_log=$(ROOT)/.cache/test-others.log; \
	echo "::tests: '$(TERRAFORM_TESTS)' here; the others beside them, their output after ($$others_log)"; \
	$(PYTEST) -m "not ($(TERRAFORM_TESTS))" $(PYTEST_ARGS) >"$$others_log" 2>&1 & others=$$!; \
	terraform_status=0; others_status=0; \
	$(PYTEST) -m "$(TERRAFORM_TESTS)" $(PYTEST_ARGS) || terraform_status=$$?; \
	wait $$others || others_status=$$?; \
	echo; echo "::tests: the others, run beside them"; cat "$$others_log"; \
	echo "::tests: exit $$terraform_status ('$(TERRAFORM_TESTS)'), $$others_status (the others)"; \
	exit $$(( terraform_status != 0 ? terraform_status : others_status ))
else
	$(PYTEST) $(PYTEST_ARGS)
endif

sandbox: venv package-cache terraform-config ## The whole platform on the embedded default (moto server + podman hosts)
	$(BIN)/python -m sandbox up $(SANDBOX_ARGS)

sandbox-down: venv ## Remove everything make sandbox made
	$(BIN)/python -m sandbox down

clean: ## Remove tool environments and caches (not the sandbox)
	rm -rf $(VENV) $(ROOT)/.cache $(COLLECTION)/tests/output
