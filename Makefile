# Developer entry points. Each target creates .venv when missing and installs the project into it.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)  ## run the gate against the built-in simulator (no key, no network)
	$(BIN)/cometapi-smoke-gate demo

test: $(STAMP)  ## lint and run the test suite
	$(BIN)/ruff check gate tests scripts
	$(BIN)/ruff format --check gate tests scripts
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check gate tests scripts
	$(BIN)/ruff format --check gate tests scripts

clean:
	rm -rf $(VENV) gate-reports .pytest_cache build *.egg-info
