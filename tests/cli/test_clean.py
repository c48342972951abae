"""``labelaudit clean``: the dataset without (or relabelled at) the flagged rows, nothing else."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tests.conftest import Invoke
from tests.datasets import CLASSES, N_ROWS, Dataset, expected_issues


def test_clean_remove_equals_the_core(data: Dataset, invoke: Invoke) -> None:
    result = invoke("clean", "data.parquet", "--probs", "p.parquet", "--id-column",
                    "id", "-o", "clean.parquet")  # fmt: skip
    assert result.exit_code == 0, result.output
    _, mask, _ = expected_issues(data)
    original = pd.read_parquet(data.path("data.parquet"))
    cleaned = pd.read_parquet(data.path("clean.parquet"))
    pd.testing.assert_frame_equal(cleaned, original[~mask].reset_index(drop=True))
    assert f"Removed {mask.sum()} of {N_ROWS} rows" in result.stdout


def test_clean_relabel_with_separate_labels(data: Dataset, invoke: Invoke) -> None:
    result = invoke("clean", "data.csv", "--labels", "data.csv", "--probs",
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
def test_clean_reuses_a_find_issues_output(
    data: Dataset, issues_flags: str, invoke: Invoke
) -> None:
    flags = [issues_flags] if issues_flags else []
    found = invoke("find-issues", "--labels", "data.csv", "--probs", "p.parquet",
                   "--id-column", "id", "-o", "issues.csv", *flags)  # fmt: skip
    assert found.exit_code == 0
    recomputed = invoke("clean", "data.csv", "--probs", "p.parquet", "--id-column",
                        "id", "--action", "relabel", "-o", "a.csv")  # fmt: skip
    reused = invoke("clean", "data.csv", "--issues", "issues.csv", "--action",
                    "relabel", "-o", "b.csv")  # fmt: skip
    assert recomputed.exit_code == 0 and reused.exit_code == 0, reused.output
    assert data.path("a.csv").read_bytes() == data.path("b.csv").read_bytes()
    removed = invoke("clean", "data.csv", "--issues", "issues.csv", "-o", "c.csv")
    assert removed.exit_code == 0
    assert len(pd.read_csv(data.path("c.csv"))) == N_ROWS - expected_issues(data)[1].sum()


def test_clean_refuses_issues_of_other_data(data: Dataset, invoke: Invoke) -> None:
    invoke("find-issues", "--labels", "data.csv", "--probs", "p.parquet",
           "--id-column", "id", "-o", "issues.csv")  # fmt: skip
    other = pd.read_csv(data.path("data.csv"))
    other["label"] = np.roll(other["label"].to_numpy(), 1)
    other.to_csv(data.path("other.csv"), index=False)
    result = invoke("clean", "other.csv", "--issues", "issues.csv", "-o", "o.csv")
    assert result.exit_code == 2 and "issues file says" in result.stderr
    # The first mismatching row in DATA's order is named, with both labels.
    issues = pd.read_csv(data.path("issues.csv"))
    given = dict(zip(issues["row"], issues["given_label"], strict=True))
    first = min(row for row, label in given.items() if other["label"][row] != label)
    assert result.stderr == (
        f"Error: other.csv: row {first} has label {other['label'][first]!r} in column 'label' but "
        f"the issues file says {given[first]!r}; was it made for other data?\n"
    )
    assert not data.path("o.csv").exists()
