# Every target a person or CI runs. `make help` lists them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
IMAGE ?= guestbook-hooks:$(VERSION)

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

.PHONY: image
image: ## Build the hooks image IMAGE (needs Docker; default guestbook-hooks:VERSION)
	docker build --tag $(IMAGE) .

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
bench: $(BIN)/.installed ## Measure the hooks against their floor and a stdlib server; write bench/results.json
	$(BIN)/python -m bench

.PHONY: golden
golden: $(BIN)/.installed ## Regenerate tests/golden/ and tests/render/ golden outputs (review the diff)
	$(BIN)/python -m tests.golden
	$(BIN)/python -m tests.render

.PHONY: render
render: $(BIN)/.installed ## Preview the children and status of the sample Guestbooks
	$(BIN)/python -m hooks render samples/webapp_v1_guestbook.yaml
	$(BIN)/python -m hooks render samples/webapp_v1_guestbook_full.yaml

.PHONY: clean
clean: ## Remove the virtualenv and caches
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
