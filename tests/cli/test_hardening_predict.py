"""Issue 11, items 9, 11, 14, 15: predict's model check, --n-jobs, --seed, locale, errors."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rich.console import Console
from sklearn.datasets import make_classification
from typer.testing import CliRunner

import labelaudit.predict
from labelaudit.cli import app
from labelaudit.errors import InputError
from labelaudit.pipeline import predict as predict_pipeline
from labelaudit.pipeline.model_quality import weak_model_threshold, weak_model_warning
from labelaudit.report import terminal

runner = CliRunner()


def invoke(*args: str | Path):
    return runner.invoke(app, ["predict", *map(str, args)])


def run(*args: str | Path, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "labelaudit", "predict", *map(str, args)]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=300, check=False, env=env
    )


def frame(n_rows: int = 90, labels: tuple[str, ...] = ("beta", "alpha", "gamma")) -> pd.DataFrame:
    """Separable numeric features, a categorical and a text column, and string labels."""
    rng = np.random.default_rng(0)
    X, y = make_classification(
        n_samples=n_rows, n_features=4, n_informative=3, n_redundant=0, n_classes=3,
        n_clusters_per_class=1, class_sep=2.0, random_state=0,
    )  # fmt: skip
    table = pd.DataFrame(X, columns=["f1", "f2", "f3", "f4"])
    table.insert(0, "row_id", [f"r{i:03d}" for i in range(n_rows)])
    table["colour"] = rng.choice(["red", "green", "blue"], size=n_rows)
    table["note"] = [f"item {i} looks {w}" for i, w in enumerate(rng.choice(["ok", "odd"], n_rows))]
    table["label"] = np.array(labels)[y]
    return table


@pytest.fixture
def table(tmp_path: Path) -> Path:
    path = tmp_path / "features.csv"
    frame().to_csv(path, index=False)
    return path


def error_lines(stderr: str) -> list[str]:
    lines = stderr.strip().splitlines()
    assert lines and lines[0].startswith("Error:"), stderr
    return lines


# --- item 9: --n-jobs, --model, --seed, ASCII locale ----------------------------------------


@pytest.mark.parametrize(
    ("n_jobs", "folds", "cpus", "expected", "noted"),
    [
        pytest.param(60, 5, 8, 5, True, id="capped-at-folds"),
        pytest.param(60, 5, 2, 2, True, id="capped-at-cpus"),
        pytest.param(3, 5, 8, 3, False, id="within-limits"),
        pytest.param(-1, 5, 8, 5, False, id="all-cpus-capped-silently"),
        pytest.param(-2, 10, 4, 3, False, id="all-but-one"),
        pytest.param(-100, 5, 4, 1, False, id="far-negative-is-one"),
    ],
)
def test_n_jobs_is_capped_at_folds_and_cpus(
    monkeypatch: pytest.MonkeyPatch, n_jobs: int, folds: int, cpus: int, expected: int, noted: bool
) -> None:
    monkeypatch.setattr(predict_pipeline, "available_cpus", lambda: cpus)
    n, note = predict_pipeline.effective_n_jobs(n_jobs, folds)
    assert n == expected
    assert (note is not None) == noted
    if noted:
        assert f"--n-jobs {n_jobs} capped at {expected}" in note


def test_n_jobs_zero_is_refused() -> None:
    with pytest.raises(InputError, match="--n-jobs"):
        predict_pipeline.effective_n_jobs(0, 5)


def test_cli_fits_with_the_capped_n_jobs(
    table: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[int] = []
    real = labelaudit.predict.out_of_fold_probabilities

    def spy(*args, **kwargs):
        seen.append(kwargs["n_jobs"])
        return real(*args, **{**kwargs, "n_jobs": 1})

    monkeypatch.setattr(labelaudit.predict, "out_of_fold_probabilities", spy)
    result = invoke(table, "--label-column", "label", "--drop-column", "row_id", "--text-column",
                    "note", "--folds", "3", "--n-jobs", "60", "-o", tmp_path / "p.csv")  # fmt: skip
    assert result.exit_code == 0, result.output
    cap = min(3, predict_pipeline.available_cpus())
    assert seen == [cap]
    assert f"Note: --n-jobs 60 capped at {cap}" in result.stderr


BOOM = """
from pathlib import Path

class Boom:
    def __init__(self):
        Path(__file__).with_name("instantiated").write_text("yes")
