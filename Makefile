# Every target a person or CI runs. `make help` lists them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
IMG ?= guestbook-hooks:$(VERSION)

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets and what they do
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# The virtualenv is rebuilt whenever a requirements file changes.
$(BIN)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

.PHONY: venv
venv: $(BIN)/.installed ## Create the virtualenv with pinned runtime and dev tools

.PHONY: run
# gunicorn.conf.py owns the default port (8080); `make run PORT=9000` overrides it.
run: $(BIN)/.installed ## Serve the hooks under gunicorn, as the image does, on PORT (default 8080)
	$(if $(PORT),PORT=$(PORT)) $(BIN)/gunicorn --config gunicorn.conf.py

.PHONY: test
test: $(BIN)/.installed ## Run every test
	$(BIN)/python -m pytest

.PHONY: manifests-check
manifests-check: $(BIN)/.installed ## Check metacontroller/, samples/ and the Dockerfile, offline
	$(BIN)/python -m pytest tests/manifests

# Building, installing and deploying, with Kubebuilder's target names and meaning.
CONTAINER_TOOL ?= docker
KUBECTL ?= kubectl
DIST ?= dist
# What `make install` applies: the API without the hooks. One file per word; every
# one must also be listed in metacontroller/kustomization.yaml.
INSTALL_FILES := metacontroller/crd-guestbooks.yaml metacontroller/deletion-protection-policy.yaml metacontroller/deletion-protection-binding.yaml
ignore-not-found ?= false

# IMG as Docker reads it: a digest after "@"; else a tag after a ":" in the last path
# part (a registry port is no tag); else "latest".
img_repo = $(firstword $(subst @, ,$(IMG)))
img_digest = $(word 2,$(subst @, ,$(IMG)))
img_tag = $(if $(findstring :,$(notdir $(img_repo))),$(lastword $(subst :, ,$(img_repo))),latest)
img_name = $(patsubst %:$(img_tag),%,$(img_repo))
img_version = $(if $(img_digest),digest: "$(img_digest)",newTag: "$(img_tag)")

# Prints everything under metacontroller/ with the hooks image set to IMG, in
# kustomize's apply order (Namespace and CRDs first). kubectl's built-in kustomize
# has no `edit set image`, so an overlay in a temporary folder sets it and the
# repository stays as it is; the link is there because kustomize refuses a base
# given as an absolute path. "guestbook-hooks" is the image name that
# metacontroller/kustomization.yaml gives the hooks.
build_install = overlay=$$(mktemp -d) && trap 'rm -rf "$$overlay"' EXIT && \
	ln -s "$(CURDIR)/metacontroller" "$$overlay/base" && \
	printf '%s\n' 'resources: [base]' 'images:' '  - name: guestbook-hooks' \
		'    newName: "$(img_name)"' '    $(img_version)' >"$$overlay/kustomization.yaml" && \
	$(KUBECTL) kustomize "$$overlay"

.PHONY: docker-build
docker-build: ## Build the hooks image IMG (needs Docker; default guestbook-hooks:VERSION)
	$(CONTAINER_TOOL) build --tag $(IMG) .

.PHONY: docker-push
docker-push: ## Push the hooks image IMG to its registry
	$(CONTAINER_TOOL) push $(IMG)

.PHONY: install
install: ## Apply the API without the hooks (INSTALL_FILES) to kubectl's current cluster
	$(KUBECTL) apply $(addprefix -f ,$(INSTALL_FILES))

.PHONY: uninstall
uninstall: ## Delete what install applies; ignore-not-found=true skips what is already gone
	$(KUBECTL) delete --ignore-not-found=$(ignore-not-found) $(addprefix -f ,$(INSTALL_FILES))

.PHONY: deploy
deploy: ## Apply the whole install (metacontroller/) with the hooks image IMG to kubectl's current cluster
	$(build_install) | $(KUBECTL) apply -f -

.PHONY: undeploy
undeploy: ## Delete what deploy applies; ignore-not-found=true skips what is already gone
	$(build_install) | $(KUBECTL) delete --ignore-not-found=$(ignore-not-found) -f -

.PHONY: build-installer
build-installer: ## Write DIST/install.yaml (default dist/): the whole install in apply order, image IMG
	mkdir -p $(DIST)
	$(build_install) >"$$overlay/install.yaml" && mv "$$overlay/install.yaml" $(DIST)/install.yaml

.PHONY: lint
lint: $(BIN)/.installed ## Lint the Python (ruff), every YAML file (yamllint) and the Dockerfile (hadolint)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/yamllint --strict .
	$(BIN)/hadolint Dockerfile

.PHONY: format
format: $(BIN)/.installed ## Rewrite code in the house format
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Not part of `make test`: minutes long, and its figures mean something only on a
# quiet machine. The HTTP part needs wrk (Debian/Ubuntu: apt-get install wrk).
.PHONY: bench
bench: $(BIN)/.installed ## Measure the hooks beside a stdlib server and two floors; write bench/results.json
	$(BIN)/python -m bench

.PHONY: golden
golden: $(BIN)/.installed ## Regenerate tests/golden/ and tests/render/ golden outputs (review the diff)
	$(BIN)/python -m tests.golden
	$(BIN)/python -m tests.render

# Needs only the dev virtualenv: the schemas come from kubernetes-validate's copy
# of Kubernetes 1.30's OpenAPI. tests/manifests fails with "run make crd" until
# the CRD and hooks/placement_schemas.json match what this writes.
.PHONY: crd
crd: $(BIN)/.installed ## Regenerate the placement schemas in the CRD and hooks/ from Kubernetes 1.30's
	$(BIN)/python -m hack.crd

.PHONY: render
render: $(BIN)/.installed ## Preview the children and status of the sample Guestbooks
	$(BIN)/python -m hooks render samples/webapp_v1_guestbook.yaml
	$(BIN)/python -m hooks render samples/webapp_v1_guestbook_full.yaml

.PHONY: clean
clean: ## Remove the virtualenv and caches
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
