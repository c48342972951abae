"""``labelaudit health``: the dataset-level report, its JSON document and its gates."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from labelaudit.core.health import health_report
from tests.conftest import Invoke, Run
from tests.datasets import CLASSES, N_ROWS, Dataset


def expected_health_document(dataset: Dataset, classes: list) -> dict:
    health = health_report(dataset.labels, dataset.probs)
    return {
        "n_examples": health.n_examples,
        "n_classes": health.n_classes,
        "n_label_issues": health.n_label_issues,
        "noise_rate": health.noise_rate,
        "health_score": health.health_score,
        "classes": [
            {
                "class": classes[c.class_index],
                "n_examples": c.n_examples,
                "n_label_issues": c.n_label_issues,
                "n_inverse_label_issues": c.n_inverse_label_issues,
                "label_noise": c.label_noise,
                "inverse_label_noise": c.inverse_label_noise,
                "label_quality": c.label_quality,
            }
            for c in health.classes
        ],
        "overlapping_classes": [
            {
                "class_a": classes[o.class_a],
                "class_b": classes[o.class_b],
                "n_overlapping": o.n_overlapping,
                "joint_probability": o.joint_probability,
            }
            for o in health.overlapping_classes
        ],
    }


def test_health_json_and_file_equal_the_core(data: Dataset, invoke: Invoke) -> None:
    result = invoke("health", "--labels", "data.csv", "--probs", "p.parquet",
                    "--id-column", "id", "--json", "-o", "health.json")  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert json.loads(data.path("health.json").read_text()) == document
    no_gates = {
        "max_noise_rate": None,
        "max_class_noise_rate": None,
        "passed": True,
        "failures": [],
    }
    assert document.pop("checks") == no_gates
    # v2 additions, each checked against the core; the rest is the v1 document.
    core = health_report(data.labels, data.probs)
    matrix = document.pop("noise_matrix")
    assert matrix["classes"] == CLASSES
    np.testing.assert_allclose(matrix["given_by_true"], core.noise_matrix)
    assert document.pop("noise_matrix_omitted") is None
    assert document.pop("n_class_pairs") == 3
    assert document.pop("counts")["confident_learning_estimate"]["value"] == core.n_label_issues
    assert len(document.pop("top_confusions")) > 0
    assert isinstance(document.pop("warnings"), list)
    assert document == expected_health_document(data, CLASSES)
    assert document["health_score"] == pytest.approx(1 - document["noise_rate"])
    assert document["noise_rate"] == pytest.approx(document["n_label_issues"] / N_ROWS)


def test_health_human_output(data: Dataset, invoke: Invoke) -> None:
    result = invoke("health", "--labels", "y.npy", "--probs", "p.npy")
    assert result.exit_code == 0, result.output
    health = health_report(data.labels, data.probs)
    assert f"Health score {health.health_score:.3f}" in result.stdout
    assert "Per class" in result.stdout and "Most overlapping classes" in result.stdout
    assert "Noise matrix" in result.stdout
    assert result.stderr == ""


def test_health_thresholds_trip_and_pass(data: Dataset, invoke: Invoke, run: Run) -> None:
    health = health_report(data.labels, data.probs)
    worst = max(c.label_noise for c in health.classes)
    base = ["health", "--labels", "y.npy", "--probs", "p.npy", "--quiet"]
    worst_class = next(c.class_index for c in health.classes if c.label_noise == worst)
    noise_error = f"Error: noise rate {100 * health.noise_rate:.1f}% is above --max-noise-rate"
    class_error = (
        f"Error: class '{worst_class}' has label noise {100 * worst:.1f}% (and 1 more classes), "
        "above --max-class-noise-rate"
    )
    rate, below, above = health.noise_rate, -0.005, 0.005
    cases = [  # the option, the exit code and the whole of stderr
        (["--max-noise-rate", f"{rate + below}"], 1, f"{noise_error} {rate + below:g}.\n"),
        (["--max-noise-rate", f"{rate + above}"], 0, ""),
        (["--max-class-noise-rate", f"{worst + below}"], 1, f"{class_error} {worst + below:g}.\n"),
        (["--max-class-noise-rate", f"{worst + above}"], 0, ""),
    ]
    for extra, code, error in cases:
        result = invoke(*base, *extra)
        assert result.exit_code == code, (extra, result.output)
        assert result.stderr == error
        assert result.stdout == ""
    tripped = run(*base, "-o", "h.json", "--max-noise-rate", "0")
    assert tripped.returncode == 1 and tripped.stderr.startswith("Error: noise rate")
    assert tripped.stderr == f"{noise_error} 0.\n"
    assert json.loads(data.path("h.json").read_text())["noise_rate"] == health.noise_rate


def test_health_heatmap_only_up_to_twenty_classes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, invoke: Invoke
) -> None:
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(3)
    n_classes = 22
    probs = rng.dirichlet(np.full(n_classes, 0.3), size=300)
    labels = probs.argmax(axis=1)
    labels[:40] = rng.integers(0, n_classes, 40)
    np.save(tmp_path / "p.npy", probs)
    np.save(tmp_path / "y.npy", labels)
    result = invoke("health", "--labels", "y.npy", "--probs", "p.npy")
    assert result.exit_code == 0, result.output
    assert "Noise matrix not drawn for 22 classes" in result.stdout


def test_health_json_reports_failed_gates(data: Dataset, invoke: Invoke) -> None:
    result = invoke("health", "--labels", "y.npy", "--probs", "p.npy", "--json",
                    "--max-noise-rate", "0", "--max-class-noise-rate", "0.001")  # fmt: skip
    assert result.exit_code == 1
    checks = json.loads(result.stdout)["checks"]
    assert checks["passed"] is False
    assert [f["check"] for f in checks["failures"]] == ["max_noise_rate", "max_class_noise_rate"]
    assert checks["failures"][0]["threshold"] == 0
    assert checks["failures"][0]["value"] > 0
