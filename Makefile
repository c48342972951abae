# Every target that runs code first makes sure .venv exists with the package and its extras.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: venv test run bench lint format dist clean

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

# run_bench.py rewrites benchmarks/RESULTS.md; bench_multilabel.py then adds its multi-label section.
bench: $(STAMP)
	$(BIN)/python benchmarks/run_bench.py
	$(BIN)/python benchmarks/bench_dask.py
	$(BIN)/python benchmarks/bench_multilabel.py --write

lint: $(STAMP)
	$(BIN)/ruff check labelaudit tests benchmarks sample_data
	$(BIN)/ruff format --check labelaudit tests benchmarks sample_data

format: $(STAMP)
	$(BIN)/ruff check --fix labelaudit tests benchmarks sample_data
	$(BIN)/ruff format labelaudit tests benchmarks sample_data

# The sdist, then the wheel built from the unpacked sdist (python -m build's default), so a file
# missing from the sdist fails here and no stale build/ file reaches the wheel. `build` comes with
# the test extra.
dist: $(STAMP)
	rm -rf dist
	$(BIN)/python -m build --outdir dist .

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
