"""pipeline.evaluate: its numbers against an independent computation (scikit-learn's
cross-validation, cleanlab 2.9.0's filters and scores as the oracle, numpy by hand)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cleanlab.filter import find_label_issues as oracle_find_label_issues
from cleanlab.rank import get_label_quality_scores as oracle_scores
from sklearn.datasets import load_breast_cancer, make_classification
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from labelaudit.core import FILTERS
from labelaudit.core.noise import flip_labels, noise_matrix
from labelaudit.errors import InputError
from labelaudit.pipeline.evaluate import evaluate_clean, evaluate_noise, fit_and_predict
from labelaudit.pipeline.evaluation import EvaluationSetup, read_labelled
from labelaudit.report.documents import plain

FEATURES = ["f1", "f2", "f3", "f4"]


def logistic_regression(seed: int = 0):
    """What ``--model logistic_regression`` fits on numeric columns, built independently."""
    return make_pipeline(
        SimpleImputer(strategy="median"),
        StandardScaler(),
        LogisticRegression(max_iter=1000, random_state=seed),
    )


@pytest.fixture(scope="module")
def three_classes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """180 rows, 4 numeric features, labels 0..2 that are all correct (the known truth)."""
    X, y = make_classification(
        n_samples=180,
        n_features=4,
        n_informative=3,
        n_redundant=0,
        n_classes=3,
        n_clusters_per_class=1,
        class_sep=1.5,
        random_state=1,
    )
    frame = pd.DataFrame(X, columns=FEATURES).assign(label=y)
    path = tmp_path_factory.mktemp("evaluate") / "three.csv"
    frame.to_csv(path, index=False)
    return path


def injected(frame: pd.DataFrame, noise_rate: float, sparsity: float, seed: int) -> np.ndarray:
    """The noisy labels the command should have made (same seeded generator)."""
    labels = frame["label"].to_numpy()
    prior = np.bincount(labels) / len(labels)
    rng = np.random.default_rng(seed)
    return flip_labels(labels, noise_matrix(prior, noise_rate, sparsity, rng), rng)


def test_precision_recall_and_scores_equal_an_independent_computation(three_classes) -> None:
    document = evaluate_noise(three_classes, EvaluationSetup("label", folds=3, seed=4))
    frame = pd.read_csv(three_classes)
    noisy = injected(frame, 0.2, 0.4, seed=4)
    truth = noisy != frame["label"].to_numpy()
    assert document["n_flipped"] == truth.sum() > 0
    splitter = StratifiedKFold(n_splits=3, shuffle=True, random_state=4)
    probs = cross_val_predict(
        logistic_regression(4), frame[FEATURES], noisy, cv=splitter, method="predict_proba"
    )
    [entry] = document["models"]
    assert entry["accuracy"] == pytest.approx(np.mean(probs.argmax(axis=1) == noisy))
    for result in entry["filters"]:
        flagged = oracle_find_label_issues(noisy, probs, filter_by=result["filter_by"], n_jobs=1)
        hits = np.sum(flagged & truth)
        assert result["n_flagged"] == flagged.sum()
        assert result["precision"] == pytest.approx(hits / flagged.sum())
        assert result["recall"] == pytest.approx(hits / truth.sum())
        precision, recall = hits / flagged.sum(), hits / truth.sum()
        assert result["f1"] == pytest.approx(2 * precision * recall / (precision + recall))
    assert [r["filter_by"] for r in entry["filters"]] == list(FILTERS)
    for result in entry["scores"]:
        scores = oracle_scores(
            noisy, probs, method=result["method"], adjust_pred_probs=result["adjust_pred_probs"]
        )
        k = int(truth.sum())
        lowest = np.argsort(scores, kind="stable")[:k]
        assert result["auroc"] == pytest.approx(roc_auc_score(truth, -scores))
        assert result["auprc"] == pytest.approx(average_precision_score(truth, -scores))
        assert result["lift_at_k"] == pytest.approx(truth[lowest].mean() / truth.mean())
    assert len(entry["scores"]) == 5  # 3 methods, 2 of them also adjusted


def test_a_perfect_model_without_noise_flags_nothing(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1, 2], 30)
    frame = pd.DataFrame({"x": labels * 10 + rng.normal(0, 0.1, 90), "label": labels})
    frame.to_csv(tmp_path / "perfect.csv", index=False)
    document = plain(
        evaluate_noise(tmp_path / "perfect.csv", EvaluationSetup("label", folds=3), noise_rate=0.0)
    )
    assert document["n_flipped"] == 0
    [entry] = document["models"]
    assert entry["accuracy"] == 1.0
    for result in entry["filters"]:
        assert result == {
            "filter_by": result["filter_by"],
            "n_flagged": 0,
            "precision": None,
            "recall": None,
            "f1": None,
        }
    for result in entry["scores"]:
        assert result["auroc"] is result["auprc"] is result["lift_at_k"] is None


def test_seeded_runs_are_identical_and_repeats_average_the_seeds(three_classes) -> None:
    options = {"models": ["logistic_regression"]}
    seed_0, seed_1 = (EvaluationSetup("label", seed=seed, folds=3) for seed in (0, 1))
    first = evaluate_noise(three_classes, seed_0, **options)
    assert evaluate_noise(three_classes, seed_0, **options) == first
    second = evaluate_noise(three_classes, seed_1, **options)
    assert second["noise_matrix"] != first["noise_matrix"]
    both = evaluate_noise(three_classes, seed_0, repeats=2, **options)
    flips = [d["n_flipped_per_repeat"] for d in (first, second)]
    assert both["n_flipped_per_repeat"] == flips[0] + flips[1]
    mine, a, b = (d["models"][0]["filters"][0] for d in (both, first, second))
    assert mine["precision"] == pytest.approx((a["precision"] + b["precision"]) / 2)
    assert mine["std"]["recall"] == pytest.approx(np.std([a["recall"], b["recall"]], ddof=1))
    assert "std" not in a


def test_several_models_give_one_entry_each_and_the_ensemble(three_classes) -> None:
    document = evaluate_noise(
        three_classes, EvaluationSetup("label", folds=3), models=["logistic_regression", "knn"]
    )
    names = [entry["model"] for entry in document["models"]]
    assert names == ["logistic_regression", "knn", "ensemble"]
    ensemble = document["models"][2]
    assert {f["filter_by"] for f in ensemble["filters"]} == set(FILTERS)


@pytest.fixture(scope="module")
def breast_cancer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """scikit-learn's breast-cancer data as the README writes it (cancer.csv)."""
    data = load_breast_cancer(as_frame=True)
    frame = data.frame.rename(columns={"target": "diagnosis"})
    frame["diagnosis"] = data.target_names[frame["diagnosis"]]
    path = tmp_path_factory.mktemp("evaluate") / "cancer.csv"
    frame.to_csv(path, index=False)
    return path


