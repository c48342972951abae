"""The multi-label use cases called directly: documents, written rows, clean's relabel rule."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from labelaudit.core.multilabel import (
    find_multilabel_issues,
    multilabel_health,
    multilabel_quality_scores,
)
from labelaudit.errors import InputError
from labelaudit.pipeline.multilabel import (
    Aggregation,
    MultilabelSources,
    find_issues,
    health,
    score_labels,
)
from labelaudit.pipeline.multilabel_clean import clean_multilabel, suggested_label_sets
from labelaudit.pipeline.options import CleanOptions, IssueOptions, ResultOptions, ScoreOptions
from tests.core.test_multilabel_datasets import synthetic_multilabel


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    case = synthetic_multilabel(300, 4, 21, np.float32)
    path = tmp_path_factory.mktemp("ml-pipeline")
    np.save(path / "labels.npy", case.labels.astype(np.uint8))
    np.save(path / "probs.npy", case.pred_probs)
    lists = [np.flatnonzero(row).tolist() for row in case.labels]
    table = pa.table(
        {"tags": pa.array(lists, pa.list_(pa.int32())), "note": [f"n{i}" for i in range(300)]}
    )
    pq.write_table(table, path / "data.parquet")
    return path


def sources(folder: Path, **kwargs) -> MultilabelSources:
    return MultilabelSources(folder / "labels.npy", [folder / "probs.npy"], **kwargs)


def arrays(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    return np.load(folder / "labels.npy"), np.load(folder / "probs.npy")


def test_find_issues_document_and_rows(folder: Path) -> None:
    document, checks = find_issues(
        sources(folder),
        IssueOptions(filter_by="prune_by_class", rank_by="normalized_margin"),
        ResultOptions(output=folder / "issues.parquet", top=3, fail_above=0.0),
        aggregation=Aggregation("exponential_moving_average", alpha=0.5),
    )
    labels, probs = arrays(folder)
    mask = find_multilabel_issues(labels, probs, filter_by="prune_by_class")
    scores = multilabel_quality_scores(labels, probs, method="normalized_margin", alpha=0.5)
    assert document["n_label_issues"] == int(mask.sum()) and document["alpha"] == 0.5
    assert document["multi_label"] is True and "temperature" not in document
    assert [r["row"] for r in document["issues"]] == (
        np.flatnonzero(mask)[np.argsort(scores[mask], kind="stable")][:3].tolist()
    )
    assert not checks.passed  # some rows flagged, above --fail-above 0
    first = document["issues"][0]
    assert first["given_labels"] == np.flatnonzero(labels[first["row"]]).tolist()
    assert first["predicted_labels"] == np.flatnonzero(probs[first["row"]] >= 0.5).tolist()
    table = pq.read_table(folder / "issues.parquet")
    assert table.num_rows == int(mask.sum())
    assert pa.types.is_list(table.schema.field("issue_classes").type)


def test_score_issue_classes_are_disagreements(folder: Path) -> None:
    document = score_labels(sources(folder), None, ResultOptions(folder / "scores.parquet", top=2))
    labels, probs = arrays(folder)
    table = pq.read_table(folder / "scores.parquet")
    disagree = (probs >= 0.5) != (labels == 1)
    assert table.column("issue_classes").to_pylist() == [
        np.flatnonzero(row).tolist() for row in disagree
    ]
    expected = multilabel_quality_scores(labels, probs)
    np.testing.assert_array_equal(table.column("label_quality").to_numpy(), expected)
    assert document["min_label_quality"] == pytest.approx(expected.min())
    assert document["lowest"][0]["row"] == int(np.argmin(expected))


def test_health_document(folder: Path) -> None:
    result = health(sources(folder), output=folder / "health.json", max_class_noise_rate=0.0)
    expected = multilabel_health(*arrays(folder))
    on_disk = json.loads((folder / "health.json").read_text())
    assert on_disk == result.document
    assert on_disk["noise_rate"] == pytest.approx(1 - expected.health_score)
    assert [c["class"] for c in on_disk["classes"]] == [c.class_index for c in expected.classes]
    assert on_disk["checks"]["passed"] is False and not result.checks.passed


def test_more_than_one_probs_file_is_refused(folder: Path) -> None:
    two = MultilabelSources(folder / "labels.npy", [folder / "probs.npy"] * 2)
    with pytest.raises(InputError, match="takes one --probs file"):
        find_issues(two)


def test_suggested_label_sets() -> None:
    labels = np.array([[1, 0, 1], [0, 0, 0], [1, 1, 0]])
    probs = np.array([[0.9, 0.1, 0.2], [0.8, 0.9, 0.1], [0.9, 0.9, 0.9]])
    per_class = np.array([[False, False, True], [False, False, False], [False, True, False]])
    rows = np.array([0, 1, 2])
    suggested = suggested_label_sets(labels, probs, per_class, rows)
    # row 0: class 2 flagged -> dropped; row 1: nothing flagged -> disagreements with p >= 0.5
    # (classes 0 and 1 added); row 2: class 1 flagged -> dropped, class 2 left as given.
    np.testing.assert_array_equal(suggested, [[1, 0, 0], [1, 1, 0], [1, 0, 0]])


def test_clean_with_npy_labels_relabels_an_integer_list_column(folder: Path) -> None:
    out = folder / "clean.parquet"
    document = clean_multilabel(
        folder / "data.parquet",
        out,
        sources=sources(folder),
        options=CleanOptions(label_column="tags", action="relabel"),
    )
    labels, probs = arrays(folder)
    mask, per_class = find_multilabel_issues(labels, probs, return_per_class=True)
    rows = np.flatnonzero(mask)
    assert document["action"] == "relabel" and document["n_flagged"] == len(rows)
    data = pq.read_table(folder / "data.parquet")
    cleaned = pq.read_table(out)
    assert cleaned.schema == data.schema  # list<int32> stays list<int32>
    assert cleaned.column("note").equals(data.column("note"))
    suggested = suggested_label_sets(labels, probs, per_class, rows)
    tags = cleaned.column("tags").to_pylist()
    assert [tags[r] for r in rows] == [np.flatnonzero(s).tolist() for s in suggested]
    changed = int((suggested != (labels[rows] == 1)).any(axis=1).sum())
    assert document["n_changed"] == changed


def test_clean_needs_the_label_column(folder: Path) -> None:
    with pytest.raises(InputError, match="no label column 'nope'"):
        clean_multilabel(
            folder / "data.parquet",
            folder / "never.parquet",
            sources=sources(folder),
            options=CleanOptions(label_column="nope", action="relabel"),
        )
    assert not (folder / "never.parquet").exists()


@pytest.mark.parametrize("method", ["self_confidence", "confidence_weighted_entropy"])
def test_chunked_scores_and_blocked_writes_equal_one_pass(
    folder: Path, monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    """Rows scored 64 at a time and written 50 at a time give the one-pass numbers and rows."""
    from labelaudit.io import multilabel_write
    from labelaudit.pipeline import multilabel

    monkeypatch.setattr(multilabel, "SCORE_CHUNK_ROWS", 64)
    monkeypatch.setattr(multilabel_write, "ROWS_PER_BLOCK", 50)
    aggregation = Aggregation("softmin", temperature=0.2)
    for suffix in ("parquet", "csv"):
        out = folder / f"chunked.{suffix}"
        score_labels(sources(folder), ScoreOptions(method), ResultOptions(out), aggregation)
    labels, probs = arrays(folder)
    expected = multilabel_quality_scores(
        labels, probs, method=method, aggregator="softmin", temperature=0.2
    )
    table = pq.read_table(folder / "chunked.parquet")
    np.testing.assert_array_equal(table.column("label_quality").to_numpy(), expected)
    assert table.column("row").to_pylist() == list(range(300))
    assert len((folder / "chunked.csv").read_text().splitlines()) == 301
