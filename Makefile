# Developer entry points. Each target creates .venv when missing and installs the project into it.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-test
RUNTIME := $(VENV)/.installed

.PHONY: demo test lint clean test-peers bench action-yml lint-packaging container-test runner-test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The gate alone (what `make demo` needs), then the test extras on top (what `make test` needs).
$(RUNTIME): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	touch $(RUNTIME)

$(STAMP): $(RUNTIME)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

demo: $(RUNTIME)  ## run the gate against the built-in simulator (no key, no network)
	$(BIN)/cometapi-smoke-gate demo

test: $(STAMP)  ## lint and run the test suite (4 workers: most tests wait on sockets, not the CPU)
	$(BIN)/ruff check gate tests scripts bench
	$(BIN)/ruff format --check gate tests scripts bench
	$(BIN)/python -m pytest -n 4

test-peers: $(STAMP)  ## the gate through a real LiteLLM proxy and Portkey gateway (installs them into .venv-peers, .peers-node)
	bash scripts/peers_setup.sh
	$(BIN)/python -m pytest -m peers tests/peers

bench: $(STAMP)  ## whole-process time and memory against curl and the Python floors
	$(BIN)/python bench/bench.py

action-yml: $(STAMP)  ## regenerate action.yml from gate/config/options.py
	$(BIN)/python scripts/action_yml.py --write

lint-packaging: $(STAMP)  ## hadolint, check-jsonschema, actionlint, shellcheck
	bash scripts/lint_packaging.sh

container-test: $(STAMP)  ## build the image with podman and run it as GitHub, GitLab and Jenkins do
	STRICT_REPORTS=1 bash scripts/container_test.sh

runner-test: $(STAMP)  ## the action, the GitLab example, the matrix recipes and the release path under act and gitlab-ci-local (reuses container-test's images)
	bash scripts/runner_test.sh

lint: $(STAMP)
	$(BIN)/ruff check gate tests scripts bench
	$(BIN)/ruff format --check gate tests scripts bench

clean:
	rm -rf $(VENV) gate-reports .pytest_cache build *.egg-info
