"""``--engine dask`` and the local engine on the same dataset folder: the same JSON documents,
the same ``-o`` files and the same ``--junit-xml``/``--markdown`` CI outputs.

Each engine runs in its own folder with the same relative ``-o`` paths, so even the documents'
``output`` fields are equal. What legitimately differs is left out of the comparison: the run
time and start time in the CI outputs (``time``, ``timestamp``, ``seconds``). Nothing in the
JSON documents differs but the report's ``generated_at`` minute; in its HTML also the charts'
SVG element ids (a per-process figure counter).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from labelaudit.core.filtering import FILTERS
from tests.conftest import Invoke
from tests.dask_datasets import tie_heavy, write_dataset

pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("dask_parity")
    return write_dataset(folder, *tie_heavy(seed=3))


def run_both(
    invoke: Invoke,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    address: str,
    command: str,
    dataset: Path,
    *args: str,
) -> dict[str, tuple[Path, dict]]:
    """*command* on *dataset* with each engine, each in its own folder: the folder, the JSON."""
    source = ["--labels", str(dataset), "--probs", str(dataset), "--id-column", "key"]
    runs = {}
    for engine in ("local", "dask"):
        folder = tmp_path / engine
        folder.mkdir()
        monkeypatch.chdir(folder)
        extra = ["--engine", "dask", "--scheduler", address] if engine == "dask" else []
        result = invoke(command, *source, *args, *extra, "--json")
        assert result.exit_code in (0, 1), result.output
        runs[engine] = (folder, json.loads(result.stdout))
    return runs


def same_files(local: Path, remote: Path) -> None:
    """Every file the local run wrote, written alike by the Dask run (run times aside)."""
    names = sorted(p.name for p in local.iterdir())
    assert names == sorted(p.name for p in remote.iterdir())
    for name in names:
        if name.endswith(".parquet"):
            assert pq.read_table(remote / name).equals(pq.read_table(local / name)), name
        else:
            assert timeless((remote / name).read_text()) == timeless((local / name).read_text())


def engines_agree(runs: dict) -> None:
    """The Dask run's JSON document and files equal the local run's."""
    assert runs["dask"][1] == runs["local"][1]
    same_files(runs["local"][0], runs["dask"][0])


def timeless(text: str) -> str:
    text = re.sub(r'timestamp="[^"]*"', "timestamp", text)
    return re.sub(r'(time="|seconds\W+)[0-9.]+', r"\1T", text)


@pytest.mark.parametrize("filter_by", FILTERS)
def test_find_issues_documents_and_files_are_equal(
    dataset, scheduler, invoke: Invoke, tmp_path, monkeypatch, filter_by
) -> None:
    runs = run_both(
        invoke, tmp_path, monkeypatch, scheduler,
        "find-issues", dataset, "--filter-by", filter_by,
        "--top", "10000", "-o", "issues.parquet", "--fail-above", "0.2",
        "--junit-xml", "junit.xml", "--markdown", "summary.md",
    )  # fmt: skip
    (local, expected), (remote, got) = runs["local"], runs["dask"]
    assert expected["n_label_issues"] > 0 and expected["classes"]
    assert got == expected
    same_files(local, remote)


def test_all_rows_file_is_equal(dataset, scheduler, invoke: Invoke, tmp_path, monkeypatch) -> None:
    runs = run_both(
        invoke, tmp_path, monkeypatch, scheduler,
        "find-issues", dataset, "--all-rows",
        "-o", "rows.parquet",
    )  # fmt: skip
    engines_agree(runs)


@pytest.mark.parametrize("method", ["self_confidence", "normalized_margin"])
def test_score_documents_and_files_are_equal(
    dataset, scheduler, invoke: Invoke, tmp_path, monkeypatch, method
) -> None:
    runs = run_both(
        invoke, tmp_path, monkeypatch, scheduler,
        "score", dataset, "--method", method,
        "--adjust-pred-probs", "--top", "100", "-o", "scores.parquet",
    )  # fmt: skip
    engines_agree(runs)


@pytest.mark.parametrize(
    "options",
    [
        ["--max-noise-rate", "0.05", "--max-class-noise-rate", "0.5"],
        ["--all-pairs", "--class-order", "3,2,1,0", "--no-flagged-count", "--top", "2"],
    ],
)
def test_health_documents_and_files_are_equal(
    dataset, scheduler, invoke: Invoke, tmp_path, monkeypatch, options
) -> None:
    runs = run_both(
        invoke, tmp_path, monkeypatch, scheduler,
        "health", dataset, *options,
        "-o", "health.json", "--junit-xml", "junit.xml", "--markdown", "summary.md",
    )  # fmt: skip
    (local, expected), (remote, got) = runs["local"], runs["dask"]
    assert {"counts", "noise_matrix", "top_confusions", "warnings", "checks"} <= set(expected)
    assert got == expected
    same_files(local, remote)


def test_report_documents_and_html_are_equal(
    dataset, scheduler, invoke: Invoke, tmp_path, monkeypatch
) -> None:
    """--filter-by both: the noise-rate cut-offs and prune-by-class picks both flag rows."""
    pytest.importorskip("jinja2")
    runs = run_both(
        invoke, tmp_path, monkeypatch, scheduler,
        "report", dataset, "--filter-by", "both", "--top", "30", "-o", "report.html",
    )  # fmt: skip
    (local, expected), (remote, got) = runs["local"], runs["dask"]
    assert expected["issues"]["n_flagged"] > 0
    minute = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC")
    assert minute.sub("T", json.dumps(got)) == minute.sub("T", json.dumps(expected))
    # The charts' SVG element ids count the figures this process drew so far.
    svg_ids = re.compile(r"\bc\d+-")
    html = [
        svg_ids.sub("c-", minute.sub("T", (folder / "report.html").read_text()))
        for folder in (local, remote)
    ]
    assert html[0] == html[1]
