"""prune_counts_of_stats: the prune counts of a LabelStats and its small-class warning."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import labelaudit.core
from labelaudit.core import filtering, prune_counts
from labelaudit.core.counting import compute_label_stats
from labelaudit.core.filtering import find_label_issues, prune_counts_of_stats


def _inputs(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.ones(4), size=300)
    labels = rng.integers(0, 3, size=300)
    labels[:3] = 3  # class 3 has 3 rows: too few to prune with min_examples_per_class=3
    return labels, probs


@pytest.mark.parametrize("num_to_remove", [None, [5, 4, 3, 1]])
def test_prune_counts_of_stats_is_prune_count_matrix_of_the_stats(num_to_remove) -> None:
    labels, probs = _inputs()
    stats = compute_label_stats(labels, probs)
    expected = prune_counts.prune_count_matrix(
        stats.calibrated_joint,
        stats.class_counts,
        frac_noise=0.5,
        min_examples_per_class=2,
        num_to_remove_per_class=num_to_remove,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = prune_counts_of_stats(stats, 0.5, 2, num_to_remove)
    np.testing.assert_array_equal(got, expected)


def test_the_small_class_warning_names_the_callers_line() -> None:
    labels, probs = _inputs()
    with pytest.warns(UserWarning, match="min_examples_per_class=3") as caught:
        find_label_issues(labels, probs, min_examples_per_class=3)
    assert caught[0].filename == __file__


def test_prune_count_matrix_is_one_function_under_its_old_paths() -> None:
    assert filtering.prune_count_matrix is prune_counts.prune_count_matrix
    assert labelaudit.core.prune_count_matrix is prune_counts.prune_count_matrix
