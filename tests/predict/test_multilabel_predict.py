"""``predict --multi-label``: out-of-fold per-class probabilities, folds, errors, the CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn.datasets import make_multilabel_classification
from sklearn.linear_model import LogisticRegression
from typer.testing import CliRunner

from labelaudit.cli import app
from labelaudit.errors import InputError
from labelaudit.predict.multilabel import (
    check_tag_counts,
    multilabel_folds,
    out_of_fold_multilabel,
    rarest_tag_strata,
)

NAMES = np.array(["beach", "city", "dog", "sunset"])


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, np.ndarray]:
    features, labels = make_multilabel_classification(
        n_samples=300, n_features=6, n_classes=4, random_state=1
    )
    frame = pd.DataFrame(features, columns=[f"f{i}" for i in range(6)])
    return frame, labels


def test_out_of_fold_probabilities_are_deterministic_and_per_class(data) -> None:
    frame, labels = data
    kwargs = {"model": LogisticRegression(max_iter=500), "folds": 4, "seed": 3}
    probs, metrics = out_of_fold_multilabel(frame, labels, list(NAMES), **kwargs)
    again, _ = out_of_fold_multilabel(frame, labels, list(NAMES), **kwargs, n_jobs=2)
    np.testing.assert_array_equal(probs, again)
    assert probs.shape == labels.shape and ((probs >= 0) & (probs <= 1)).all()
    assert not np.allclose(probs.sum(axis=1), 1)  # per class, not a distribution
    assert metrics["tag_accuracy"] > metrics["baseline_tag_accuracy"]
    assert metrics["n_classes"] == 4 and metrics["folds"] == 4


def test_folds_cover_every_row_once_and_spread_rare_classes() -> None:
    rng = np.random.default_rng(0)
    labels = (rng.random((200, 3)) < [0.5, 0.3, 0.2]).astype(int)
    labels[:, 2] = 0
    labels[rng.choice(200, 10, replace=False), 2] = 1  # a rare class with 10 rows
    splits = multilabel_folds(labels, 5, seed=1)
    tests = np.concatenate([test for _, test in splits])
    assert sorted(tests.tolist()) == list(range(200))
    assert all(labels[test, 2].sum() == 2 for _, test in splits)  # 10 rows over 5 folds
    assert multilabel_folds(labels, 5, seed=1)[0][1].tolist() == splits[0][1].tolist()
    assert multilabel_folds(labels, 5, seed=2)[0][1].tolist() != splits[0][1].tolist()
    strata = rarest_tag_strata(labels, 5)
    assert (strata[labels[:, 2] == 1] == 2).all()


def test_class_with_too_few_tags_is_named() -> None:
    labels = np.zeros((50, 3), dtype=int)
    labels[:25, 0] = 1
    labels[:3, 1] = 1
    labels[:, 2] = 1
    with pytest.raises(InputError) as info:
        check_tag_counts(labels, ["a", "rare", "everywhere"], folds=5)
    message = str(info.value)
    assert (
        "'rare' (3 with, 47 without)" in message and "'everywhere' (50 with, 0 without)" in message
    )
    assert "'a'" not in message


def runner_invoke(folder: Path, *args: str):
    with pytest.MonkeyPatch.context() as patch:  # the working directory comes back after
        patch.chdir(folder)
        return CliRunner().invoke(app, list(args))


def test_cli_writes_class_named_columns(data, tmp_path: Path) -> None:
    frame, labels = data
    table = pa.Table.from_pandas(frame).append_column(
        "tags", pa.array([NAMES[np.flatnonzero(row)].tolist() for row in labels])
    )
    table = table.append_column("id", pa.array([f"r{i}" for i in range(len(frame))]))
    pq.write_table(table, tmp_path / "features.parquet")
    args = ["predict", "features.parquet", "--multi-label", "--label-column", "tags"]
    result = runner_invoke(tmp_path, *args, "--id-column", "id", "-o", "p.parquet", "--folds", "3")
    assert result.exit_code == 0, result.output
    written = pq.read_table(tmp_path / "p.parquet")
    assert written.column_names == ["id", *NAMES]
    # the probabilities feed find-issues --multi-label directly
    result = runner_invoke(
        tmp_path,
        "find-issues",
        "--multi-label",
        "--labels",
        "features.parquet",
        "--label-column",
        "tags",
        "--probs",
        "p.parquet",
        "--id-column",
        "id",
        "--quiet",
    )
    assert result.exit_code == 0, result.output


def test_cli_text_labels_and_a_rare_class_error(data, tmp_path: Path) -> None:
    frame, labels = data
    frame = frame.assign(tags=["|".join(NAMES[np.flatnonzero(row)]) for row in labels])
    frame.loc[0, "tags"] = "beach|unicorn"  # a class with a single row
    frame.to_csv(tmp_path / "features.csv", index=False)
    args = ["predict", "features.csv", "--multi-label", "--label-column", "tags", "-o", "p.npy"]
    result = runner_invoke(tmp_path, *args, "--label-separator", "|")
    assert result.exit_code == 2
    assert "'unicorn' (1 with, 299 without)" in result.stderr
    assert not (tmp_path / "p.npy").exists()
