"""``--engine dask`` from the command line: inputs, outputs and clear errors (the documents'
equality with the local engine's: test_dask_parity.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.conftest import Invoke
from tests.dask_datasets import tie_heavy, write_dataset

pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("dask_cli")
    write_dataset(folder, *tie_heavy(seed=11))
    return folder


def local_args(folder: Path) -> list[str]:
    return ["--labels", str(folder / "labels.parquet"), "--probs", str(folder / "probs.parquet")]


def dask_args(folder: Path, address: str) -> list[str]:
    dataset = str(folder / "ds")
    return ["--labels", dataset, "--probs", dataset, "--engine", "dask", "--scheduler", address]


def test_glob_input_and_folder_output(folder, scheduler, invoke: Invoke, tmp_path) -> None:
    dataset = str(folder / "ds" / "part*.parquet")
    result = invoke(
        "score", "--labels", dataset, "--probs", dataset, "--id-column", "key",
        "--engine", "dask", "--scheduler", scheduler, "-o", tmp_path / "scores",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "scores").glob("part-*.parquet"))) == 10


def test_missing_extra_names_the_install(folder, invoke: Invoke, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    dataset = str(folder / "ds")
    result = invoke("health", "--labels", dataset, "--probs", dataset, "--engine", "dask")
    assert result.exit_code == 2
    expected = "Error: --engine dask needs the 'dask' extra: pip install 'labelaudit[dask]'"
    assert expected in result.output


def test_unreachable_scheduler_exits_2(folder, invoke: Invoke) -> None:
    args = dask_args(folder, "tcp://127.0.0.1:9")
    result = invoke("health", *args, "--id-column", "key")
    assert result.exit_code == 2
    assert "no Dask scheduler answered" in result.output


def test_labels_and_probs_must_be_one_dataset(folder, invoke: Invoke) -> None:
    result = invoke("health", *local_args(folder), "--engine", "dask")
    assert result.exit_code == 2
    assert "one partitioned Parquet dataset: pass it as --labels" in result.output


def test_scheduler_needs_the_dask_engine(folder, invoke: Invoke) -> None:
    result = invoke("health", *local_args(folder), "--scheduler", "tcp://127.0.0.1:9")
    assert result.exit_code == 2
    assert "--scheduler: only used with --engine dask" in result.output


def test_multi_label_is_refused(folder, invoke: Invoke) -> None:
    dataset = str(folder / "ds")
    result = invoke("score", "--labels", dataset, "--engine", "dask", "--multi-label")
    assert result.exit_code == 2
    assert "--engine dask: not available with --multi-label" in result.output


def test_report_refuses_data(folder, invoke: Invoke, tmp_path) -> None:
    pytest.importorskip("jinja2")
    dataset = str(folder / "ds")
    result = invoke(
        "report", "--labels", dataset, "--probs", dataset, "--engine", "dask",
        "--data", folder / "labels.parquet", "-o", tmp_path / "r.html",
    )  # fmt: skip
    assert result.exit_code == 2
    assert "--data: not available with --engine dask" in result.output
    assert not (tmp_path / "r.html").exists()


def test_mismatched_schemas_exit_2_naming_the_file(invoke: Invoke, tmp_path) -> None:
    import pyarrow.parquet as pq

    dataset = write_dataset(tmp_path, *tie_heavy(seed=5))
    table = pq.read_table(dataset / "part009.parquet")
    pq.write_table(table.drop_columns(["2"]), dataset / "part009.parquet")
    result = invoke("find-issues", "--labels", dataset, "--engine", "dask", "--id-column", "key")
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1 and "part009.parquet: has no column '2'" in lines[0]
    assert "Traceback" not in result.output


def test_stdout_output_is_refused_naming_the_format(folder, scheduler, invoke: Invoke) -> None:
    dataset = str(folder / "ds")
    result = invoke(
        "find-issues", "--labels", dataset, "--engine", "dask", "--scheduler", scheduler,
        "-o", "-",
    )  # fmt: skip
    assert result.exit_code == 2
    assert result.output.startswith("Error: -o -: the Dask engine writes Parquet")
