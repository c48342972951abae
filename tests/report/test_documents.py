"""labelaudit.report.documents: result tables and JSON documents (and how they render)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from labelaudit.report import documents, terminal
from tests.datasets import CLASSES
from tests.report.fakes import fake_health, render


def test_label_rows_columns_and_records() -> None:
    labels = np.array([0, 1, 2, 1])
    predicted = np.array([0, 2, 2, 0])
    scores = np.array([0.9, 0.1, 0.8, 0.3], dtype=np.float32)
    facts = {
        "classes": CLASSES,
        "labels": labels,
        "predicted": predicted,
        "scores": scores,
        "ids": pd.Series(["a", "b", "c", "d"]),
        "id_column": "key",
        "is_label_issue": np.array([False, True, False, True]),
    }
    columns = documents.label_rows_columns(np.array([1, 3]), **facts)
    assert list(columns) == [
        "row",
        "key",
        "given_label",
        "predicted_label",
        "label_quality",
        "is_label_issue",
    ]
    assert columns["label_quality"].dtype == np.float64
    records = documents.label_rows_records(np.array([1, 3]), **facts)
    assert records == [
        {
            "row": 1,
            "key": "b",
            "given_label": "dog",
            "predicted_label": "bird",
            "label_quality": float(np.float32(0.1)),
            "is_label_issue": True,
        },
        {
            "row": 3,
            "key": "d",
            "given_label": "dog",
            "predicted_label": "cat",
            "label_quality": float(np.float32(0.3)),
            "is_label_issue": True,
        },
    ]


def test_label_rows_keep_integer_classes_integer() -> None:
    records = documents.label_rows_records(
        np.array([0, 1]),
        classes=[3, 7],
        labels=np.array([1, 0]),
        predicted=np.array([0, 0]),
        scores=np.array([0.5, 0.5]),
    )
    assert [r["given_label"] for r in records] == [7, 3]
    assert all(type(r["given_label"]) is int for r in records)
    assert list(records[0]) == ["row", "given_label", "predicted_label", "label_quality"]


def test_issues_summary() -> None:
    assert documents.issues_summary(3, 40) == "3 label issues in 40 rows (7.5%)"
    assert documents.issues_summary(1, 1000) == "1 label issue in 1,000 rows (0.1%)"


def test_find_issues_document_and_render() -> None:
    top = [{"row": 7, "given_label": "cat", "predicted_label": "dog", "label_quality": 0.01}]
    document = documents.find_issues_document(
        top,
        n_examples=40,
        n_classes=3,
        n_label_issues=4,
        filter_by="both",
        rank_by="normalized_margin",
        output="out.csv",
        fail_above=0.05,
    )
    assert document["fraction"] == pytest.approx(0.1)
    assert document["passed"] is False
    assert document["issues"] == [
        {"row": 7, "given_label": "cat", "predicted_label": "dog", "label_quality": 0.01}
    ]
    json.loads(documents.to_json(document))
    text = render(terminal.render_find_issues, document, top)
    assert "4 label issues in 40 rows (10.0%)" in text
    assert "0.0100" in text and "Wrote out.csv" in text


def test_to_json_handles_numpy_and_non_finite_values() -> None:
    text = documents.to_json(
        {"a": np.int64(2), "b": np.float32(0.5), "c": [np.nan], "d": np.arange(2)}
    )
    assert json.loads(text) == {"a": 2, "b": 0.5, "c": [None], "d": [0, 1]}


def test_health_document_has_the_contract_keys_and_class_names() -> None:
    document = documents.health_document(fake_health(), CLASSES)
    assert list(document) == [
        "n_examples",
        "n_classes",
        "n_label_issues",
        "noise_rate",
        "health_score",
        "classes",
        "n_class_pairs",
        "overlapping_classes",
        "top_confusions",
        "warnings",
    ]
    assert list(document["classes"][0]) == [
        "class",
        "n_examples",
        "n_label_issues",
        "n_inverse_label_issues",
        "label_noise",
        "inverse_label_noise",
        "label_quality",
    ]
    assert [c["class"] for c in document["classes"]] == ["bird", "dog", "cat"]
    assert document["classes"][0]["n_examples"] == 12
    assert document["overlapping_classes"] == [
        {"class_a": "cat", "class_b": "bird", "n_overlapping": 4, "joint_probability": 0.125}
    ]
    assert json.loads(documents.to_json(document)) == document


def test_clean_document_counts_per_given_class() -> None:
    document = documents.clean_document(
        action="remove",
        given=["a", "b", "a", "a"],
        changed=np.array([True, False, False, True]),
        n_flagged=2,
        output="clean.csv",
    )
    assert document["n_changed"] == 2 and document["n_rows_written"] == 2
    assert document["classes"] == [
        {"class": "a", "n_examples": 3, "n_changed": 2},
        {"class": "b", "n_examples": 1, "n_changed": 0},
    ]
    text = render(terminal.render_clean, document)
    assert "Removed 2 of 4 rows (50.0%)" in text


def test_clean_document_without_given_labels() -> None:
    document = documents.clean_document(
        action="relabel", given=None, changed=np.array([True, False]), n_flagged=1, output="o.csv"
    )
    assert document["classes"] == [] and document["n_rows_written"] == 2
    assert "Per given class" not in render(terminal.render_clean, document)


def test_score_document() -> None:
    lowest = [{"row": 1, "label_quality": 0.2}]
    document = documents.score_document(
        lowest,
        n_examples=3,
        method="self_confidence",
        adjust_pred_probs=True,
        scores=np.array([0.2, 0.5, 0.8]),
        output=None,
    )
    assert document["mean_label_quality"] == pytest.approx(0.5)
    assert document["min_label_quality"] == pytest.approx(0.2)
    assert "(adjusted)" in render(terminal.render_score, document, lowest)
