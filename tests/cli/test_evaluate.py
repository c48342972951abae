"""``labelaudit evaluate noise|clean`` end to end: the JSON contract, the tables, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from typer.testing import CliRunner

from labelaudit.cli import app
from labelaudit.core.noise import flip_labels, noise_matrix

runner = CliRunner()

#: DESIGN.md section 3.7: every key a script may read.
NOISE_KEYS = {"noise_rate", "sparsity", "seed", "n_examples", "n_flipped", "models"}
MODEL_KEYS = {"model", "accuracy", "filters", "scores"}
FILTER_KEYS = {"filter_by", "n_flagged", "precision", "recall", "f1"}
SCORE_KEYS = {"method", "adjust_pred_probs", "auroc", "auprc", "lift_at_k"}
CLEAN_KEYS = {"model", "n_train", "n_test", "n_flagged", "variants"}
VARIANT_KEYS = {"name", "n_train", "accuracy", "accuracy_low", "accuracy_high", "log_loss"}


def invoke(*args: str | Path):
    return runner.invoke(app, ["evaluate", *map(str, args)])


def run_ok(*args: str | Path) -> None:
    """Run another labelaudit command quietly; it must succeed."""
    result = runner.invoke(app, [*map(str, args), "-q"])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """train.csv (120 rows) and test.csv (60 rows): 3 classes whose names are rich markup."""
    X, y = make_classification(
        n_samples=180,
        n_features=4,
        n_informative=3,
        n_redundant=0,
        n_classes=3,
        n_clusters_per_class=1,
        class_sep=1.5,
        random_state=2,
    )
    names = np.array(["[red]a[/red]", "b", "c"])
    frame = pd.DataFrame(X, columns=["f1", "f2", "f3", "f4"]).assign(label=names[y])
    folder = tmp_path_factory.mktemp("evaluate-cli")
    frame.iloc[:120].to_csv(folder / "train.csv", index=False)
    frame.iloc[120:].to_csv(folder / "test.csv", index=False)
    return folder


def test_noise_json_follows_the_contract(data: Path) -> None:
    models = ("--model", "logistic_regression", "--model", "naive_bayes")
    args = ("--label-column", "label", "--folds", "3", *models, "--json")
    result = invoke("noise", data / "train.csv", *args)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert NOISE_KEYS <= set(document)
    assert (document["noise_rate"], document["sparsity"], document["seed"]) == (0.2, 0.4, 0)
    assert document["n_examples"] == 120
    names = [m["model"] for m in document["models"]]
    assert names == ["logistic_regression", "naive_bayes", "ensemble"]
    for model in document["models"]:
        assert MODEL_KEYS <= set(model)
        assert all(FILTER_KEYS <= set(f) for f in model["filters"])
        assert all(SCORE_KEYS <= set(s) for s in model["scores"])


def test_noise_precision_recall_equal_predict_then_find_issues(data: Path, tmp_path) -> None:
    """The same audit run by hand with the predict and find-issues commands, and counted."""
    args = ("--label-column", "label", "--folds", "3", "--seed", "3")
    result = invoke("noise", data / "train.csv", *args, "--json")
    assert result.exit_code == 0, result.output
    default = json.loads(result.stdout)["models"][0]["filters"][0]

    frame = pd.read_csv(data / "train.csv")
    classes = sorted(frame["label"].unique())
    true = frame["label"].map({name: k for k, name in enumerate(classes)}).to_numpy()
    rng = np.random.default_rng(3)
    matrix = noise_matrix(np.bincount(true) / len(true), 0.2, 0.4, rng)
    noisy = flip_labels(true, matrix, rng)
    frame["label"] = np.array(classes, dtype=object)[noisy]
    noisy_csv, probs, issues = (tmp_path / name for name in ("noisy.csv", "p.csv", "i.csv"))
    frame.to_csv(noisy_csv, index=False)
    run_ok("predict", noisy_csv, *args, "-o", probs)
    labels = ("--labels", noisy_csv, "--label-column", "label")
    run_ok("find-issues", *labels, "--probs", probs, "-o", issues)
    flagged = set(pd.read_csv(issues)["row"])
    flipped = set(np.flatnonzero(noisy != true))
    assert default["filter_by"] == "prune_by_noise_rate"
    assert default["n_flagged"] == len(flagged)
    assert default["precision"] == pytest.approx(len(flagged & flipped) / len(flagged))
    assert default["recall"] == pytest.approx(len(flagged & flipped) / len(flipped))


def test_noise_tables_show_class_names_literally(data: Path) -> None:
    result = invoke("noise", data / "train.csv", "--label-column", "label", "--folds", "3")
    assert result.exit_code == 0, result.output
    assert "[red]a[/red]" in result.stdout
    for text in ("prune_by_noise_rate *", "precision", "AUROC", "lift@k", "Injected noise"):
        assert text in result.stdout
    assert "Cross-validating logistic_regression" in result.stderr
    assert "Cross-validating" not in result.stdout


def test_clean_json_follows_the_contract_and_quiet_prints_nothing(data: Path) -> None:
    args = (
        data / "train.csv",
        "--label-column",
        "label",
        "--test",
        data / "test.csv",
        "--folds",
        "3",
        "--inject-noise",
        "0.2",
    )
    result = invoke("clean", *args, "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert CLEAN_KEYS <= set(document)
    assert (document["n_train"], document["n_test"]) == (120, 60)
    assert [v["name"] for v in document["variants"]] == ["all", "remove", "relabel"]
    assert all(VARIANT_KEYS <= set(v) for v in document["variants"])
    assert document["variants"][1]["n_train"] == 120 - document["n_flagged"]

    table = invoke("clean", *args)
    assert table.exit_code == 0
    assert "Accuracy on TEST" in table.stdout and "relabel" in table.stdout
    quiet = invoke("clean", *args, "--quiet")
    assert quiet.exit_code == 0 and quiet.stdout == "" and quiet.stderr == ""


def test_seeded_runs_print_the_same_json(data: Path) -> None:
    args = ("noise", data / "train.csv", "--label-column", "label", "--folds", "3", "--json")
    assert invoke(*args).stdout == invoke(*args).stdout


def write(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False)
    return path


@pytest.fixture
def bad_inputs(data: Path, tmp_path: Path) -> dict[str, Path]:
    test = pd.read_csv(data / "test.csv")
    train = pd.read_csv(data / "train.csv")
    small = pd.concat([train, train.iloc[:3].assign(label="rare")])
    return {
        "extra-column": write(test.assign(extra=1.0), tmp_path / "extra.csv"),
        "missing-column": write(test.drop(columns="f4"), tmp_path / "missing.csv"),
        "unknown-class": write(test.assign(label="zebra"), tmp_path / "unknown.csv"),
        "rare-class": write(small, tmp_path / "rare.csv"),
        "empty-test-label": write(
            test.assign(label=test["label"].where(test.index != 2)), tmp_path / "empty.csv"
        ),
    }


def clean_args(data: Path, test: Path | str) -> tuple:
    return ("clean", data / "train.csv", "--label-column", "label", "--test", test, "--folds", "3")


@pytest.mark.parametrize(
    ("case", "message"),
    [
        pytest.param("extra-column", "has extra 'extra'", id="test-extra-column"),
        pytest.param("missing-column", "lacks 'f4'", id="test-missing-column"),
        pytest.param("unknown-class", "'zebra' that the features file", id="test-unknown-class"),
        pytest.param("noise-rate-1", "--noise-rate must be in [0, 1)", id="noise-rate-1"),
        pytest.param("noise-rate-negative", "--noise-rate must be", id="noise-rate-negative"),
        pytest.param("noise-rate-nan", "--noise-rate must be", id="noise-rate-nan"),
        pytest.param("inject-noise-1", "--inject-noise must be", id="inject-noise-1"),
        pytest.param("sparsity-above-1", "--sparsity must be in [0, 1]", id="sparsity-1.5"),
        pytest.param("sparsity-negative", "--sparsity must be in [0, 1]", id="sparsity-negative"),
        pytest.param("rare-class", "fewer rows than --folds 5", id="too-few-rows-for-folds"),
        pytest.param("rare-class-clean", "fewer rows than --folds 4", id="clean-too-few-rows"),
        pytest.param("empty-test-label", "is empty at row 2", id="test-missing-label"),
    ],
)
def test_bad_input_exits_2_with_one_error_line(
    case: str, message: str, data: Path, bad_inputs: dict[str, Path], tmp_path: Path
) -> None:
    noise = ("noise", data / "train.csv", "--label-column", "label", "--folds", "3")
    args = {
        "extra-column": clean_args(data, bad_inputs["extra-column"]),
        "missing-column": clean_args(data, bad_inputs["missing-column"]),
        "unknown-class": clean_args(data, bad_inputs["unknown-class"]),
        "noise-rate-1": (*noise, "--noise-rate", "1"),
        "noise-rate-negative": (*noise, "--noise-rate", "-0.1"),
        "noise-rate-nan": (*noise, "--noise-rate", "nan"),
        "inject-noise-1": (*clean_args(data, data / "test.csv"), "--inject-noise", "1.0"),
        "sparsity-above-1": (*noise, "--sparsity", "1.5"),
        "sparsity-negative": (*noise, "--sparsity", "-0.5"),
        "rare-class": ("noise", bad_inputs["rare-class"], "--label-column", "label"),
        "rare-class-clean": (
            "clean",
            bad_inputs["rare-class"],
            "--label-column",
            "label",
            "--test",
            data / "test.csv",
            "--folds",
            "4",
        ),
        "empty-test-label": clean_args(data, bad_inputs["empty-test-label"]),
    }[case]
    before = sorted(tmp_path.iterdir())
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert message in lines[0]
    assert sorted(tmp_path.iterdir()) == before


def test_help_lists_both_commands() -> None:
    result = runner.invoke(app, ["evaluate", "--help"])
    assert result.exit_code == 0
    assert "noise" in result.stdout and "clean" in result.stdout
