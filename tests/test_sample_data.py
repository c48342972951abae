"""The shipped sample (sample_data/): small, self-consistent, and its injected errors findable."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tests.conftest import Invoke

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
FILES = ["digits_features.csv", "digits_probs.parquet", "digits_truth.csv"]


def test_sample_files_are_small() -> None:
    assert sum((SAMPLE / name).stat().st_size for name in FILES) < 1_000_000


def test_sample_files_agree_with_each_other() -> None:
    features = pd.read_csv(SAMPLE / "digits_features.csv")
    probs = pd.read_parquet(SAMPLE / "digits_probs.parquet")
    truth = pd.read_csv(SAMPLE / "digits_truth.csv")
    assert len(features) == len(probs) == len(truth)
    assert features["id"].tolist() == probs["id"].tolist() == truth["id"].tolist()
    assert features["label"].tolist() == truth["given_label"].tolist()
    flipped = truth["given_label"] != truth["original_label"]
    assert flipped.tolist() == truth["is_flipped"].tolist()
    assert 0.08 < flipped.mean() < 0.12
    class_columns = [c for c in probs.columns if c != "id"]
    assert sorted(class_columns) == sorted(set(truth["original_label"]))
    np.testing.assert_allclose(probs[class_columns].sum(axis=1), 1.0, atol=1e-5)


def test_find_issues_recovers_most_injected_errors(tmp_path: Path, invoke: Invoke) -> None:
    output = tmp_path / "issues.parquet"
    result = invoke(
        "find-issues",
        "--labels", SAMPLE / "digits_features.csv",
        "--probs", SAMPLE / "digits_probs.parquet",
        "--id-column", "id",
        "-o", output,
        "--quiet",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    flagged = pd.read_parquet(output)["row"].to_numpy()
    flipped = pd.read_csv(SAMPLE / "digits_truth.csv")["is_flipped"].to_numpy()
    found = flipped[flagged].sum()
    assert found / flipped.sum() > 0.6  # recall
    assert found / len(flagged) > 0.6  # precision
