"""``labelaudit predict`` end to end: CliRunner on the Typer app, and real subprocess runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, make_classification
from typer.testing import CliRunner

from labelaudit.cli import app

runner = CliRunner()


def invoke(*args: str | Path):
    return runner.invoke(app, ["predict", *map(str, args)])


#: The fixture's row_id column is unique strings: it must be the id or dropped, never a feature.
NO_ID = ("--drop-column", "row_id")


@pytest.fixture
def table(tmp_path: Path) -> Path:
    """90 rows: an id, numeric features, a categorical and a text column, string labels."""
    rng = np.random.default_rng(0)
    X, y = make_classification(
        n_samples=90, n_features=4, n_informative=3, n_redundant=0, n_classes=3,
        n_clusters_per_class=1, class_sep=2.0, random_state=0,
    )  # fmt: skip
    frame = pd.DataFrame(X, columns=["f1", "f2", "f3", "f4"])
    frame.insert(0, "row_id", [f"r{i:03d}" for i in range(90)])
    frame["colour"] = rng.choice(["red", "green", "blue"], size=90)
    frame["note"] = [f"item {i} looks {w}" for i, w in enumerate(rng.choice(["ok", "odd"], 90))]
    frame["label"] = np.array(["beta", "alpha", "gamma"])[y]
    path = tmp_path / "features.csv"
    frame.to_csv(path, index=False)
    return path


def test_parquet_output_has_id_and_sorted_class_columns(table: Path, tmp_path: Path) -> None:
    out = tmp_path / "probs.parquet"
    result = invoke(
        table, "--label-column", "label", "--id-column", "row_id", "--text-column", "note",
        "-o", out, "--folds", "3",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    probs = pd.read_parquet(out)
    assert list(probs.columns) == ["row_id", "alpha", "beta", "gamma"]
    assert probs["row_id"].tolist() == [f"r{i:03d}" for i in range(90)]
    values = probs[["alpha", "beta", "gamma"]]
    assert all(dtype == np.float64 for dtype in values.dtypes)
    np.testing.assert_allclose(values.sum(axis=1), 1.0, atol=1e-12)
    labels = pd.read_csv(table)["label"]
    accuracy = np.mean(values.idxmax(axis=1).to_numpy() == labels.to_numpy())
    assert accuracy > 0.8
    assert f"{accuracy:.4f}" in result.stdout  # the printed accuracy is the file's accuracy
    assert "log loss" in result.stdout
    assert "1 text" in result.stdout and "1 categorical" in result.stdout
    assert "Fitting folds" in result.stderr and "3/3" in result.stderr
    assert "Fitting folds" not in result.stdout


def test_csv_output_matches_parquet_output(table: Path, tmp_path: Path) -> None:
    args = ("--label-column", "label", *NO_ID, "--drop-column", "note", "--folds", "3", "-q")
    assert invoke(table, *args, "-o", tmp_path / "p.csv").exit_code == 0
    assert invoke(table, *args, "-o", tmp_path / "p.parquet").exit_code == 0
    from_csv = pd.read_csv(tmp_path / "p.csv")
    assert list(from_csv.columns) == ["alpha", "beta", "gamma"]
    pd.testing.assert_frame_equal(from_csv, pd.read_parquet(tmp_path / "p.parquet"))


def test_npy_output_and_its_column_legend(table: Path, tmp_path: Path) -> None:
    out = tmp_path / "probs.npy"
    result = invoke(table, "--label-column", "label", *NO_ID, "--drop-column", "note", "-o", out)
    assert result.exit_code == 0, result.output
    probs = np.load(out)
    assert probs.shape == (90, 3) and probs.dtype == np.float64
    assert f"Columns of {out}: 0 = alpha, 1 = beta, 2 = gamma" in " ".join(result.stdout.split())


def test_quiet_prints_nothing(table: Path, tmp_path: Path) -> None:
    out = tmp_path / "p.csv"
    result = invoke(
        table, "--label-column", "label", *NO_ID, "--text-column", "note", "-o", out, "-q"
    )
    assert result.exit_code == 0
    assert result.stdout == "" and result.stderr == ""
    assert out.exists()


@pytest.mark.parametrize("model", ["random_forest", "mlp"])
def test_identical_inputs_give_identical_files(table: Path, tmp_path: Path, model: str) -> None:
    common = ["--label-column", "label", *NO_ID, "--text-column", "note", "--model", model]
    common += ["--model-params", '{"max_iter": 50}'] if model == "mlp" else []
    for name, jobs in (("a", "1"), ("b", "1"), ("c", "2")):
        out = tmp_path / f"{name}.csv"
        result = invoke(table, *common, "--seed", "5", "--n-jobs", jobs, "-o", out, "-q")
        assert result.exit_code == 0, result.output
    first = (tmp_path / "a.csv").read_bytes()
    assert first == (tmp_path / "b.csv").read_bytes() == (tmp_path / "c.csv").read_bytes()
    result = invoke(table, *common, "--seed", "6", "-o", tmp_path / "d.csv", "-q")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "d.csv").read_bytes() != first


def test_model_without_predict_proba_is_calibrated_and_says_so(table: Path, tmp_path: Path) -> None:
    result = invoke(
        table, "--label-column", "label", *NO_ID, "--drop-column", "note",
        "--model", "sklearn.svm.LinearSVC", "-o", tmp_path / "p.csv", "--folds", "3",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "sigmoid-calibrated" in result.stdout


# --- errors: exit 2, one "Error:" line on stderr, no traceback, no output file ----------------


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


ERROR_CASES = {
    "missing label column": (["--label-column", "target"], "--label-column 'target'"),
    "unknown model": (["--label-column", "label", "--model", "xgboost_ish"], "unknown model"),
    "invalid JSON": (["--label-column", "label", "--model-params", "{C: 1}"], "invalid JSON"),
    "unknown parameter": (
        ["--label-column", "label", "--model-params", '{"C": 1, "depth": 3}'],
        "'depth' is not a parameter of LogisticRegression",
    ),
    "invalid parameter value": (
        ["--label-column", "label", "--model-params", '{"C": "big"}'],
        "'C' parameter of LogisticRegression",
    ),
    "text-like column": (["--label-column", "label", *NO_ID], "column 'note' is text-like"),
    "class smaller than folds": (
        ["--label-column", "label", "--text-column", "note", "--folds", "40"],
        "fewer rows than --folds 40",
    ),
    "unknown output type": (["--label-column", "label", "-o", "probs.txt"], "use .parquet"),
    "missing --text-column": (
        ["--label-column", "label", "--text-column", "body"],
        "--text-column 'body'",
    ),
}


@pytest.mark.parametrize("case", list(ERROR_CASES))
def test_input_errors(case: str, table: Path, tmp_path: Path) -> None:
    args, message = ERROR_CASES[case]
    out = tmp_path / "probs.parquet"
    if "-o" not in args:
        args = [*args, "-o", str(out)]
    result = invoke(table, *args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:"), result.stderr
    assert message in lines[0]
    assert "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["features.csv"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "not a readable CSV file"),
        ("a,label\n", "no rows"),
        ("a,label\n" + "".join(f"{i},same\n" for i in range(10)), "single class (same)"),
        ("a,label\n1,x\n2,\n3,y\n4,x\n5,y\n6,\n", "2 missing value(s) (rows 1, 5)"),
    ],
    ids=["empty file", "header only", "single class", "missing labels"],
)
def test_bad_files(tmp_path: Path, content: str, message: str) -> None:
    source = write(tmp_path, "in.csv", content)
    out = tmp_path / "out.csv"
    result = invoke(source, "--label-column", "label", "-o", out, "--folds", "2")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error:") and message in result.stderr
    assert not out.exists()


def test_refuses_to_overwrite_its_input(table: Path) -> None:
    before = table.read_bytes()
    result = invoke(table, "--label-column", "label", "--text-column", "note", "-o", table)
    assert result.exit_code == 2 and "is also an input" in result.stderr
    assert table.read_bytes() == before


def test_debug_shows_the_traceback_and_keeps_exit_code_2(table: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["predict", str(table), "--label-column", "nope", "-o", str(tmp_path / "p.csv"),
              "--debug"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "Traceback" in result.stderr and "InputError" in result.stderr
    assert not (tmp_path / "p.csv").exists()


# --- the installed command, as a real process -------------------------------------------------


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "labelaudit", "predict", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_subprocess_success_and_error(table: Path, tmp_path: Path) -> None:
    out = tmp_path / "probs.parquet"
    ok = run(table, "--label-column", "label", "--text-column", "note", "-o", out, *NO_ID)
    assert ok.returncode == 0, ok.stderr
    assert "accuracy" in ok.stdout and "Fitting folds" in ok.stderr
    assert pd.read_parquet(out).shape == (90, 3)

    bad_out = tmp_path / "bad.parquet"
    bad = run(table, "--label-column", "label", "--model-params", "{oops", "-o", bad_out)
    assert bad.returncode == 2
    assert bad.stderr.startswith("Error: --model-params: invalid JSON")
    assert "Traceback" not in bad.stderr and bad.stdout == ""
    assert not bad_out.exists()
    assert not list(tmp_path.glob(".bad.parquet*"))  # no temporary file left behind either


def test_subprocess_text_like_column_error(table: Path, tmp_path: Path) -> None:
    out = tmp_path / "probs.csv"
    result = run(table, "--label-column", "label", "-o", out, *NO_ID)
    assert result.returncode == 2
    assert "--text-column note" in result.stderr and "--drop-column note" in result.stderr
    assert not out.exists()


# --- predict -> find issues on real data -------------------------------------------------------


def test_predict_then_find_issues_recovers_injected_flips(tmp_path: Path) -> None:
    filtering = pytest.importorskip("labelaudit.core.filtering")
    data = load_breast_cancer(as_frame=True)
    frame = data.frame.rename(columns={"target": "diagnosis"})
    names = np.array(data.target_names)  # ['malignant', 'benign']
    truth = names[frame["diagnosis"].to_numpy()]
    rng = np.random.default_rng(2024)
    flipped = rng.choice(len(frame), size=len(frame) // 10, replace=False)
    given = truth.copy()
    given[flipped] = np.where(truth[flipped] == "benign", "malignant", "benign")
    frame["diagnosis"] = given
    frame.insert(0, "sample", np.arange(len(frame)))
    features = tmp_path / "cancer.parquet"
    frame.to_parquet(features)

    out = tmp_path / "probs.parquet"
    result = invoke(features, "--label-column", "diagnosis", "--id-column", "sample", "-o", out)
    assert result.exit_code == 0, result.output
    probs = pd.read_parquet(out)
    assert probs["sample"].tolist() == list(range(len(frame)))
    classes = ["benign", "malignant"]
    assert list(probs.columns[1:]) == classes
    labels = np.array([classes.index(label) for label in given])
    issues = filtering.find_label_issues(labels, probs[classes].to_numpy())

    is_flip = np.zeros(len(frame), dtype=bool)
    is_flip[flipped] = True
    recall = (issues & is_flip).sum() / is_flip.sum()
    precision = (issues & is_flip).sum() / max(issues.sum(), 1)
    assert recall >= 0.6, (recall, precision)
    assert precision >= 0.5, (recall, precision)


def test_fitting_warnings_go_to_stderr_once(table: Path, tmp_path: Path) -> None:
    args = ["--label-column", "label", *NO_ID, "--drop-column", "note", "--folds", "3"]
    args += ["--model", "mlp", "--model-params", '{"max_iter": 3}', "-o", str(tmp_path / "p.csv")]
    result = invoke(table, *args)
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("Warning:")]
    assert len(lines) == 1 and "ConvergenceWarning" in lines[0] and "(3)" in lines[0]
    assert "Warning" not in result.stdout
    assert invoke(table, *args, "-q").stderr == ""
