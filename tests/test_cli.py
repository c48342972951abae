"""Tests of the audit commands (find-issues, score, health, clean) through the CLI.

Most run in-process with typer's CliRunner; a few run the real ``python -m labelaudit`` to check
the exit codes a shell sees. Results are compared with the core called directly.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from labelaudit.cli import CleanAction, FilterBy, ScoreMethod, app
from labelaudit.core.filtering import FILTERS, find_label_issues
from labelaudit.core.health import health_report
from labelaudit.core.ranking import (
    SCORE_METHODS,
    ensemble_label_quality_scores,
    label_quality_scores,
    order_label_issues,
)

CLASSES = ["cat", "dog", "bird"]
N_ROWS = 150


@dataclass
class Dataset:
    """Small noisy inputs in every format, in one folder."""

    folder: Path
    labels: np.ndarray  # noisy given labels as class indices
    probs: np.ndarray  # (N, K) float32
    other_probs: np.ndarray  # a second model, for ensembles

    @property
    def names(self) -> np.ndarray:
        return np.array(CLASSES)[self.labels]

    def path(self, name: str) -> Path:
        return self.folder / name


def make_probs(true: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(len(true), len(CLASSES)))
    logits[np.arange(len(true)), true] += 2.5
    probs = np.exp(logits)
    return (probs / probs.sum(axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture
def data(tmp_path: Path) -> Dataset:
    rng = np.random.default_rng(7)
    true = rng.integers(0, len(CLASSES), N_ROWS)
    labels = true.copy()
    flipped = rng.random(N_ROWS) < 0.12
    labels[flipped] = (true[flipped] + 1) % len(CLASSES)
    dataset = Dataset(tmp_path, labels, make_probs(true, 1), make_probs(true, 2))
    ids = [f"r{i:03d}" for i in range(N_ROWS)]
    names = dataset.names

    pd.DataFrame({"label": labels}).to_parquet(dataset.path("y.parquet"))
    np.save(dataset.path("y.npy"), labels)
    np.save(dataset.path("p.npy"), dataset.probs)
    np.save(dataset.path("p2.npy"), dataset.other_probs)
    probs_columns = {name: dataset.probs[:, k] for k, name in enumerate(CLASSES)}
    pd.DataFrame({"id": ids, **probs_columns}).to_parquet(dataset.path("p.parquet"))
    pd.DataFrame({"id": ids, **probs_columns}).to_csv(dataset.path("p.csv"), index=False)
    int_columns = {str(k): dataset.probs[:, k] for k in range(len(CLASSES))}
    pd.DataFrame(int_columns).to_parquet(dataset.path("p_int.parquet"))
    data_frame = pd.DataFrame(
        {
            "id": ids,
            "x": rng.normal(size=N_ROWS),
            "count": rng.integers(0, 9, N_ROWS).astype(np.int32),
            "label": names,
        }
    )
    data_frame.to_csv(dataset.path("data.csv"), index=False)
    data_frame.to_parquet(dataset.path("data.parquet"))
    return dataset


runner = CliRunner()


def invoke(folder: Path, *args: str | Path):
    """Run ``labelaudit ARGS`` in-process with *folder* as the working directory."""
    import os

    old = Path.cwd()
    os.chdir(folder)
    try:
        return runner.invoke(app, [str(a) for a in args])
    finally:
        os.chdir(old)


def run(folder: Path, *args: str | Path) -> subprocess.CompletedProcess:
    """Run the real ``python -m labelaudit ARGS`` in *folder*."""
    return subprocess.run(
        [sys.executable, "-m", "labelaudit", *map(str, args)],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )


def expected_issues(dataset: Dataset, filter_by: str = "prune_by_noise_rate", **kwargs) -> tuple:
    """The core's flagged rows (ranked), mask and scores for *dataset*'s single model."""
    rank_by = kwargs.pop("rank_by", "self_confidence")
    mask = find_label_issues(dataset.labels, dataset.probs, filter_by=filter_by, **kwargs)
    scores = label_quality_scores(dataset.labels, dataset.probs, method=rank_by)
    return order_label_issues(mask, scores), mask, scores


# --- help, version, choices -------------------------------------------------------------------


@pytest.mark.parametrize("command", ["find-issues", "score", "health", "clean"])
def test_command_help(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "--json" in result.stdout and "--debug" in result.stdout


def test_choices_match_the_core() -> None:
    assert tuple(choice.value for choice in FilterBy) == FILTERS
    assert tuple(choice.value for choice in ScoreMethod) == SCORE_METHODS
    assert [choice.value for choice in CleanAction] == ["remove", "relabel"]


def test_help_does_not_import_heavy_modules() -> None:
    code = (
        "import sys\nfrom labelaudit.cli import app\n"
        "assert not {'numpy', 'pandas', 'pyarrow', 'sklearn'} & set(sys.modules), sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_quiet_find_issues_on_npy_does_not_import_pandas_sklearn_or_rich(tmp_path: Path) -> None:
    # Start-up time is part of the performance targets: a pipeline run needs none of these.
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(4), size=200)
    np.save(tmp_path / "p.npy", probs)
    np.save(tmp_path / "y.npy", probs.argmax(axis=1))
    code = (
        "import sys\nfrom labelaudit.cli import main\n"
        "sys.argv = ['labelaudit', 'find-issues', '--labels', 'y.npy', '--probs', 'p.npy',"
        " '-o', 'out.parquet', '--quiet']\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    assert not exit.code, exit.code\n"
        "loaded = {name.split('.')[0] for name in sys.modules}\n"
        "assert not {'pandas', 'sklearn', 'rich'} & loaded, sorted(loaded)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path)
    assert (tmp_path / "out.parquet").exists()


# --- find-issues ------------------------------------------------------------------------------


def test_exact_invocation_from_the_contract(data: Dataset) -> None:
    done = run(data.folder, "find-issues", "--labels", "y.parquet", "--probs", "p.npy")
    ranked, _, _ = expected_issues(data)
    assert done.returncode == 0, done.stderr
    percent = f"{100 * len(ranked) / N_ROWS:.1f}%"
    assert f"{len(ranked)} label issues in {N_ROWS} rows ({percent})" in done.stdout
    assert str(ranked[0]) in done.stdout
    assert done.stderr == ""


@pytest.mark.parametrize("filter_by", FILTERS)
def test_find_issues_output_equals_the_core(data: Dataset, filter_by: str) -> None:
    result = invoke(
        data.folder, "find-issues", "--labels", "y.parquet", "--probs", "p.npy",
        "--filter-by", filter_by, "-o", "issues.parquet",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    ranked, _, scores = expected_issues(data, filter_by)
    written = pd.read_parquet(data.path("issues.parquet"))
    assert list(written.columns) == [
        "row", "given_label", "predicted_label", "label_quality", "is_label_issue",
    ]  # fmt: skip
    assert written["row"].tolist() == ranked.tolist()
    assert written["given_label"].tolist() == data.labels[ranked].tolist()
    assert written["predicted_label"].tolist() == data.probs[ranked].argmax(axis=1).tolist()
    np.testing.assert_array_equal(written["label_quality"].to_numpy(), scores[ranked])
    assert written["is_label_issue"].all()


@pytest.mark.parametrize("rank_by", SCORE_METHODS)
def test_find_issues_rank_by(data: Dataset, rank_by: str) -> None:
    result = invoke(
        data.folder, "find-issues", "--labels", "y.parquet", "--probs", "p.npy",
        "--rank-by", rank_by, "-o", "issues.csv",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    ranked, _, scores = expected_issues(data, rank_by=rank_by)
    written = pd.read_csv(data.path("issues.csv"))
    assert written["row"].tolist() == ranked.tolist()
    np.testing.assert_allclose(written["label_quality"], scores[ranked], rtol=1e-12)
    assert np.all(np.diff(written["label_quality"]) >= 0)


def test_find_issues_frac_noise_and_min_examples(data: Dataset) -> None:
    result = invoke(
        data.folder, "find-issues", "--labels", "y.parquet", "--probs", "p.npy",
        "--frac-noise", "0.5", "--min-examples-per-class", "60", "-o", "issues.parquet",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Warning:" in result.stderr and "min_examples_per_class=60" in result.stderr
    with pytest.warns(UserWarning):
        ranked, _, _ = expected_issues(data, frac_noise=0.5, min_examples_per_class=60)
    full, _, _ = expected_issues(data)
    assert len(ranked) < len(full)
    assert pd.read_parquet(data.path("issues.parquet"))["row"].tolist() == ranked.tolist()


def test_find_issues_all_rows_in_input_order(data: Dataset) -> None:
    result = invoke(
        data.folder, "find-issues", "--labels", "data.csv", "--probs", "p.parquet",
        "--id-column", "id", "--all-rows", "-o", "all.csv",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    _, mask, scores = expected_issues(data)
    written = pd.read_csv(data.path("all.csv"))
    assert list(written.columns) == [
        "row", "id", "given_label", "predicted_label", "label_quality", "is_label_issue",
    ]  # fmt: skip
    assert written["row"].tolist() == list(range(N_ROWS))
    assert written["id"].tolist() == [f"r{i:03d}" for i in range(N_ROWS)]
    assert written["given_label"].tolist() == data.names.tolist()
    assert written["is_label_issue"].tolist() == mask.tolist()
    np.testing.assert_allclose(written["label_quality"], scores, rtol=1e-12)


def test_find_issues_csv_and_parquet_outputs_agree(data: Dataset) -> None:
    for name in ("i.csv", "i.parquet"):
        assert invoke(data.folder, "find-issues", "--labels", "data.csv", "--probs",
                      "p.parquet", "--id-column", "id", "-o", name).exit_code == 0  # fmt: skip
    from_csv = pd.read_csv(data.path("i.csv"))
    from_parquet = pd.read_parquet(data.path("i.parquet"))
    pd.testing.assert_frame_equal(from_csv, from_parquet, check_dtype=False)


def test_find_issues_json_is_one_document(data: Dataset) -> None:
    result = invoke(
        data.folder, "find-issues", "--labels", "y.parquet", "--probs", "p.npy", "--json",
        "--top", "4",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    ranked, _, scores = expected_issues(data)
    assert document["n_label_issues"] == len(ranked)
    assert document["n_examples"] == N_ROWS and document["n_classes"] == 3
    assert [row["row"] for row in document["issues"]] == ranked[:4].tolist()
    assert document["issues"][0]["label_quality"] == pytest.approx(scores[ranked[0]])
    assert result.stderr == ""


def test_find_issues_top_controls_the_table(data: Dataset) -> None:
    ranked, _, _ = expected_issues(data)
    shown = invoke(data.folder, "find-issues", "--labels", "y.parquet", "--probs", "p.npy",
                   "--top", "2").stdout  # fmt: skip
    assert "top 2" in shown and f"\n  {ranked[0]:>3} " in shown
    hidden = invoke(data.folder, "find-issues", "--labels", "y.parquet", "--probs", "p.npy",
                    "--top", "0").stdout  # fmt: skip
    assert hidden.strip().splitlines() == [hidden.strip().splitlines()[0]]


def test_find_issues_quiet_prints_nothing_but_writes(data: Dataset) -> None:
    result = invoke(data.folder, "find-issues", "--labels", "y.parquet", "--probs", "p.npy",
                    "--quiet", "-o", "i.parquet")  # fmt: skip
    assert result.exit_code == 0
    assert result.stdout == "" and result.stderr == ""
    assert data.path("i.parquet").exists()


def test_fail_above_trips_after_writing_and_passes(data: Dataset) -> None:
    ranked, _, _ = expected_issues(data)
    fraction = len(ranked) / N_ROWS
    tripped = invoke(data.folder, "find-issues", "--labels", "y.parquet", "--probs", "p.npy",
                     "--fail-above", f"{fraction - 0.01}", "-o", "i.csv")  # fmt: skip
    assert tripped.exit_code == 1
    assert tripped.stderr.startswith("Error:") and "--fail-above" in tripped.stderr
    assert "label issues in" in tripped.stdout
    assert len(pd.read_csv(data.path("i.csv"))) == len(ranked)
    passed = invoke(data.folder, "find-issues", "--labels", "y.parquet", "--probs", "p.npy",
                    "--fail-above", f"{fraction + 0.01}", "--json")  # fmt: skip
    assert passed.exit_code == 0
    assert json.loads(passed.stdout)["passed"] is True


def test_fail_above_exit_code_in_a_real_process(data: Dataset) -> None:
    done = run(data.folder, "find-issues", "--labels", "y.parquet", "--probs", "p.npy",
               "--fail-above", "0", "--json")  # fmt: skip
    assert done.returncode == 1
    assert json.loads(done.stdout)["passed"] is False
    assert done.stderr.startswith("Error:") and "Traceback" not in done.stderr


# --- label formats and class mapping ----------------------------------------------------------


def test_string_labels_with_npy_probs_and_classes(data: Dataset) -> None:
    result = invoke(data.folder, "find-issues", "--labels", "data.csv", "--probs", "p.npy",
                    "--classes", "cat,dog,bird", "-o", "i.parquet")  # fmt: skip
    assert result.exit_code == 0, result.output
    ranked, _, _ = expected_issues(data)
    written = pd.read_parquet(data.path("i.parquet"))
    assert written["row"].tolist() == ranked.tolist()
    assert written["given_label"].tolist() == data.names[ranked].tolist()
    predicted = np.array(CLASSES)[data.probs[ranked].argmax(axis=1)]
    assert written["predicted_label"].tolist() == predicted.tolist()


@pytest.mark.parametrize("probs_name", ["p.npy", "p_int.parquet"])
def test_integer_labels_stay_integers(data: Dataset, probs_name: str) -> None:
    result = invoke(data.folder, "find-issues", "--labels", "y.npy", "--probs", probs_name,
                    "-o", "i.parquet")  # fmt: skip
    assert result.exit_code == 0, result.output
    written = pd.read_parquet(data.path("i.parquet"))
    assert pd.api.types.is_integer_dtype(written["given_label"])
    assert pd.api.types.is_integer_dtype(written["predicted_label"])
    assert written["row"].tolist() == expected_issues(data)[0].tolist()


def test_probs_table_in_another_column_order(data: Dataset) -> None:
    shuffled = pd.read_parquet(data.path("p.parquet"))[["bird", "id", "cat", "dog"]]
    shuffled.to_csv(data.path("shuffled.csv"), index=False)
    result = invoke(data.folder, "score", "--labels", "data.csv", "--probs", "shuffled.csv",
                    "--id-column", "id", "-o", "s.csv")  # fmt: skip
    assert result.exit_code == 0, result.output
    scores = pd.read_csv(data.path("s.csv"))["label_quality"]
    np.testing.assert_allclose(scores, data.probs[np.arange(N_ROWS), data.labels], rtol=1e-6)


def test_normalize_rescales_rows(data: Dataset) -> None:
    unnormalised = data.probs.astype(np.float64) * 2.0 / 3.0
    np.save(data.path("half.npy"), unnormalised)
    refused = invoke(data.folder, "score", "--labels", "y.npy", "--probs", "half.npy")
    assert refused.exit_code == 2 and "--normalize" in refused.stderr
    result = invoke(data.folder, "score", "--labels", "y.npy", "--probs", "half.npy",
                    "--normalize", "-o", "s.parquet")  # fmt: skip
    assert result.exit_code == 0, result.output
    fixed = unnormalised / unnormalised.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(
        pd.read_parquet(data.path("s.parquet"))["label_quality"],
        label_quality_scores(data.labels, fixed),
    )


def test_ensemble_uses_mean_probs_for_issues_and_weighted_scores(data: Dataset) -> None:
    result = invoke(data.folder, "find-issues", "--labels", "y.npy", "--probs", "p.npy",
                    "--probs", "p2.npy", "--all-rows", "-o", "i.parquet")  # fmt: skip
    assert result.exit_code == 0, result.output
    mean = (data.probs.astype(np.float64) + data.other_probs) / 2
    mask = find_label_issues(data.labels, mean)
    scores = ensemble_label_quality_scores(
        data.labels, [data.probs, data.other_probs], weight_by="accuracy"
    )
    written = pd.read_parquet(data.path("i.parquet"))
    assert written["is_label_issue"].tolist() == mask.tolist()
    np.testing.assert_allclose(written["label_quality"], scores, rtol=1e-6)
    assert written["predicted_label"].tolist() == mean.argmax(axis=1).tolist()


# --- score ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "adjust"),
    [(method, False) for method in SCORE_METHODS]
    + [("self_confidence", True), ("normalized_margin", True)],  # entropy: see the error test
)
def test_score_equals_the_core(data: Dataset, method: str, adjust: bool) -> None:
    args = ["score", "--labels", "data.parquet", "--probs", "p.parquet", "--id-column", "id",
            "--method", method, "-o", "s.parquet"]  # fmt: skip
    result = invoke(data.folder, *args, *(["--adjust-pred-probs"] if adjust else []))
    assert result.exit_code == 0, result.output
    written = pd.read_parquet(data.path("s.parquet"))
    assert list(written.columns) == ["row", "id", "given_label", "predicted_label", "label_quality"]
    assert written["row"].tolist() == list(range(N_ROWS))
    expected = label_quality_scores(
        data.labels, data.probs, method=method, adjust_pred_probs=adjust
    )
    np.testing.assert_array_equal(written["label_quality"].to_numpy(), expected)


def test_score_json_and_ensemble(data: Dataset) -> None:
    result = invoke(data.folder, "score", "--labels", "y.npy", "--probs", "p.npy", "--probs",
                    "p2.npy", "--method", "normalized_margin", "--json", "--top", "3")  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    scores = ensemble_label_quality_scores(
        data.labels, [data.probs, data.other_probs], method="normalized_margin"
    )
    assert document["mean_label_quality"] == pytest.approx(scores.mean())
    assert [row["row"] for row in document["lowest"]] == np.argsort(scores)[:3].tolist()


def test_score_adjust_with_entropy_is_a_usage_error(data: Dataset) -> None:
    result = invoke(data.folder, "score", "--labels", "y.npy", "--probs", "p.npy", "--method",
                    "confidence_weighted_entropy", "--adjust-pred-probs")  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: --adjust-pred-probs")


# --- health -----------------------------------------------------------------------------------


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


def test_health_json_and_file_equal_the_core(data: Dataset) -> None:
    result = invoke(data.folder, "health", "--labels", "data.csv", "--probs", "p.parquet",
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
    assert document == expected_health_document(data, CLASSES)
    assert document["health_score"] == pytest.approx(1 - document["noise_rate"])
    assert document["noise_rate"] == pytest.approx(document["n_label_issues"] / N_ROWS)


def test_health_human_output(data: Dataset) -> None:
    result = invoke(data.folder, "health", "--labels", "y.npy", "--probs", "p.npy")
    assert result.exit_code == 0, result.output
    health = health_report(data.labels, data.probs)
    assert f"Health score {health.health_score:.3f}" in result.stdout
    assert "Per class" in result.stdout and "Most overlapping classes" in result.stdout
    assert "Noise matrix" in result.stdout
    assert result.stderr == ""


def test_health_thresholds_trip_and_pass(data: Dataset) -> None:
    health = health_report(data.labels, data.probs)
    worst = max(c.label_noise for c in health.classes)
    base = ["health", "--labels", "y.npy", "--probs", "p.npy", "--quiet"]
    cases = [
        (["--max-noise-rate", f"{health.noise_rate - 0.005}"], 1, "--max-noise-rate"),
        (["--max-noise-rate", f"{health.noise_rate + 0.005}"], 0, ""),
        (["--max-class-noise-rate", f"{worst - 0.005}"], 1, "--max-class-noise-rate"),
        (["--max-class-noise-rate", f"{worst + 0.005}"], 0, ""),
    ]
    for extra, code, message in cases:
        result = invoke(data.folder, *base, *extra)
        assert result.exit_code == code, (extra, result.output)
        assert message in result.stderr
        assert result.stdout == ""
    tripped = run(data.folder, *base, "-o", "h.json", "--max-noise-rate", "0")
    assert tripped.returncode == 1 and tripped.stderr.startswith("Error: noise rate")
    assert json.loads(data.path("h.json").read_text())["noise_rate"] == health.noise_rate


def test_health_heatmap_only_up_to_twenty_classes(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    n_classes = 22
    probs = rng.dirichlet(np.full(n_classes, 0.3), size=300)
    labels = probs.argmax(axis=1)
    labels[:40] = rng.integers(0, n_classes, 40)
    np.save(tmp_path / "p.npy", probs)
    np.save(tmp_path / "y.npy", labels)
    result = invoke(tmp_path, "health", "--labels", "y.npy", "--probs", "p.npy")
    assert result.exit_code == 0, result.output
    assert "Noise matrix not drawn for 22 classes" in result.stdout


# --- clean ------------------------------------------------------------------------------------


def test_clean_remove_equals_the_core(data: Dataset) -> None:
    result = invoke(data.folder, "clean", "data.parquet", "--probs", "p.parquet", "--id-column",
                    "id", "-o", "clean.parquet")  # fmt: skip
    assert result.exit_code == 0, result.output
    _, mask, _ = expected_issues(data)
    original = pd.read_parquet(data.path("data.parquet"))
    cleaned = pd.read_parquet(data.path("clean.parquet"))
    pd.testing.assert_frame_equal(cleaned, original[~mask].reset_index(drop=True))
    assert f"Removed {mask.sum()} of {N_ROWS} rows" in result.stdout


def test_clean_relabel_with_separate_labels(data: Dataset) -> None:
    result = invoke(data.folder, "clean", "data.csv", "--labels", "data.csv", "--probs",
                    "p.npy", "--classes", "cat,dog,bird", "--action", "relabel", "-o",
                    "clean.csv", "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    _, mask, _ = expected_issues(data)
    original = pd.read_csv(data.path("data.csv"))
    cleaned = pd.read_csv(data.path("clean.csv"))
    assert list(cleaned.columns) == list(original.columns)
    assert list(cleaned.dtypes) == list(original.dtypes)
    predicted = np.array(CLASSES)[data.probs.argmax(axis=1)]
    expected = np.where(mask, predicted, data.names)
    assert cleaned["label"].tolist() == expected.tolist()
    pd.testing.assert_frame_equal(cleaned.drop(columns="label"), original.drop(columns="label"))
    document = json.loads(result.stdout)
    assert document["n_changed"] == int((expected != data.names).sum())
    assert sum(c["n_changed"] for c in document["classes"]) == document["n_changed"]


@pytest.mark.parametrize("issues_flags", ["", "--all-rows"])
def test_clean_reuses_a_find_issues_output(data: Dataset, issues_flags: str) -> None:
    flags = [issues_flags] if issues_flags else []
    found = invoke(data.folder, "find-issues", "--labels", "data.csv", "--probs", "p.parquet",
                   "--id-column", "id", "-o", "issues.csv", *flags)  # fmt: skip
    assert found.exit_code == 0
    recomputed = invoke(data.folder, "clean", "data.csv", "--probs", "p.parquet", "--id-column",
                        "id", "--action", "relabel", "-o", "a.csv")  # fmt: skip
    reused = invoke(data.folder, "clean", "data.csv", "--issues", "issues.csv", "--action",
                    "relabel", "-o", "b.csv")  # fmt: skip
    assert recomputed.exit_code == 0 and reused.exit_code == 0, reused.output
    assert data.path("a.csv").read_bytes() == data.path("b.csv").read_bytes()
    removed = invoke(data.folder, "clean", "data.csv", "--issues", "issues.csv", "-o", "c.csv")
    assert removed.exit_code == 0
    assert len(pd.read_csv(data.path("c.csv"))) == N_ROWS - expected_issues(data)[1].sum()


def test_clean_refuses_issues_of_other_data(data: Dataset) -> None:
    invoke(data.folder, "find-issues", "--labels", "data.csv", "--probs", "p.parquet",
           "--id-column", "id", "-o", "issues.csv")  # fmt: skip
    other = pd.read_csv(data.path("data.csv"))
    other["label"] = np.roll(other["label"].to_numpy(), 1)
    other.to_csv(data.path("other.csv"), index=False)
    result = invoke(data.folder, "clean", "other.csv", "--issues", "issues.csv", "-o", "o.csv")
    assert result.exit_code == 2 and "issues file says" in result.stderr
    assert not data.path("o.csv").exists()


# --- bad inputs: exit 2, one clear Error line, no traceback, nothing written ------------------


def corrupt_parquet(folder: Path) -> None:
    (folder / "bad.parquet").write_bytes(b"PAR1 not really parquet")


def corrupt_npy(folder: Path) -> None:
    (folder / "bad.npy").write_bytes(b"\x93NUMPY garbage")


def probs_with(folder: Path, edit) -> None:
    probs = np.load(folder / "p.npy").astype(np.float64)
    np.save(folder / "bad.npy", edit(probs))


def set_cell(row: int, column: int, value: float):
    def edit(probs: np.ndarray) -> np.ndarray:
        probs[row, column] = value
        return probs

    return edit


def labels_with(folder: Path, frame: pd.DataFrame) -> None:
    frame.to_csv(folder / "bad.csv", index=False)


BAD_INPUTS = {
    "missing labels file": (None, ["find-issues", "--labels", "nope.parquet", "--probs",
                                   "p.npy"], "nope.parquet: no such file"),
    "missing probs file": (None, ["score", "--labels", "y.npy", "--probs", "nope.npy"],
                           "nope.npy: no such file"),
    "corrupt parquet": (corrupt_parquet, ["health", "--labels", "bad.parquet", "--probs",
                                          "p.npy"], "bad.parquet: not a readable Parquet"),
    "corrupt npy": (corrupt_npy, ["find-issues", "--labels", "y.npy", "--probs", "bad.npy"],
                    "bad.npy: not a readable .npy"),
    "mismatched rows": (lambda f: probs_with(f, lambda p: p[:-3]),
                        ["find-issues", "--labels", "y.npy", "--probs", "bad.npy"],
                        f"has {N_ROWS - 3} rows but y.npy has {N_ROWS}"),
    "unknown string label": (lambda f: labels_with(f, pd.DataFrame({"label": ["cat", "emu"] * 75})),
                             ["find-issues", "--labels", "bad.csv", "--probs", "p.parquet",
                              "--id-column", "id"], "label 'emu' in row 1 is not a class"),
    "integer label out of range": (lambda f: np.save(f / "bad.npy", np.full(N_ROWS, 3)),
                                   ["score", "--labels", "bad.npy", "--probs", "p.npy"],
                                   "label '3' in row 0 is not a class"),
    "string labels without --classes": (None, ["find-issues", "--labels", "data.csv",
                                               "--probs", "p.npy"], "pass --classes"),
    "missing label": (lambda f: labels_with(f, pd.DataFrame({"label": ["cat", None] * 75})),
                      ["health", "--labels", "bad.csv", "--probs", "p.parquet", "--id-column",
                       "id"], "row 1 has no label"),
    "NaN prob": (lambda f: probs_with(f, set_cell(5, 1, np.nan)),
                 ["find-issues", "--labels", "y.npy", "--probs", "bad.npy"],
                 "row 5, column 1: probability is NaN"),
    "infinite prob": (lambda f: probs_with(f, set_cell(9, 0, np.inf)),
                      ["find-issues", "--labels", "y.npy", "--probs", "bad.npy"],
                      "row 9, column 0: probability is +infinite"),
    "negative prob": (lambda f: probs_with(f, set_cell(3, 2, -0.1)),
                      ["score", "--labels", "y.npy", "--probs", "bad.npy"],
                      "row 3, column 2: probability is -0.1"),
    "unnormalised probs": (lambda f: probs_with(f, lambda p: p * 0.9),
                           ["health", "--labels", "y.npy", "--probs", "bad.npy"],
                           "row 0: probabilities sum to 0.9"),
    "1-D probs": (lambda f: probs_with(f, lambda p: p[:, 0]),
                  ["find-issues", "--labels", "y.npy", "--probs", "bad.npy"], "2-D"),
    "one class": (lambda f: probs_with(f, lambda p: np.ones((N_ROWS, 1))),
                  ["find-issues", "--labels", "y.npy", "--probs", "bad.npy"],
                  "at least two classes"),
    "empty input": (lambda f: labels_with(f, pd.DataFrame({"label": []})),
                    ["find-issues", "--labels", "bad.csv", "--probs", "p.npy"], "no rows"),
    "ambiguous label column": (lambda f: labels_with(f, pd.DataFrame({"a": [1], "b": [2]})),
                               ["find-issues", "--labels", "bad.csv", "--probs", "p.npy"],
                               "pass --label-column"),
    "unknown label column": (None, ["score", "--labels", "data.csv", "--label-column", "y",
                                    "--probs", "p.parquet"], "no column 'y'"),
    "non-numeric probs column": (None, ["score", "--labels", "data.csv", "--probs",
                                        "p.parquet"], "column 'id' is not numeric"),
    "classes of other length": (None, ["score", "--labels", "data.csv", "--probs", "p.npy",
                                       "--classes", "cat,dog"], "--classes lists 2 classes"),
    "ensemble of other classes": (lambda f: probs_with(f, lambda p: p[:, [0, 1, 2, 2]] /
                                                       [[1, 1, 2, 2]]),
                                  ["score", "--labels", "y.npy", "--probs", "p.npy", "--probs",
                                   "bad.npy"], "differ from those of p.npy"),
    "unsupported input type": (lambda f: (f / "y.txt").write_text("label\n1\n"),
                               ["score", "--labels", "y.txt", "--probs", "p.npy"],
                               "unsupported labels file type '.txt'"),
    "negative --top": (None, ["find-issues", "--labels", "y.npy", "--probs", "p.npy", "--top",
                              "-1"], "--top"),
    "zero --frac-noise": (None, ["find-issues", "--labels", "y.npy", "--probs", "p.npy",
                                 "--frac-noise", "0"], "--frac-noise"),
    "large --frac-noise": (None, ["clean", "data.csv", "--probs", "p.parquet", "--frac-noise",
                                  "1.5", "-o", "out.csv"], "--frac-noise"),
    "bad --fail-above": (None, ["find-issues", "--labels", "y.npy", "--probs", "p.npy",
                                "--fail-above", "2"], "--fail-above"),
    "bad --max-noise-rate": (None, ["health", "--labels", "y.npy", "--probs", "p.npy",
                                    "--max-noise-rate", "-0.1"], "--max-noise-rate"),
    "bad --max-class-noise-rate": (None, ["health", "--labels", "y.npy", "--probs", "p.npy",
                                          "--max-class-noise-rate", "7"],
                                   "--max-class-noise-rate"),
    "unknown --filter-by": (None, ["find-issues", "--labels", "y.npy", "--probs", "p.npy",
                                   "--filter-by", "magic"], "--filter-by"),
    "unknown --action": (None, ["clean", "data.csv", "--probs", "p.parquet", "--action",
                                "burn", "-o", "out.csv"], "--action"),
    "output over the labels": (None, ["find-issues", "--labels", "y.parquet", "--probs",
                                      "p.npy", "-o", "./y.parquet"], "is also an input"),
    "output over the probs": (None, ["score", "--labels", "y.npy", "--probs", "p.parquet",
                                     "--id-column", "id", "-o", "././p.parquet"],
                              "is also an input"),
    "clean over its data": (None, ["clean", "data.csv", "--probs", "p.parquet", "--id-column",
                                   "id", "-o", "data.csv"], "is also an input"),
    "bad output type": (None, ["find-issues", "--labels", "y.npy", "--probs", "p.npy", "-o",
                               "out.txt"], "unsupported output type '.txt'"),
    "health output not json": (None, ["health", "--labels", "y.npy", "--probs", "p.npy", "-o",
                                      "h.csv"], "use .json"),
    "output folder missing": (None, ["score", "--labels", "y.npy", "--probs", "p.npy", "-o",
                                     "nowhere/s.csv"], "does not exist"),
    "clean without probs": (None, ["clean", "data.csv", "-o", "out.csv"], "--probs is required"),
    "clean with issues and probs": (lambda f: pd.DataFrame({"row": [1]}).to_csv(f / "i.csv"),
                                    ["clean", "data.csv", "--issues", "i.csv", "--probs",
                                     "p.npy", "-o", "out.csv"], "give one of them"),
    "relabel without label column": (
        lambda f: pd.DataFrame({"row": [1], "predicted_label": ["cat"]}).to_csv(f / "i.csv"),
        ["clean", "data.csv", "--issues", "i.csv", "--label-column", "y", "--action", "relabel",
         "-o", "out.csv"], "no label column 'y' to relabel"),
}  # fmt: skip


def snapshot(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_exit_2_with_a_clear_message(data: Dataset, case: str) -> None:
    prepare, args, message = BAD_INPUTS[case]
    if prepare is not None:
        prepare(data.folder)
    before = snapshot(data.folder)
    result = invoke(data.folder, *args)
    assert result.exit_code == 2, (case, result.output)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("Error:") and 1 <= len(lines) <= 2, result.stderr
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(data.folder) == before


@pytest.mark.parametrize(
    "case", ["corrupt parquet", "NaN prob", "output over the labels", "zero --frac-noise"]
)
def test_bad_input_exit_code_in_a_real_process(data: Dataset, case: str) -> None:
    prepare, args, message = BAD_INPUTS[case]
    if prepare is not None:
        prepare(data.folder)
    done = run(data.folder, *args)
    assert done.returncode == 2
    assert done.stderr.startswith("Error:") and message in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_debug_shows_the_traceback(data: Dataset) -> None:
    probs_with(data.folder, set_cell(5, 1, np.nan))
    done = run(data.folder, "find-issues", "--labels", "y.npy", "--probs", "bad.npy", "--debug")
    assert done.returncode == 2  # --debug adds the traceback; the exit code stays the API's
    assert "Traceback" in done.stderr and "InputError" in done.stderr
    assert done.stderr.rstrip().splitlines()[-1].startswith("Error:")


def test_debug_as_root_option_shows_the_traceback_and_keeps_exit_2(data: Dataset) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "labelaudit", "--debug", "health", "--labels", "missing.csv",
         "--probs", "p.npy"],
        cwd=data.folder, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "Traceback" in result.stderr
    assert result.stderr.rstrip().splitlines()[-1].startswith("Error: missing.csv")


def test_health_json_reports_failed_gates(data: Dataset) -> None:
    result = invoke(data.folder, "health", "--labels", "y.npy", "--probs", "p.npy", "--json",
                    "--max-noise-rate", "0", "--max-class-noise-rate", "0.001")  # fmt: skip
    assert result.exit_code == 1
    checks = json.loads(result.stdout)["checks"]
    assert checks["passed"] is False
    assert [f["check"] for f in checks["failures"]] == ["max_noise_rate", "max_class_noise_rate"]
    assert checks["failures"][0]["threshold"] == 0
    assert checks["failures"][0]["value"] > 0
