"""``labelaudit score``: one label-quality score per row, equal to the core's, in input order."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from labelaudit.core.ranking import (
    SCORE_METHODS,
    ensemble_label_quality_scores,
    label_quality_scores,
)
from tests.conftest import Invoke
from tests.datasets import N_ROWS, Dataset


def test_probs_table_in_another_column_order(data: Dataset, invoke: Invoke) -> None:
    shuffled = pd.read_parquet(data.path("p.parquet"))[["bird", "id", "cat", "dog"]]
    shuffled.to_csv(data.path("shuffled.csv"), index=False)
    result = invoke("score", "--labels", "data.csv", "--probs", "shuffled.csv",
                    "--id-column", "id", "-o", "s.csv")  # fmt: skip
    assert result.exit_code == 0, result.output
    scores = pd.read_csv(data.path("s.csv"))["label_quality"]
    np.testing.assert_allclose(scores, data.probs[np.arange(N_ROWS), data.labels], rtol=1e-6)


def test_normalize_rescales_rows(data: Dataset, invoke: Invoke) -> None:
    unnormalised = data.probs.astype(np.float64) * 2.0 / 3.0
    np.save(data.path("half.npy"), unnormalised)
    refused = invoke("score", "--labels", "y.npy", "--probs", "half.npy")
    assert refused.exit_code == 2 and "--normalize" in refused.stderr
    assert refused.stderr == (
        "Error: half.npy: row 0: probabilities sum to 0.666667, not 1 (tolerance 0.0001).\n"
        "Pass --normalize to rescale every row to sum to 1 (or --multi-label if these are "
        "per-class probabilities of label sets).\n"
    )
    result = invoke("score", "--labels", "y.npy", "--probs", "half.npy",
                    "--normalize", "-o", "s.parquet")  # fmt: skip
    assert result.exit_code == 0, result.output
    fixed = unnormalised / unnormalised.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(
        pd.read_parquet(data.path("s.parquet"))["label_quality"],
        label_quality_scores(data.labels, fixed),
    )


@pytest.mark.parametrize(
    ("method", "adjust"),
    [(method, False) for method in SCORE_METHODS]
    + [("self_confidence", True), ("normalized_margin", True)],  # entropy: see the error test
)
def test_score_equals_the_core(data: Dataset, method: str, adjust: bool, invoke: Invoke) -> None:
    args = ["score", "--labels", "data.parquet", "--probs", "p.parquet", "--id-column", "id",
            "--method", method, "-o", "s.parquet"]  # fmt: skip
    result = invoke(*args, *(["--adjust-pred-probs"] if adjust else []))
    assert result.exit_code == 0, result.output
    written = pd.read_parquet(data.path("s.parquet"))
    assert list(written.columns) == ["row", "id", "given_label", "predicted_label", "label_quality"]
    assert written["row"].tolist() == list(range(N_ROWS))
    expected = label_quality_scores(
        data.labels, data.probs, method=method, adjust_pred_probs=adjust
    )
    np.testing.assert_array_equal(written["label_quality"].to_numpy(), expected)


def test_score_json_and_ensemble(data: Dataset, invoke: Invoke) -> None:
    result = invoke("score", "--labels", "y.npy", "--probs", "p.npy", "--probs",
                    "p2.npy", "--method", "normalized_margin", "--json", "--top", "3")  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    scores = ensemble_label_quality_scores(
        data.labels, [data.probs, data.other_probs], method="normalized_margin"
    )
    assert document["mean_label_quality"] == pytest.approx(scores.mean())
    assert [row["row"] for row in document["lowest"]] == np.argsort(scores)[:3].tolist()


def test_score_adjust_with_entropy_is_a_usage_error(data: Dataset, invoke: Invoke) -> None:
    result = invoke("score", "--labels", "y.npy", "--probs", "p.npy", "--method",
                    "confidence_weighted_entropy", "--adjust-pred-probs")  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: --adjust-pred-probs")
    assert result.stderr == (
        "Error: --adjust-pred-probs cannot be combined with --method confidence_weighted_entropy.\n"
    )