def test_breast_cancer_default_filter_does_not_regress(breast_cancer: Path) -> None:
    """README: 20% noise, sparsity 0.4, logistic regression, seed 0 flip 85 labels; the default
    filter flagged 63 with precision 0.746 and recall 0.553."""
    document = evaluate_noise(breast_cancer, EvaluationSetup("diagnosis"))
    assert document["n_flipped"] == 85
    default = document["models"][0]["filters"][0]
    assert default["filter_by"] == "prune_by_noise_rate"
    assert default["precision"] >= 0.70
    assert default["recall"] >= 0.50


def test_clean_fits_all_remove_and_relabel_as_scikit_learn_does(three_classes, tmp_path) -> None:
    frame = pd.read_csv(three_classes)
    train, test = frame.iloc[:120], frame.iloc[120:]
    train.to_csv(tmp_path / "train.csv", index=False)
    test.to_csv(tmp_path / "test.csv", index=False)
    document = evaluate_clean(
        tmp_path / "train.csv",
        tmp_path / "test.csv",
        EvaluationSetup("label", folds=3),
        inject_noise_rate=0.2,
        n_bootstrap=200,
    )
    noisy = injected(train, 0.2, 0.4, seed=0)
    splitter = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    probs = cross_val_predict(
        logistic_regression(), train[FEATURES], noisy, cv=splitter, method="predict_proba"
    )
    flagged = oracle_find_label_issues(noisy, probs, n_jobs=1)
    assert document["n_flagged"] == flagged.sum()
    assert document["n_flipped"] == np.sum(noisy != train["label"].to_numpy())
    assert [v["name"] for v in document["variants"]] == ["all", "remove", "relabel"]
    relabelled = np.where(flagged, probs.argmax(axis=1), noisy)
    for variant in document["variants"]:
        name = variant["name"]
        keep = ~flagged if name == "remove" else np.ones(len(train), dtype=bool)
        labels = relabelled if name == "relabel" else noisy
        model = logistic_regression().fit(train[FEATURES][keep], labels[keep])
        accuracy = np.mean(model.predict(test[FEATURES]) == test["label"].to_numpy())
        assert variant["accuracy"] == pytest.approx(accuracy)
        assert variant["n_train"] == keep.sum()
        assert variant["accuracy_low"] <= variant["accuracy"] <= variant["accuracy_high"]
        assert variant["log_loss_low"] <= variant["log_loss"] <= variant["log_loss_high"]
        truth = train["label"].to_numpy()[keep]
        assert variant["n_label_errors"] == np.sum(labels[keep] != truth)
        assert variant["accuracy_diff"] == pytest.approx(
            variant["accuracy"] - document["variants"][0]["accuracy"]
        )


def test_a_fit_on_a_single_class_is_an_input_error(three_classes) -> None:
    table = read_labelled(three_classes, label_column="label", folds=3)
    rows = np.flatnonzero(table.codes == 0)
    test_x = table.selected.features.iloc[:5]
    with pytest.raises(InputError, match="fitting the model on the rows remove gives failed"):
        fit_and_predict(
            LogisticRegression(), table, rows, table.codes[rows], test_x, "the rows remove gives"
        )
