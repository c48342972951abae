"""``labelaudit find-issues``: its outputs are the core's flagged rows, ranked, in every format.

Most tests run in-process (the ``invoke`` fixture); a few run the real ``python -m labelaudit``
(``run``). The ``data`` fixture writes the inputs and makes their folder the working directory.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from labelaudit.core.filtering import FILTERS, find_label_issues
from labelaudit.core.ranking import SCORE_METHODS, ensemble_label_quality_scores
from tests.conftest import Invoke, Run
from tests.datasets import CLASSES, N_ROWS, Dataset, expected_issues


def test_exact_invocation_from_the_contract(data: Dataset, run: Run) -> None:
    done = run("find-issues", "--labels", "y.parquet", "--probs", "p.npy")
    ranked, _, _ = expected_issues(data)
    assert done.returncode == 0, done.stderr
    percent = f"{100 * len(ranked) / N_ROWS:.1f}%"
    assert f"{len(ranked)} label issues in {N_ROWS} rows ({percent})" in done.stdout
    assert str(ranked[0]) in done.stdout
    assert done.stderr == ""


@pytest.mark.parametrize("filter_by", FILTERS)
def test_find_issues_output_equals_the_core(data: Dataset, filter_by: str, invoke: Invoke) -> None:
    result = invoke(
        "find-issues", "--labels", "y.parquet", "--probs", "p.npy",
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
def test_find_issues_rank_by(data: Dataset, rank_by: str, invoke: Invoke) -> None:
    result = invoke(
        "find-issues", "--labels", "y.parquet", "--probs", "p.npy",
        "--rank-by", rank_by, "-o", "issues.csv",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    ranked, _, scores = expected_issues(data, rank_by=rank_by)
    written = pd.read_csv(data.path("issues.csv"))
    assert written["row"].tolist() == ranked.tolist()
    np.testing.assert_allclose(written["label_quality"], scores[ranked], rtol=1e-12)
    assert np.all(np.diff(written["label_quality"]) >= 0)


def test_find_issues_frac_noise_and_min_examples(data: Dataset, invoke: Invoke) -> None:
    result = invoke(
        "find-issues", "--labels", "y.parquet", "--probs", "p.npy",
        "--frac-noise", "0.5", "--min-examples-per-class", "60", "-o", "issues.parquet",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Warning:" in result.stderr and "min_examples_per_class=60" in result.stderr
    assert result.stderr == (
        "Warning: 2 class(es) have at most min_examples_per_class=60 rows (class indices [0, 2]); "
        "no label issues are flagged in them.\n"
    )
    with pytest.warns(UserWarning):
        ranked, _, _ = expected_issues(data, frac_noise=0.5, min_examples_per_class=60)
    full, _, _ = expected_issues(data)
    assert len(ranked) < len(full)
    assert pd.read_parquet(data.path("issues.parquet"))["row"].tolist() == ranked.tolist()


def test_find_issues_all_rows_in_input_order(data: Dataset, invoke: Invoke) -> None:
    result = invoke(
        "find-issues", "--labels", "data.csv", "--probs", "p.parquet",
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


def test_find_issues_csv_and_parquet_outputs_agree(data: Dataset, invoke: Invoke) -> None:
    for name in ("i.csv", "i.parquet"):
        assert invoke("find-issues", "--labels", "data.csv", "--probs",
                      "p.parquet", "--id-column", "id", "-o", name).exit_code == 0  # fmt: skip
    from_csv = pd.read_csv(data.path("i.csv"))
    from_parquet = pd.read_parquet(data.path("i.parquet"))
    pd.testing.assert_frame_equal(from_csv, from_parquet, check_dtype=False)


def test_find_issues_json_is_one_document(data: Dataset, invoke: Invoke) -> None:
    result = invoke(
        "find-issues", "--labels", "y.parquet", "--probs", "p.npy", "--json",
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


def test_find_issues_top_controls_the_table(data: Dataset, invoke: Invoke) -> None:
    ranked, _, _ = expected_issues(data)
    shown = invoke("find-issues", "--labels", "y.parquet", "--probs", "p.npy",
                   "--top", "2").stdout  # fmt: skip
    assert "top 2" in shown and f"\n  {ranked[0]:>3} " in shown
    hidden = invoke("find-issues", "--labels", "y.parquet", "--probs", "p.npy",
                    "--top", "0").stdout  # fmt: skip
    assert hidden.strip().splitlines() == [hidden.strip().splitlines()[0]]


def test_find_issues_quiet_prints_nothing_but_writes(data: Dataset, invoke: Invoke) -> None:
    result = invoke("find-issues", "--labels", "y.parquet", "--probs", "p.npy",
                    "--quiet", "-o", "i.parquet")  # fmt: skip
    assert result.exit_code == 0
    assert result.stdout == "" and result.stderr == ""
    assert data.path("i.parquet").exists()


def test_fail_above_trips_after_writing_and_passes(data: Dataset, invoke: Invoke) -> None:
    ranked, _, _ = expected_issues(data)
    fraction = len(ranked) / N_ROWS
    tripped = invoke("find-issues", "--labels", "y.parquet", "--probs", "p.npy",
                     "--fail-above", f"{fraction - 0.01}", "-o", "i.csv")  # fmt: skip
    assert tripped.exit_code == 1
    assert tripped.stderr.startswith("Error:") and "--fail-above" in tripped.stderr
    assert tripped.stderr == (
        f"Error: {100 * fraction:.1f}% of rows are flagged as label issues, above --fail-above "
        f"{fraction - 0.01:g}.\n"
    )
    assert "label issues in" in tripped.stdout
    assert len(pd.read_csv(data.path("i.csv"))) == len(ranked)
    passed = invoke("find-issues", "--labels", "y.parquet", "--probs", "p.npy",
                    "--fail-above", f"{fraction + 0.01}", "--json")  # fmt: skip
    assert passed.exit_code == 0
    assert json.loads(passed.stdout)["passed"] is True


def test_fail_above_exit_code_in_a_real_process(data: Dataset, run: Run) -> None:
    done = run("find-issues", "--labels", "y.parquet", "--probs", "p.npy",
               "--fail-above", "0", "--json")  # fmt: skip
    assert done.returncode == 1
    assert json.loads(done.stdout)["passed"] is False
    assert done.stderr.startswith("Error:") and "Traceback" not in done.stderr
    percent = f"{100 * len(expected_issues(data)[0]) / N_ROWS:.1f}%"
    assert (
        done.stderr
        == f"Error: {percent} of rows are flagged as label issues, above --fail-above 0.\n"
    )


def test_string_labels_with_npy_probs_and_classes(data: Dataset, invoke: Invoke) -> None:
    result = invoke("find-issues", "--labels", "data.csv", "--probs", "p.npy",
                    "--classes", "cat,dog,bird", "-o", "i.parquet")  # fmt: skip
    assert result.exit_code == 0, result.output
    ranked, _, _ = expected_issues(data)
    written = pd.read_parquet(data.path("i.parquet"))
    assert written["row"].tolist() == ranked.tolist()
    assert written["given_label"].tolist() == data.names[ranked].tolist()
    predicted = np.array(CLASSES)[data.probs[ranked].argmax(axis=1)]
    assert written["predicted_label"].tolist() == predicted.tolist()


@pytest.mark.parametrize("probs_name", ["p.npy", "p_int.parquet"])
def test_integer_labels_stay_integers(data: Dataset, probs_name: str, invoke: Invoke) -> None:
    result = invoke("find-issues", "--labels", "y.npy", "--probs", probs_name,
                    "-o", "i.parquet")  # fmt: skip
    assert result.exit_code == 0, result.output
    written = pd.read_parquet(data.path("i.parquet"))
    assert pd.api.types.is_integer_dtype(written["given_label"])
    assert pd.api.types.is_integer_dtype(written["predicted_label"])
    assert written["row"].tolist() == expected_issues(data)[0].tolist()


def test_ensemble_uses_mean_probs_for_issues_and_weighted_scores(
    data: Dataset, invoke: Invoke
) -> None:
    result = invoke("find-issues", "--labels", "y.npy", "--probs", "p.npy",
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
