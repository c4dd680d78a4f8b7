# The README's two commands. Each sets up the virtual environment when it is missing.
#   make run   – the main job: prepare → train → export → evaluate on the shipped sample (offline)
#   make test  – the lint and format check, then the full test suite (what CI runs)
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
OUT ?= data/processed

.PHONY: run test test-quick lint setup setup-test clean

setup: $(VENV)/.installed
setup-test: $(VENV)/.installed-test

# torch first, pinned: its CPU wheel is what this machine and CI have, and installing
# it before the rest stops any other requirement from pulling a multi-GB CUDA build.
# `make run` needs the package only; the tests add pytest, ruff, Ray and TensorBoard.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test,cluster,tensorboard]'
	touch $@

run: setup
	$(BIN)/policytag run default --out experiments/main

test: setup-test lint
	$(BIN)/python -m pytest

lint: setup-test
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts

test-quick: setup-test
	$(BIN)/python -m pytest -m "not slow"

clean:
	rm -rf $(OUT) .pytest_cache
