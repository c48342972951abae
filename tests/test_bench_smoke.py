"""Smoke test of the benchmark harness's input generator (the benchmark itself is `make bench`)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

HARNESS = Path(__file__).resolve().parents[1] / "benchmarks" / "run_bench.py"


@pytest.fixture(scope="module")
def run_bench() -> ModuleType:
    """benchmarks/run_bench.py imported as a module (benchmarks/ is not a package)."""
    spec = importlib.util.spec_from_file_location("run_bench", HARNESS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["run_bench"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_sizes_parse(run_bench: ModuleType) -> None:
    assert run_bench.parse_size("10Mx10") == (10_000_000, 10)
    assert run_bench.parse_size("100kx1000") == (100_000, 1000)
    assert run_bench.parse_size("500x5") == (500, 5)
    assert run_bench.size_name(1_000_000, 100) == "1Mx100"
    assert run_bench.size_name(100_000, 1000) == "100kx1000"


def test_generated_inputs_are_valid_and_reused(run_bench: ModuleType, tmp_path: Path) -> None:
    # a small chunk size so that several chunks are written
    data = run_bench.generate_inputs(3_000, 7, seed=3, data_dir=tmp_path, chunk_elements=5_000)
    labels = np.load(data.labels)
    probs = np.load(data.probs)
    assert labels.shape == (3_000,) and labels.dtype == np.int64
    assert labels.min() >= 0 and labels.max() < 7
    assert probs.shape == (3_000, 7) and probs.dtype == np.float32
    assert np.isfinite(probs).all() and (probs >= 0).all() and (probs <= 1).all()
    assert np.abs(probs.astype(np.float64).sum(axis=1) - 1).max() <= 1e-6
    # about 20% of the labels disagree with the boosted class, and the model is mostly right
    agree = (probs.argmax(axis=1) == labels).mean()
    assert 0.4 < agree < 0.95
    params = json.loads((data.labels.parent / "params.json").read_text())
    assert params["n"] == 3_000 and params["k"] == 7 and params["seed"] == 3

    mtime = data.probs.stat().st_mtime_ns
    again = run_bench.generate_inputs(3_000, 7, seed=3, data_dir=tmp_path, chunk_elements=5_000)
    assert again == data and data.probs.stat().st_mtime_ns == mtime  # reused, not rewritten

    other = run_bench.generate_inputs(3_000, 7, seed=4, data_dir=tmp_path, chunk_elements=5_000)
    assert not np.array_equal(np.load(other.probs), probs)

    # a sidecar with other parameters forces a rewrite, with the same seeded content
    sidecar = data.labels.parent / "params.json"
    sidecar.write_text(json.dumps({**params, "generator_version": -1}))
    rewritten = run_bench.generate_inputs(3_000, 7, seed=3, data_dir=tmp_path, chunk_elements=5_000)
    assert json.loads(sidecar.read_text()) == params
    np.testing.assert_array_equal(np.load(rewritten.probs), probs)
    np.testing.assert_array_equal(np.load(rewritten.labels), labels)


def test_peak_rss_is_the_childs_not_the_harness(run_bench: ModuleType) -> None:
    # Linux keeps ru_maxrss across execve, so a child forked straight from a big parent would
    # report the parent's size; the launcher must keep the measurement independent of it.
    ballast = np.ones(40_000_000)  # 305 MiB held by this process while the child runs
    run = run_bench.measure([sys.executable, "-c", "pass"])
    assert run.returncode == 0 and 0 < run.seconds < 5
    assert run.rss_mib < 150, run
    failed = run_bench.measure([sys.executable, "-c", "import sys; sys.exit(3)"])
    assert failed.returncode == 3
    del ballast