"""


@pytest.mark.parametrize(
    "model",
    [
        pytest.param("builtins.object", id="object"),
        pytest.param("pathlib.Path", id="pathlib-Path"),
        pytest.param("boom_model.Boom", id="class-with-side-effects"),
        pytest.param("sklearn.linear_model.LinearRegression", id="a-regressor"),
    ],
)
def test_non_classifier_is_refused_before_it_is_created(
    table: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, model: str
) -> None:
    (tmp_path / "boom_model.py").write_text(BOOM)
    monkeypatch.syspath_prepend(str(tmp_path))
    result = invoke(table, "--label-column", "label", "--model", model, "-o", tmp_path / "p.csv")
    assert result.exit_code == 2
    lines = error_lines(result.stderr)
    assert f"--model {model}: is not a scikit-learn classifier" in lines[0]
    assert not (tmp_path / "instantiated").exists()
    assert not (tmp_path / "p.csv").exists()


@pytest.mark.parametrize(
    "seed", [pytest.param("-1", id="negative"), pytest.param(str(2**32), id="too-large")]
)
def test_seed_out_of_range_is_blamed_on_seed(table: Path, tmp_path: Path, seed: str) -> None:
    result = invoke(table, "--label-column", "label", "--seed", seed, "-o", tmp_path / "p.csv")
    assert result.exit_code == 2
    assert "--seed" in result.stderr and "--model-params" not in result.stderr


def test_seed_out_of_range_in_the_python_api(table: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="--seed must be between 0 and"):
        predict_pipeline.predict_probabilities(
            table, tmp_path / "p.csv", label_column="label", seed=-1
        )


def test_ascii_locale_writes_summary_and_exits_0(tmp_path: Path) -> None:
    source = tmp_path / "features.csv"
    frame(labels=("béta", "alpha", "gamma")).to_csv(source, index=False)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONIOENCODING", "LANG")}
    # LC_ALL=C alone turns on Python's UTF-8 mode; PYTHONUTF8=0 keeps a real ASCII stdout.
    env.update(LC_ALL="C", PYTHONUTF8="0")
    out = tmp_path / "p.npy"
    result = run(source, "--label-column", "label", "--drop-column", "row_id", "--text-column",
                 "note", "--folds", "3", "-o", out, env=env)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "rows x classes" in result.stdout
    assert "b\\xe9ta" in result.stdout  # the class name, escaped, in the .npy column legend
    assert np.load(out).shape == (90, 3)


# --- item 11: a model no better than the majority class --------------------------------------


@pytest.mark.parametrize(
    ("accuracy", "baseline", "weak"),
    [
        pytest.param(0.639, 0.792, True, id="issue-case-below-baseline"),
        pytest.param(0.80, 0.79, True, id="one-point-above"),
        pytest.param(0.82, 0.79, False, id="three-points-above"),
        pytest.param(0.994, 0.99, True, id="high-baseline-small-gain"),
        pytest.param(0.996, 0.99, False, id="high-baseline-half-the-error"),
        pytest.param(1.0, 1.0, False, id="single-class-perfect"),
    ],
)
def test_weak_model_rule(accuracy: float, baseline: float, weak: bool) -> None:
    assert (weak_model_warning(accuracy, baseline, source="accuracy") is not None) == weak
    assert weak_model_threshold(baseline) <= max(1.0, baseline)


def test_predict_warns_when_worse_than_majority(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    n_rows = 300
    data = pd.DataFrame(rng.normal(size=(n_rows, 5)), columns=[f"x{i}" for i in range(5)])
    data["label"] = np.where(rng.random(n_rows) < 0.8, "common", rng.choice(["b", "c"], n_rows))
    source = tmp_path / "weak.csv"
    data.to_csv(source, index=False)
    result = invoke(source, "--label-column", "label", "--model", "knn", "--folds", "3",
                    "-o", tmp_path / "p.csv")  # fmt: skip
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("Warning:")]
    assert any("majority-class baseline" in line for line in warnings), result.stderr
    document = predict_pipeline.predict_probabilities(
        source, tmp_path / "q.csv", label_column="label", model="knn", folds=3
    )
    assert document["accuracy"] < document["baseline_accuracy"] + 0.02
    assert any("majority-class baseline" in w for w in document["warnings"])


# --- item 14: errors stay short ------------------------------------------------------------


def test_continuous_label_column_error_is_short_and_says_why(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    n_rows = 12_000
    data = pd.DataFrame({"size": rng.normal(size=n_rows), "price": rng.random(n_rows) * 1000})
    source = tmp_path / "houses.csv"
    data.to_csv(source, index=False)
    result = invoke(source, "--label-column", "price", "-o", tmp_path / "p.csv")
    assert result.exit_code == 2
    lines = error_lines(result.stderr)
    assert len(lines) <= 2 and all(len(line) <= 300 for line in lines), [len(x) for x in lines]
    assert "12,000 distinct values" in lines[0] and "continuous column" in lines[0]
    assert "more)" in lines[0]


def test_unknown_column_of_a_wide_table_is_short(tmp_path: Path) -> None:
    data = pd.DataFrame(np.zeros((3, 3_000)), columns=[f"feature_{i:05d}" for i in range(3_000)])
    source = tmp_path / "wide.parquet"
    data.to_parquet(source)
    result = invoke(source, "--label-column", "label", "-o", tmp_path / "p.csv")
    assert result.exit_code == 2
    lines = error_lines(result.stderr)
    assert all(len(line) <= 300 for line in lines) and "more)" in lines[0]


# --- item 15: every problem column, --id-column hint, columns used, index warning, progress


def test_every_problem_column_in_one_error(tmp_path: Path) -> None:
    data = frame()
    data["uuid"] = [f"0b9d{i:04d}-7c1e-4e2a" for i in range(len(data))]
    data["title"] = [f"title number {i}" for i in range(len(data))]
    data["when"] = pd.date_range("2024-01-01", periods=len(data), freq="h")
    source = tmp_path / "features.parquet"
    data.to_parquet(source)
    result = invoke(source, "--label-column", "label", "-o", tmp_path / "p.csv")
    assert result.exit_code == 2
    lines = error_lines(result.stderr)
    assert len(lines) == 1 and len(lines[0]) <= 300, lines
    message = lines[0]
    assert "5 feature columns cannot be used" in message
    for name in ("row_id", "uuid", "note", "title", "when"):
        assert f"'{name}'" in message
    ids = message.split("row ids")[1].split(";")[0]
    assert "--id-column" in ids and "'uuid'" in ids and "'row_id'" in ids
    text = message.split("text-like")[1].split(";")[0]
    assert "--text-column" in text and "'note'" in text and "'title'" in text


def test_single_id_like_column_suggests_id_column(table: Path, tmp_path: Path) -> None:
    result = invoke(table, "--label-column", "label", "--text-column", "note",
                    "-o", tmp_path / "p.csv")  # fmt: skip
    assert result.exit_code == 2
    message = error_lines(result.stderr)[0]
    assert "'row_id' looks like a row id" in message and "--id-column row_id" in message
    assert "--text-column row_id" not in message


def test_columns_used_are_printed_and_in_the_document(table: Path, tmp_path: Path) -> None:
    args = ("--label-column", "label", "--id-column", "row_id", "--text-column", "note")
    result = invoke(table, *args, "--folds", "3", "-o", tmp_path / "p.csv")
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "4 numeric: f1, f2, f3, f4" in text
    assert "1 categorical: colour" in text and "1 text: note" in text
    assert "ignored: row_id" in text
    document = predict_pipeline.predict_probabilities(
        table, tmp_path / "q.csv", label_column="label", id_column="row_id",
        text_columns=["note"], folds=3,
    )  # fmt: skip
    assert document["feature_columns"] == {
        "numeric": ["f1", "f2", "f3", "f4"],
        "categorical": ["colour"],
        "text": ["note"],
        "ignored": ["row_id"],
    }


def test_unnamed_index_column_is_warned_about(tmp_path: Path) -> None:
    source = tmp_path / "with_index.csv"
    frame().drop(columns=["row_id", "note"]).to_csv(source)  # pandas writes its index unnamed
    result = invoke(source, "--label-column", "label", "--folds", "3", "-o", tmp_path / "p.csv")
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("Warning:")]
    assert any("'Unnamed: 0'" in line and "--id-column" in line for line in warnings)


def test_fold_bar_shows_the_running_fold_before_it_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=120, color_system=None)
    monkeypatch.setattr(terminal, "stderr_console", lambda: console)
    with terminal.fold_progress(3, enabled=True) as on_fold:
        on_fold(0, 3)
        time.sleep(0.3)  # the first fold is still running
        during = buffer.getvalue()
    assert "fold 1 of 3" in during and "0/3" in during and "0:00:00" in during
