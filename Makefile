# Every target that runs code first makes sure .venv exists with the package and its extras.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: venv test run bench lint format clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2

run: $(STAMP)
	$(BIN)/python sample_data/run_demo.py

bench: $(STAMP)
	$(BIN)/python benchmarks/run_bench.py

lint: $(STAMP)
	$(BIN)/ruff check labelaudit tests benchmarks sample_data
	$(BIN)/ruff format --check labelaudit tests benchmarks sample_data

format: $(STAMP)
	$(BIN)/ruff check --fix labelaudit tests benchmarks sample_data
	$(BIN)/ruff format labelaudit tests benchmarks sample_data

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
