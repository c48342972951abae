"""``--multi-label`` through the CLI: parity with the core and cleanlab 2.9.0, outputs, bad input.

The same seeded dataset is written as a Parquet list column, a CSV text column joined by a
separator and an (N, K) 0/1 ``.npy``; find-issues, score and health on each must equal the core
called directly, and (black box) cleanlab's ``multilabel_classification``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from labelaudit.cli import app
from labelaudit.core.multilabel import (
    find_multilabel_issues,
    multilabel_health,
    multilabel_quality_scores,
    order_multilabel_issues,
)
from tests.core.test_multilabel_datasets import synthetic_multilabel

CLASSES = ["beach", "sunset", "dog", "city", "night & day"]
NPY_CLASSES = ["beach", "sunset", "dog", "city", "night_day"]
runner = CliRunner()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One dataset in every input format: list column, joined text, (N, K) .npy."""
    case = synthetic_multilabel(400, len(CLASSES), 3, empty_fraction=0.15)
    path = tmp_path_factory.mktemp("multilabel")
    np.save(path / "labels.npy", case.labels.astype(np.uint8))
    np.save(path / "probs.npy", case.pred_probs)
    lists = [[CLASSES[k] for k in np.flatnonzero(row)] for row in case.labels]
    ids = [f"img{i:03d}" for i in range(len(lists))]
    pq.write_table(
        pa.table({"id": ids, "tags": lists, "weight": np.arange(len(lists), dtype=np.int16)}),
        path / "data.parquet",
    )
    pq.write_table(
        pa.table({name: case.pred_probs[:, k] for k, name in enumerate(CLASSES)}),
        path / "probs.parquet",
    )
    text = ['"' + ";".join(row) + '"' for row in lists]
    rows = "\n".join(f"{i},{t}" for i, t in zip(ids, text, strict=True))
    (path / "data.csv").write_text("id,tags\n" + rows + "\n")
    return path


INPUTS = {
    "parquet-list": [
        "--labels",
        "data.parquet",
        "--label-column",
        "tags",
        "--probs",
        "probs.parquet",
    ],
    "csv-text": [
        "--labels",
        "data.csv",
        "--label-column",
        "tags",
        "--label-separator",
        ";",
        "--probs",
        "probs.parquet",
    ],
    "npy": [
        "--labels",
        "labels.npy",
        "--probs",
        "probs.npy",
        "--classes",
        ",".join(NPY_CLASSES),
    ],
}


def invoke(folder: Path, *args: str):
    with pytest.MonkeyPatch.context() as patch:  # the working directory comes back after
        patch.chdir(folder)
        return runner.invoke(app, [str(a) for a in args])


