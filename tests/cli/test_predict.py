"""``labelaudit predict`` end to end: CliRunner on the Typer app, and real subprocess runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, make_classification

from tests.conftest import Invoke, Run
from tests.messages import is_whole_error

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


@pytest.fixture
def predict(invoke: Invoke) -> Invoke:
    """``predict(*args)``: ``labelaudit predict ARGS``, in-process."""
    return lambda *args: invoke("predict", *args)


def test_parquet_output_has_id_and_sorted_class_columns(
    table: Path, tmp_path: Path, predict: Invoke
) -> None:
    out = tmp_path / "probs.parquet"
    result = predict(
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


def test_csv_output_matches_parquet_output(table: Path, tmp_path: Path, predict: Invoke) -> None:
    args = ("--label-column", "label", *NO_ID, "--drop-column", "note", "--folds", "3", "-q")
    assert predict(table, *args, "-o", tmp_path / "p.csv").exit_code == 0
    assert predict(table, *args, "-o", tmp_path / "p.parquet").exit_code == 0
    from_csv = pd.read_csv(tmp_path / "p.csv")
    assert list(from_csv.columns) == ["alpha", "beta", "gamma"]
    pd.testing.assert_frame_equal(from_csv, pd.read_parquet(tmp_path / "p.parquet"))


def test_npy_output_and_its_column_legend(table: Path, tmp_path: Path, predict: Invoke) -> None:
    out = tmp_path / "probs.npy"
    result = predict(table, "--label-column", "label", *NO_ID, "--drop-column", "note", "-o", out)
    assert result.exit_code == 0, result.output
    probs = np.load(out)
    assert probs.shape == (90, 3) and probs.dtype == np.float64
    assert f"Columns of {out}: 0 = alpha, 1 = beta, 2 = gamma" in " ".join(result.stdout.split())


def test_quiet_prints_nothing(table: Path, tmp_path: Path, predict: Invoke) -> None:
    out = tmp_path / "p.csv"
    result = predict(
        table, "--label-column", "label", *NO_ID, "--text-column", "note", "-o", out, "-q"
    )
    assert result.exit_code == 0
    assert result.stdout == "" and result.stderr == ""
    assert out.exists()


@pytest.mark.parametrize("model", ["random_forest", "mlp"])
def test_identical_inputs_give_identical_files(
    table: Path, tmp_path: Path, model: str, predict: Invoke
) -> None:
    common = ["--label-column", "label", *NO_ID, "--text-column", "note", "--model", model]
    common += ["--model-params", '{"max_iter": 50}'] if model == "mlp" else []
    for name, jobs in (("a", "1"), ("b", "1"), ("c", "2")):
        out = tmp_path / f"{name}.csv"
        result = predict(table, *common, "--seed", "5", "--n-jobs", jobs, "-o", out, "-q")
        assert result.exit_code == 0, result.output
    first = (tmp_path / "a.csv").read_bytes()
    assert first == (tmp_path / "b.csv").read_bytes() == (tmp_path / "c.csv").read_bytes()
    result = predict(table, *common, "--seed", "6", "-o", tmp_path / "d.csv", "-q")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "d.csv").read_bytes() != first


def test_model_without_predict_proba_is_calibrated_and_says_so(
    table: Path, tmp_path: Path, predict: Invoke
) -> None:
    result = predict(
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


ERROR_CASES = [
    pytest.param(
        ["--label-column", "target"],
        "Error: --label-column 'target' is not a column of the features file. Columns: row_id, "
        "f1, f2, f3, f4, colour, note, label.",
        id="label-column-missing",
    ),
    pytest.param(
        ["--label-column", "label", "--model", "xgboost_ish"],
        "Error: unknown model 'xgboost_ish'. Use one of logistic_regression, random_forest, "
        "extra_trees, hist_gradient_boosting, knn, naive_bayes, mlp or an importable classifier "
        "path such as sklearn.svm.SVC.",
        id="model-unknown",
    ),
    pytest.param(
        ["--label-column", "label", "--model-params", "{C: 1}"],
        "Error: --model-params: invalid JSON (…). Example: --model-params '{\"C\": 0.5}'",
        id="model-params-not-json",
    ),
    pytest.param(
        ["--label-column", "label", "--model-params", '{"C": 1, "depth": 3}'],
        "Error: --model-params: 'depth' is not a parameter of LogisticRegression. Valid: 'C', …",
        id="model-params-unknown-parameter",
    ),
    pytest.param(
        ["--label-column", "label", "--model-params", '{"C": "big"}'],
        "Error: --model-params: The 'C' parameter of LogisticRegression must be … Got 'big' "
        "instead.",
        id="model-params-invalid-value",
    ),
    pytest.param(
        ["--label-column", "label", *NO_ID],
        "Error: column 'note' is text-like (90 distinct values in 90 rows), not categorical; name "
        "it with --text-column note to TF-IDF encode it, or leave it out with --drop-column note.",
        id="text-like-column-not-named-as-text",
    ),
    pytest.param(
        ["--label-column", "label", "--text-column", "note", "--folds", "40"],
        "Error: 3 classes have fewer rows than --folds 40: 'alpha' (29 rows), 'beta' (29 rows), "
        "'gamma' (32 rows); every class needs a row in every fold. Fix: use --folds 29 or remove "
        "the rows of those classes.",
        id="classes-smaller-than-folds",
    ),
    pytest.param(
        ["--label-column", "label", "-o", "probs.txt"],
        "Error: -o/--output probs.txt: unsupported output type '.txt'; use .parquet or .csv or "
        ".arrow or .feather or .npy.",
        id="output-type-unsupported",
    ),
    pytest.param(
        ["--label-column", "label", "--text-column", "body"],
        "Error: --text-column 'body' is not a column of the features file. Columns: row_id, f1, "
        "f2, f3, f4, colour, note, label.",
        id="text-column-missing",
    ),
]


@pytest.mark.parametrize(("args", "error"), ERROR_CASES)
def test_input_errors(
    args: list[str], error: str, table: Path, tmp_path: Path, predict: Invoke
) -> None:
    out = tmp_path / "probs.parquet"
    if "-o" not in args:
        args = [*args, "-o", str(out)]
    result = predict(table, *args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:"), result.stderr
    assert is_whole_error(result.stderr, error), result.stderr
    assert "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["features.csv"]


@pytest.mark.parametrize(
    ("content", "error"),
    [
        pytest.param("", "Error: {source}: not a readable CSV file (…).", id="empty-file"),
        pytest.param("a,label\n", "Error: the features file has no rows.", id="header-only"),
        pytest.param(
            "a,label\n" + "".join(f"{i},same\n" for i in range(10)),
            "Error: label column 'label' has a single class (same); predict needs at least 2.",
            id="single-class",
        ),
        pytest.param(
            "a,label\n1,x\n2,\n3,y\n4,x\n5,y\n6,\n",
            "Error: label column 'label' has 2 missing value(s) (rows 1, 5); fill or remove those "
            "rows.",
            id="missing-labels",
        ),
    ],
)
def test_bad_files(tmp_path: Path, content: str, error: str, predict: Invoke) -> None:
    source = write(tmp_path, "in.csv", content)
    out = tmp_path / "out.csv"
    result = predict(source, "--label-column", "label", "-o", out, "--folds", "2")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error:")
    assert is_whole_error(result.stderr, error.format(source=source)), result.stderr
    assert not out.exists()


def test_refuses_to_overwrite_its_input(table: Path, predict: Invoke) -> None:
    before = table.read_bytes()
    result = predict(table, "--label-column", "label", "--text-column", "note", "-o", table)
    assert result.exit_code == 2 and "is also an input" in result.stderr
    assert result.stderr == f"Error: {table}: is also an input; choose another output path.\n"
    assert table.read_bytes() == before


def test_debug_shows_the_traceback_and_keeps_exit_code_2(
    table: Path, tmp_path: Path, predict: Invoke
) -> None:
    result = predict(table, "--label-column", "nope", "-o", tmp_path / "p.csv", "--debug")
    assert result.exit_code == 2
    assert "Traceback" in result.stderr and "InputError" in result.stderr
    assert not (tmp_path / "p.csv").exists()


# --- the installed command, as a real process -------------------------------------------------


def test_subprocess_success_and_error(table: Path, tmp_path: Path, run: Run) -> None:
    out = tmp_path / "probs.parquet"
    ok = run(
        "predict", table, "--label-column", "label", "--text-column", "note", "-o", out, *NO_ID
    )
    assert ok.returncode == 0, ok.stderr
    assert "accuracy" in ok.stdout and "Fitting folds" in ok.stderr
    assert pd.read_parquet(out).shape == (90, 3)

    bad_out = tmp_path / "bad.parquet"
    bad = run("predict", table, "--label-column", "label", "--model-params", "{oops", "-o", bad_out)
    assert bad.returncode == 2
    assert bad.stderr.startswith("Error: --model-params: invalid JSON")
    example = "Example: --model-params '{\"C\": 0.5}'"
    assert is_whole_error(bad.stderr, f"Error: --model-params: invalid JSON (…). {example}")
    assert "Traceback" not in bad.stderr and bad.stdout == ""
    assert not bad_out.exists()
    assert not list(tmp_path.glob(".bad.parquet*"))  # no temporary file left behind either


def test_subprocess_text_like_column_error(table: Path, tmp_path: Path, run: Run) -> None:
    out = tmp_path / "probs.csv"
    result = run("predict", table, "--label-column", "label", "-o", out, *NO_ID)
    assert result.returncode == 2
    assert "--text-column note" in result.stderr and "--drop-column note" in result.stderr
    assert result.stderr == (
        "Error: column 'note' is text-like (90 distinct values in 90 rows), not categorical; name "
        "it with --text-column note to TF-IDF encode it, or leave it out with --drop-column note.\n"
    )
    assert not out.exists()


# --- predict -> find issues on real data -------------------------------------------------------


def test_predict_then_find_issues_recovers_injected_flips(tmp_path: Path, predict: Invoke) -> None:
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
    result = predict(features, "--label-column", "diagnosis", "--id-column", "sample", "-o", out)
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


def test_fitting_warnings_go_to_stderr_once(table: Path, tmp_path: Path, predict: Invoke) -> None:
    args = ["--label-column", "label", *NO_ID, "--drop-column", "note", "--folds", "3"]
    args += ["--model", "mlp", "--model-params", '{"max_iter": 3}', "-o", str(tmp_path / "p.csv")]
    result = predict(table, *args)
    assert result.exit_code == 0, result.output
    # The fit warning once; the weak-model warning (3 iterations of an MLP) is another line.
    lines = [line for line in result.stderr.splitlines() if line.startswith("Warning:")]
    fit_lines = [line for line in lines if "ConvergenceWarning" in line]
    assert len(fit_lines) == 1 and "(3)" in fit_lines[0]
    assert "Warning" not in result.stdout
    assert predict(table, *args, "-q").stderr == ""
