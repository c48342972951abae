"""Tests of labelaudit.report: result tables, JSON documents and the rich rendering."""

from __future__ import annotations

import io as stdio
import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from labelaudit.report import documents, terminal

CLASSES = ["cat", "dog", "bird"]


def fake_health(n_classes: int = 3) -> SimpleNamespace:
    """A HealthReport-shaped object with distinct numbers in every field."""
    noise = np.full((n_classes, n_classes), 0.05)
    np.fill_diagonal(noise, 0.9)
    classes = [
        SimpleNamespace(
            class_index=k,
            n_examples=10 + k,
            n_label_issues=k,
            n_inverse_label_issues=k + 1,
            label_noise=0.01 * k,
            inverse_label_noise=0.02 * k,
            label_quality=1 - 0.01 * k,
        )
        for k in reversed(range(n_classes))  # worst first
    ]
    overlaps = [
        SimpleNamespace(class_a=0, class_b=2, n_overlapping=4, joint_probability=np.float64(0.125))
    ]
    return SimpleNamespace(
        n_examples=40,
        n_classes=n_classes,
        n_label_issues=np.int64(3),
        noise_rate=0.075,
        health_score=0.925,
        classes=classes,
        overlapping_classes=overlaps,
        noise_matrix=noise,
        joint=noise / noise.sum(),
    )


def render(function, *args, color: bool = False, **kwargs) -> str:
    buffer = stdio.StringIO()
    console = Console(
        file=buffer, width=100, force_terminal=color, color_system="truecolor" if color else None
    )
    function(console, *args, **kwargs)
    return buffer.getvalue()


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


def test_tiny_label_quality_is_not_shown_as_zero() -> None:
    top = [{"row": 1, "label_quality": 0.00002}, {"row": 2, "label_quality": 0.5}]
    document = {"n_label_issues": 2, "n_examples": 9, "output": None}
    text = render(terminal.render_find_issues, document, top)
    assert "2.0e-05" in text and "0.5000" in text


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
        "overlapping_classes",
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


def test_render_health_shows_panel_tables_and_heatmap() -> None:
    text = render(terminal.render_health, fake_health(), CLASSES, top=5)
    assert "Health score 0.925" in text and "7.5%" in text
    assert "Per class" in text and "bird" in text
    assert "Most overlapping classes (top 1)" in text
    assert "Noise matrix" in text and " 90 " in text


def test_heatmap_is_coloured_on_a_colour_terminal() -> None:
    coloured = render(terminal.render_health, fake_health(), CLASSES, top=5, color=True)
    plain = render(terminal.render_health, fake_health(), CLASSES, top=5)
    assert "\x1b[" not in plain
    assert "48;2;" in coloured  # 24-bit background colours of the heatmap cells


def test_heatmap_is_skipped_for_many_classes() -> None:
    many = [f"c{k}" for k in range(25)]
    text = render(terminal.render_health, fake_health(25), many, top=0)
    assert "Noise matrix not drawn for 25 classes" in text
    assert "Most overlapping" not in text


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


def test_warn_goes_to_stderr_unless_quiet(capsys) -> None:
    terminal.warn("careful", quiet=False)
    terminal.warn("hidden", quiet=True)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Warning: careful" in captured.err and "hidden" not in captured.err