def core_inputs(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    return np.load(folder / "labels.npy"), np.load(folder / "probs.npy")


# --- parity with the core -----------------------------------------------------------------


@pytest.mark.parametrize("source", list(INPUTS))
@pytest.mark.parametrize("filter_by", ["prune_by_noise_rate", "both", "low_self_confidence"])
def test_find_issues_equals_core(folder: Path, source: str, filter_by: str) -> None:
    out = f"issues-{source}-{filter_by}.parquet"
    args = ["find-issues", "--multi-label", *INPUTS[source], "--filter-by", filter_by, "-o", out]
    result = invoke(folder, *args, "--json", "--top", "5")
    assert result.exit_code == 0, result.output
    labels, probs = core_inputs(folder)
    mask, per_class = find_multilabel_issues(
        labels, probs, filter_by=filter_by, return_per_class=True
    )
    scores = multilabel_quality_scores(labels, probs)
    ranked = order_multilabel_issues(mask, scores)
    table = pq.read_table(folder / out)
    np.testing.assert_array_equal(table.column("row").to_numpy(), ranked)
    np.testing.assert_allclose(table.column("label_quality").to_numpy(), scores[ranked], atol=0)
    flagged = [np.flatnonzero(per_class[r]).tolist() for r in ranked]
    names = NPY_CLASSES if source == "npy" else CLASSES
    assert table.column("issue_classes").to_pylist() == [[names[k] for k in f] for f in flagged]
    given = [[names[k] for k in np.flatnonzero(labels[r])] for r in ranked]
    assert table.column("given_labels").to_pylist() == given
    predicted = [np.flatnonzero(probs[r] >= 0.5).tolist() for r in ranked]
    assert [len(p) for p in table.column("predicted_labels").to_pylist()] == [
        len(p) for p in predicted
    ]
    document = json.loads(result.stdout)
    assert document["n_label_issues"] == len(ranked) and len(document["issues"]) == min(
        5, len(ranked)
    )


@pytest.mark.parametrize("source", list(INPUTS))
def test_score_equals_core(folder: Path, source: str) -> None:
    out = f"scores-{source}.csv"
    args = ["score", "--multi-label", *INPUTS[source], "--method", "normalized_margin"]
    result = invoke(folder, *args, "--aggregator", "softmin", "--temperature", "0.3", "-o", out)
    assert result.exit_code == 0, result.output
    labels, probs = core_inputs(folder)
    expected = multilabel_quality_scores(
        labels, probs, method="normalized_margin", aggregator="softmin", temperature=0.3
    )
    import pandas as pd

    frame = pd.read_csv(folder / out, keep_default_na=False)
    np.testing.assert_allclose(frame["label_quality"].to_numpy(), expected, rtol=0, atol=1e-12)
    assert frame["row"].tolist() == list(range(len(labels)))
    if source != "npy":
        separator = ";" if source == "csv-text" else ","
        first = [CLASSES[k] for k in np.flatnonzero(labels[0])]
        assert frame["given_labels"][0] == separator.join(first)


@pytest.mark.parametrize("source", list(INPUTS))
def test_health_equals_core(folder: Path, source: str) -> None:
    result = invoke(folder, "health", "--multi-label", *INPUTS[source], "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    health = multilabel_health(*core_inputs(folder))
    assert document["health_score"] == health.health_score
    assert set(document) >= {"health_score", "classes", "common_issues", "checks"}
    assert [c["n_label_issues"] for c in document["classes"]] == [
        c.n_label_issues for c in health.classes
    ]
    assert set(document["classes"][0]) == {
        "class",
        "n_examples",
        "n_label_issues",
        "n_inverse_label_issues",
        "label_noise",
        "inverse_label_noise",
        "label_quality",
    }
    assert set(document["common_issues"][0]) == {
        "class",
        "in_given_label",
        "in_suggested_label",
        "n_examples",
        "issue_probability",
    }
    if source != "npy":
        assert [i["class"] for i in document["common_issues"]] == [
            CLASSES[i.class_index] for i in health.common_issues
        ]


# --- parity with cleanlab (black box) -----------------------------------------------------


def test_cli_equals_cleanlab(folder: Path) -> None:
    ml_filter = pytest.importorskip("cleanlab.multilabel_classification.filter")
    ml_rank = pytest.importorskip("cleanlab.multilabel_classification.rank")
    ml_dataset = pytest.importorskip("cleanlab.multilabel_classification.dataset")
    labels, probs = core_inputs(folder)
    lists = [np.flatnonzero(row).tolist() for row in labels]
    ranked = ml_filter.find_label_issues(
        lists, probs, return_indices_ranked_by="self_confidence", n_jobs=1
    )
    result = invoke(
        folder,
        "find-issues",
        "--multi-label",
        *INPUTS["parquet-list"],
        "-o",
        "cl.parquet",
        "--quiet",
    )
    assert result.exit_code == 0, result.output
    np.testing.assert_array_equal(pq.read_table(folder / "cl.parquet").column("row"), ranked)

    scores = ml_rank.get_label_quality_scores(lists, probs)
    result = invoke(folder, "score", "--multi-label", *INPUTS["npy"], "-o", "cl.parquet", "-q")
    assert result.exit_code == 0, result.output
    ours = pq.read_table(folder / "cl.parquet").column("label_quality").to_numpy()
    np.testing.assert_allclose(ours, scores, rtol=0, atol=1e-9)

    summary = ml_dataset.multilabel_health_summary(lists, probs, verbose=False)
    result = invoke(folder, "health", "--multi-label", *INPUTS["csv-text"], "--json")
    document = json.loads(result.stdout)
    assert document["health_score"] == summary["overall_multilabel_health_score"]
    expected = [
        (CLASSES[int(r[0])], bool(r[1]), int(r[3]))
        for r in summary["common_multilabel_issues"].itertuples(index=False)
    ]
    actual = [(i["class"], i["in_given_label"], i["n_examples"]) for i in document["common_issues"]]
    assert actual == expected


# --- outputs, clean, gates ----------------------------------------------------------------


def test_all_rows_with_ids_and_terminal_output(folder: Path) -> None:
    result = invoke(
        folder,
        "find-issues",
        "--multi-label",
        *INPUTS["parquet-list"],
        "--id-column",
        "id",
        "--all-rows",
        "-o",
        "all.parquet",
    )
    assert result.exit_code == 0, result.output
    assert "night & day" in result.stdout or "label issues" in result.stdout
    table = pq.read_table(folder / "all.parquet")
    assert table.column_names == [
        "row",
        "id",
        "given_labels",
        "predicted_labels",
        "label_quality",
        "issue_classes",
        "is_label_issue",
    ]
    assert table.num_rows == 400 and table.column("id")[7].as_py() == "img007"


def test_clean_remove_and_relabel_keep_the_schema(folder: Path) -> None:
    data = pq.read_table(folder / "data.parquet")
    labels, probs = core_inputs(folder)
    mask, per_class = find_multilabel_issues(labels, probs, return_per_class=True)
    args = [
        "clean",
        "data.parquet",
        "--multi-label",
        "--label-column",
        "tags",
        "--probs",
        "probs.parquet",
    ]
    assert invoke(folder, *args, "-o", "removed.parquet").exit_code == 0
    removed = pq.read_table(folder / "removed.parquet")
    assert removed.schema == data.schema and removed.num_rows == int((~mask).sum())
    result = invoke(folder, *args, "-o", "relabelled.parquet", "--action", "relabel", "--json")
    assert result.exit_code == 0, result.output
    relabelled = pq.read_table(folder / "relabelled.parquet")
    assert relabelled.schema == data.schema
    assert relabelled.drop_columns(["tags"]).equals(data.drop_columns(["tags"]))
    new = relabelled.column("tags").to_pylist()
    for row in np.flatnonzero(mask)[:20]:
        flip = per_class[row] if per_class[row].any() else (probs[row] >= 0.5) != labels[row]
        suggested = (labels[row] == 1) ^ flip
        assert new[row] == [CLASSES[k] for k in np.flatnonzero(suggested)]
    unflagged = np.flatnonzero(~mask)
    assert [new[r] for r in unflagged] == [data.column("tags")[int(r)].as_py() for r in unflagged]
    assert "given label set with the classes flagged" in json.loads(result.stdout)["relabel_rule"]


def test_clean_csv_relabel_joins_with_the_separator(folder: Path) -> None:
    args = [
        "clean",
        "data.csv",
        "--multi-label",
        "--label-column",
        "tags",
        "--label-separator",
        ";",
        "--probs",
        "probs.parquet",
        "--action",
        "relabel",
    ]
    result = invoke(folder, *args, "-o", "clean.csv", "-q")
    assert result.exit_code == 0, result.output
    lines = (folder / "clean.csv").read_text().splitlines()
    assert lines[0] == "id,tags" and len(lines) == 401 and lines[1].startswith("img000,")


def test_gates_exit_1(folder: Path) -> None:
    result = invoke(folder, "find-issues", "--multi-label", *INPUTS["npy"], "--fail-above", "0.01")
    assert result.exit_code == 1 and "--fail-above" in result.stderr
    result = invoke(
        folder, "health", "--multi-label", *INPUTS["npy"], "--max-noise-rate", "0.01", "--json"
    )
    assert result.exit_code == 1
    assert json.loads(result.stdout)["checks"]["passed"] is False


# --- bad input: exit 2, one Error: line, nothing written ----------------------------------


def _bad(folder: Path, name: str, table: pa.Table) -> list[str]:
    pq.write_table(table, folder / name)
    return ["--labels", name, "--label-column", "tags", "--probs", "probs.parquet"]


BAD = {
    "unknown class": (pa.table({"tags": [["beach", "cat"]] + [[]] * 399}), "label 'cat' in row 0"),
    "duplicate": (pa.table({"tags": [["dog", "dog"]] + [[]] * 399}), "lists class 'dog' more"),
    "null inside": (pa.table({"tags": [[]] * 5 + [["dog", None]] + [[]] * 394}), "null inside"),
    "separator in name": (
        pa.table({"tags": ["beach,night & day"] * 400}),
        None,
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_labels_exit_2(folder: Path, case: str) -> None:
    table, message = BAD[case]
    args = _bad(folder, f"bad-{case}.parquet", table)
    if case == "separator in name":  # the class names of these probs contain the separator
        pq.write_table(pa.table({"a,b": [0.5] * 400, "c": [0.5] * 400}), folder / "sep.parquet")
        args = [*args[:-1], "sep.parquet"]
        message = "contains the label separator ','"
    out = folder / f"out-{case}.parquet"
    result = invoke(folder, "find-issues", "--multi-label", *args, "-o", out.name)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("Error:") and message in lines[0] and len(lines) <= 2
    assert not out.exists()


def test_probs_outside_unit_interval_exit_2(folder: Path) -> None:
    probs = np.load(folder / "probs.npy")
    probs[10, 3] = 1.25
    np.save(folder / "bad-probs.npy", probs)
    result = invoke(
        folder,
        "health",
        "--multi-label",
        "--labels",
        "labels.npy",
        "--probs",
        "bad-probs.npy",
        "-o",
        "h.json",
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: bad-probs.npy: pred_probs must lie in [0, 1]; row 10")
    assert not (folder / "h.json").exists()


def test_single_label_data_with_multi_label_warns(tmp_path: Path) -> None:
    np.save(tmp_path / "y.npy", np.eye(3, dtype=np.uint8)[[0, 1, 2, 0, 1, 2]])
    probs = np.full((6, 3), 0.1) + 0.7 * np.eye(3)[[0, 1, 2, 0, 1, 1]]
    np.save(tmp_path / "p.npy", probs)
    result = invoke(tmp_path, "score", "--multi-label", "--labels", "y.npy", "--probs", "p.npy")
    assert result.exit_code == 0 and "looks like single-label data" in result.stderr


@pytest.mark.parametrize("labels", ["data.parquet", "labels.npy"])
def test_multi_label_data_without_the_option_hints(
    folder: Path, tmp_path: Path, labels: str
) -> None:
    # probabilities that sum to 1, so that the label check is the one that fails
    probs = np.load(folder / "probs.npy")
    np.save(tmp_path / "softmax.npy", probs / probs.sum(axis=1, keepdims=True))
    args = ["--labels", str(folder / labels), "--probs", str(tmp_path / "softmax.npy")]
    if labels == "data.parquet":
        args += ["--label-column", "tags", "--classes", ",".join(CLASSES)]
    result = invoke(folder, "find-issues", *args)
    assert result.exit_code == 2 and "pass --multi-label" in result.stderr
    result = invoke(folder, "find-issues", "--labels", "labels.npy", "--probs", "probs.npy")
    assert result.exit_code == 2 and "--multi-label" in result.stderr


@pytest.mark.parametrize(
    "extra", [["--aggregator", "softmin"], ["--alpha", "0.5"], ["--label-separator", ";"]]
)
def test_multilabel_options_need_the_flag(folder: Path, extra: list[str]) -> None:
    result = invoke(folder, "score", "--labels", "labels.npy", "--probs", "probs.npy", *extra)
    assert result.exit_code == 2 and "only apply with --multi-label" in result.stderr


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--alpha", "1.5"], "not in [0, 1]"),
        (["--temperature", "0"], "not above 0"),
        (["--aggregator", "softmin", "--alpha", "0.5"], "--alpha applies to"),
        (["--normalize"], "--normalize does not apply"),
    ],
)
def test_bad_multilabel_options(folder: Path, extra: list[str], message: str) -> None:
    result = invoke(folder, "score", "--multi-label", *INPUTS["npy"], *extra)
    assert result.exit_code == 2 and message in result.stderr


def test_installed_command_exit_code(folder: Path) -> None:
    """The real process: exit 2 and one Error: line for a duplicate tag."""
    args = _bad(folder, "dup.parquet", BAD["duplicate"][0])
    done = subprocess.run(
        [sys.executable, "-m", "labelaudit", "find-issues", "--multi-label", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2 and done.stderr.startswith("Error:") and not done.stdout


def test_aggregator_choices_match_the_core() -> None:
    from labelaudit.cli.options import Aggregator
    from labelaudit.core.multilabel import AGGREGATORS

    assert tuple(choice.value for choice in Aggregator) == AGGREGATORS


@pytest.mark.parametrize("issues_suffix", ["parquet", "csv"])
def test_clean_with_issues_equals_recomputing(folder: Path, issues_suffix: str) -> None:
    """--issues (ranked or --all-rows, Parquet or CSV) relabels as recomputing does."""
    common = ["--multi-label", "--label-column", "tags"]
    probs = ["--probs", "probs.parquet", "--filter-by", "low_normalized_margin"]
    issues = f"reuse.{issues_suffix}"
    result = invoke(
        folder,
        "find-issues",
        "--labels",
        "data.parquet",
        *common,
        *probs,
        "--all-rows",
        "-o",
        issues,
        "-q",
    )
    assert result.exit_code == 0, result.output
    clean = ["clean", "data.parquet", *common, "--action", "relabel", "-q"]
    assert invoke(folder, *clean, *probs, "-o", "recomputed.parquet").exit_code == 0
    result = invoke(folder, *clean, "--issues", issues, "-o", "reused.parquet")
    assert result.exit_code == 0, result.output
    reused = pq.read_table(folder / "reused.parquet")
    recomputed = pq.read_table(folder / "recomputed.parquet")
    assert reused.schema == recomputed.schema
    assert reused.drop_columns(["tags"]).equals(recomputed.drop_columns(["tags"]))
    # the same sets; the order inside a relabelled set is the class order each path knows
    # (the probs' columns when recomputing, sorted names from the issues file)
    as_sets = [[set(tags) for tags in t.column("tags").to_pylist()] for t in (reused, recomputed)]
    assert as_sets[0] == as_sets[1]


def test_clean_with_issues_made_for_other_data(folder: Path) -> None:
    args = ["--multi-label", "--label-column", "tags"]
    result = invoke(
        folder,
        "find-issues",
        "--labels",
        "data.parquet",
        *args,
        "--probs",
        "probs.parquet",
        "-o",
        "made.parquet",
        "-q",
    )
    assert result.exit_code == 0
    table = pq.read_table(folder / "data.parquet")
    shuffled = table.take(pa.array(np.roll(np.arange(table.num_rows), 1)))
    pq.write_table(shuffled, folder / "other.parquet")
    result = invoke(
        folder,
        "clean",
        "other.parquet",
        *args,
        "--issues",
        "made.parquet",
        "--action",
        "relabel",
        "-o",
        "never.parquet",
    )
    assert result.exit_code == 2 and "was it made for other data?" in result.stderr
    assert not (folder / "never.parquet").exists()


@pytest.mark.parametrize(
    ("command", "option"),
    [
        pytest.param("find-issues", ["--junit-xml", "j.xml"], id="find-issues-junit"),
        pytest.param("health", ["--markdown", "s.md"], id="health-markdown"),
        pytest.param("health", ["--all-pairs"], id="health-all-pairs"),
        pytest.param("health", ["--flagged-count"], id="health-flagged-count"),
    ],
)
def test_single_label_only_options_are_refused_with_multi_label(
    tmp_path: Path, command: str, option: list[str]
) -> None:
    from typer.testing import CliRunner

    from labelaudit.cli import app

    labels = tmp_path / "y.npy"
    probs = tmp_path / "p.npy"
    np.save(labels, np.array([[1, 0], [0, 1], [1, 1], [0, 0]]))
    np.save(probs, np.array([[0.9, 0.1], [0.2, 0.8], [0.7, 0.6], [0.1, 0.2]]))
    result = CliRunner().invoke(
        app, [command, "--multi-label", "--labels", str(labels), "--probs", str(probs), *option]
    )
    assert result.exit_code == 2
    assert f"{option[0]}: not available with --multi-label yet." in result.stderr
    assert not (tmp_path / option[-1]).exists()
