"""core/partials: merged per-partition statistics equal the in-memory kernels exactly."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from labelaudit.core import partials
from labelaudit.core._arrays import RowsByClass, select_largest_per_row
from labelaudit.core.counting import compute_label_stats
from labelaudit.core.filtering import _prune_by_noise_rate, prune_count_matrix
from tests.dask_datasets import N_ROWS, tie_heavy

SPLITS = [0, 0, 1, 2, 300, 300, 301, 1200, N_ROWS]


def parts(labels: np.ndarray, probs: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(labels[a:b], probs[a:b]) for a, b in itertools.pairwise(SPLITS)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_joint_partials_merge_to_the_confident_joint(dtype: type) -> None:
    labels, probs = tie_heavy(seed=3, dtype=dtype)
    stats = compute_label_stats(labels, probs)
    merged = partials.JointPartial(np.zeros((4, 4), dtype=np.int64))
    for part_labels, part_probs in parts(labels, probs):
        merged = merged.merge(
            partials.joint_partial(part_labels, part_probs, stats.thresholds).partial
        )
    joint = merged.joint_counts
    np.fill_diagonal(joint, np.maximum(np.diag(joint), 1))
    np.testing.assert_array_equal(joint, stats.confident_joint)
    assert merged.n_issues == stats.num_label_issues
    assert merged.n_rows == N_ROWS


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_merged_cuts_give_the_local_prune_by_noise_rate(seed: int) -> None:
    labels, probs = tie_heavy(seed=seed)
    stats = compute_label_stats(labels, probs)
    counts = prune_count_matrix(stats.calibrated_joint, stats.class_counts)
    expected = _prune_by_noise_rate(probs, stats, counts, RowsByClass(labels, 4), 1, 1)

    cells = partials.noise_rate_cells(counts, stats.class_counts, 1)
    split = parts(labels, probs)
    candidates = [partials.cell_candidates(lb, pb, cells, stats.class_counts) for lb, pb in split]
    cuts = partials.merge_cell_candidates(candidates, cells, stats.class_counts)
    assert any(cut.tied for cut in cuts.values())  # the data ties at the cuts
    picks: list[dict[partials.Cell, np.ndarray]] = [{} for _ in split]
    for cell, cut in cuts.items():
        if cut.tied:
            margins = np.concatenate([partials.cell_margins(lb, pb, *cell) for lb, pb in split])
            chosen = partials.tied_cell_selection(margins, cut.count)
            bounds = np.cumsum([0] + [int(np.sum(lb == cell[0])) for lb, _ in split])
            for p in range(len(split)):
                picks[p][cell] = chosen[bounds[p] : bounds[p + 1]]
    got = np.concatenate(
        [partials.flag_by_noise_rate(lb, pb, cuts, picks[p]) for p, (lb, pb) in enumerate(split)]
    )
    np.testing.assert_array_equal(got, expected)


def test_tie_decision_matches_select_largest_per_row() -> None:
    rng = np.random.default_rng(5)
    values = np.round(rng.random(500) * 20).astype(np.float32) / 20
    for count in (1, 7, 100, 499):
        expected = select_largest_per_row(values[None, :], np.array([count]))[0]
        pieces = np.array_split(values, 7)
        labels = [np.zeros(p.size, dtype=np.int8) for p in pieces]
        probs = [np.column_stack([np.zeros_like(p), p]) for p in pieces]
        cells = {(0, 1): count}
        class_counts = np.array([500, 0])
        candidates = [
            partials.cell_candidates(lb, pb, cells, class_counts)
            for lb, pb in zip(labels, probs, strict=True)
        ]
        cut = partials.merge_cell_candidates(candidates, cells, class_counts)[(0, 1)]
        if cut.tied:
            got = partials.tied_cell_selection(values, count)
        else:
            got = values >= cut.cut
        np.testing.assert_array_equal(got, expected)


def test_a_cell_that_takes_every_row_needs_no_candidates() -> None:
    labels = np.zeros(3, dtype=np.int8)
    probs = np.array([[0.5, 0.5], [0.9, 0.1], [0.2, 0.8]])
    cells = {(0, 1): 3}
    assert partials.cell_candidates(labels, probs, cells, np.array([3, 0])) == {}
    cuts = partials.merge_cell_candidates([{}], cells, np.array([3, 0]))
    assert cuts[(0, 1)].cut is None
    assert partials.flag_by_noise_rate(labels, probs, cuts, {}).all()
