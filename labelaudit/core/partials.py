"""Mergeable per-partition statistics: the exact map-reduce of docs/algorithms.md (streaming).

A dataset split into row partitions (in global row order) is audited exactly by:

1. per partition, the self-confidence ``p[n, y[n]]`` of every row (an N-vector, gathered in row
   order so the thresholds are the local engine's pairwise means, bit for bit);
2. per partition, the confident-joint counts (:class:`JointPartial`, merged by integer sums);
3. per partition and per (given k, other j) cell of the prune-count matrix ``M``, the
   ``M[j, k] + 1`` largest margins ``p[j] - p[k]`` of the rows labelled k
   (:func:`cell_candidates`); merged, they give each cell's global cut-off and whether a tie
   straddles it (:func:`merge_cell_candidates`);
4. for tied cells only, the cell's full margin vector (N_k values in row order) and the
   reference rule ``argsort(-margin)[:count]`` (:func:`tied_cell_selection`);
5. per partition, the flags (:func:`flag_by_noise_rate`).

No function here sees more than one partition's ``(rows, K)`` probabilities.
Everything is plain numpy; the Dask engine (``labelaudit.pipeline.dask_engine``) runs it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from labelaudit.core._arrays import chunk_rows_for, row_chunks
from labelaudit.core.counting import _confident_joint_pass

__all__ = [
    "CellCut",
    "JointPartial",
    "cell_candidates",
    "cell_margins",
    "class_positions_mask",
    "flag_by_noise_rate",
    "joint_partial",
    "merge_candidates",
    "merge_cell_candidates",
    "noise_rate_cells",
    "self_confidence",
    "split_by_partition",
    "tied_cell_selection",
]

Cell = tuple[int, int]
"""A (given class k, other class j) cell of the prune-count matrix (``M[j, k]``)."""


def self_confidence(labels: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """``p[n, y[n]]`` of every row of one partition, in the input dtype."""
    return probs[np.arange(labels.shape[0]), labels]


@dataclass
class JointPartial:
    """Confident-joint statistics of some rows; :meth:`merge` adds two of them exactly.

    Attributes
    ----------
    joint_counts : ndarray (K, K), int64
        Counted rows by (given, guessed) label, before the diagonal is raised to 1.
    n_issues : int
        Off-diagonal rows that survive the reduce step (they sum to ``num_label_issues``).
    n_rows : int
        Rows seen.
    n_correct : int
        Rows whose argmax is the given class (the model's accuracy on the given labels).
    """

    joint_counts: np.ndarray
    n_issues: int = 0
    n_rows: int = 0
    n_correct: int = 0

    def merge(self, other: JointPartial) -> JointPartial:
        """The statistics of both sets of rows (integer sums: exact in any order)."""
        return JointPartial(
            self.joint_counts + other.joint_counts,
            self.n_issues + other.n_issues,
            self.n_rows + other.n_rows,
            self.n_correct + other.n_correct,
        )


@dataclass
class RowFacts:
    """Per-row facts of one partition from the confident-joint pass."""

    off_diagonal: np.ndarray
    given_label_is_top: np.ndarray
    predicted_labels: np.ndarray
    partial: JointPartial = field(repr=False)


def joint_partial(labels: np.ndarray, probs: np.ndarray, thresholds: np.ndarray) -> RowFacts:
    """The confident-joint pass of :func:`~labelaudit.core.counting.compute_label_stats` on one
    partition: the same kernel, so every per-row decision is the local engine's."""
    n_classes = probs.shape[1]
    rows = labels.shape[0]
    chunks = list(row_chunks(rows, chunk_rows_for(n_classes, probs.dtype.itemsize, None)))
    if rows == 0:
        empty = np.zeros(0, dtype=bool)
        counts = np.zeros((n_classes, n_classes), dtype=np.int64)
        return RowFacts(empty, empty, np.zeros(0, dtype=np.int64), JointPartial(counts))
    counts, off_diagonal, is_top, predicted = _confident_joint_pass(
        labels, probs, self_confidence(labels, probs), thresholds, chunks, 1
    )
    n_issues = int(np.count_nonzero(off_diagonal & ~is_top))
    n_correct = int(np.count_nonzero(predicted == labels))
    partial = JointPartial(counts, n_issues, rows, n_correct)
    return RowFacts(off_diagonal, is_top, predicted, partial)


def noise_rate_cells(
    prune_counts: np.ndarray, class_counts: np.ndarray, min_examples_per_class: int
) -> dict[Cell, int]:
    """Cells pruned by prune-by-noise-rate and their counts ``M[j, k]``: k with more than
    *min_examples_per_class* rows, j != k, ``M[j, k] > 0``."""
    cells = {}
    for k in np.flatnonzero(class_counts > min_examples_per_class):
        for j in np.flatnonzero(prune_counts[:, k] > 0):
            if j != k:
                cells[(int(k), int(j))] = int(prune_counts[j, k])
    return cells


def cell_margins(labels: np.ndarray, probs: np.ndarray, k: int, j: int) -> np.ndarray:
    """Margins ``p[j] - p[k]`` of the rows labelled k, in row order, in the input dtype."""
    rows = np.flatnonzero(labels == k)
    return probs[rows, j] - probs[rows, k]


def cell_candidates(
    labels: np.ndarray, probs: np.ndarray, cells: dict[Cell, int], class_counts: np.ndarray
) -> dict[Cell, np.ndarray]:
    """Per cell with ``count < n_k``, this partition's ``count + 1`` largest margins (unordered).

    The union over partitions holds the global ``count + 1`` largest, which decide the cut-off
    and whether a tie straddles it. Cells that take every row of their class need no candidates.
    """
    candidates = {}
    for (k, j), count in cells.items():
        if count >= class_counts[k]:
            continue
        margins = cell_margins(labels, probs, k, j)
        keep = count + 1
        if margins.size > keep:
            margins = np.partition(margins, margins.size - keep)[margins.size - keep :]
        candidates[(k, j)] = margins
    return candidates


def merge_candidates(
    merged: dict[Cell, np.ndarray], new: dict[Cell, np.ndarray], cells: dict[Cell, int]
) -> dict[Cell, np.ndarray]:
    """Fold one partition's candidates into *merged*, keeping each cell's ``count + 1``
    largest: the top ``count + 1`` of a union is that of the tops, so the fold is exact in any
    order and holds at most ``2 (count + 1)`` values per cell at a time."""
    for cell, values in new.items():
        if cell in merged:
            values = np.concatenate((merged[cell], values))
        keep = cells[cell] + 1
        if values.size > keep:
            values = np.partition(values, values.size - keep)[values.size - keep :]
        merged[cell] = values
    return merged


@dataclass(frozen=True)
class CellCut:
    """A cell's global cut-off: rows with ``margin >= cut`` are flagged, unless *tied*.

    ``cut`` is ``None`` when the cell takes every row of its class. When *tied*, the count-th
    and the next largest margins are equal, and the cell's rows come from
    :func:`tied_cell_selection` instead.
    """

    count: int
    cut: np.generic | None
    tied: bool


def merge_cell_candidates(
    partials: list[dict[Cell, np.ndarray]], cells: dict[Cell, int], class_counts: np.ndarray
) -> dict[Cell, CellCut]:
    """Global cut-off per cell from every partition's candidates.

    The decision is the local engine's (``select_largest_per_row``): the count-th largest
    margin is the cut; a tie straddles it when the next largest equals it.
    """
    cuts = {}
    for cell, count in cells.items():
        if count >= class_counts[cell[0]]:
            cuts[cell] = CellCut(count, None, False)
            continue
        values = np.concatenate([p[cell] for p in partials if cell in p])
        top = np.partition(values, [values.size - count - 1, values.size - count])
        cut, below = top[values.size - count], top[values.size - count - 1]
        cuts[cell] = CellCut(count, cut, bool(below == cut))
    return cuts


def class_positions_mask(labels: np.ndarray, by_class: dict[int, np.ndarray]) -> np.ndarray:
    """Mask over one partition's rows: per class k, the given positions among its rows
    labelled k (row order), e.g. its share of prune-by-class's global picks."""
    mask = np.zeros(labels.shape[0], dtype=bool)
    for k, positions in by_class.items():
        mask[np.flatnonzero(labels == k)[positions]] = True
    return mask


def split_by_partition(selected: np.ndarray, class_rows: list[int]) -> list[np.ndarray]:
    """Positions among a class's rows (global row order) split into each partition's own
    positions; *class_rows* are the class's rows per partition."""
    bounds = np.cumsum([0, *class_rows])
    selected = np.sort(selected)
    cuts = np.searchsorted(selected, bounds)
    return [selected[cuts[p] : cuts[p + 1]] - bounds[p] for p in range(len(class_rows))]


def tied_cell_selection(margins: np.ndarray, count: int) -> np.ndarray:
    """Mask over the class's rows (row order): ``argsort(-margins)[:count]``, the reference's
    rule where a tie straddles the cut (docs/exactness.md, section 5)."""
    selected = np.zeros(margins.shape[0], dtype=bool)
    selected[np.argsort(-margins)[:count]] = True
    return selected


def flag_by_noise_rate(
    labels: np.ndarray,
    probs: np.ndarray,
    cuts: dict[Cell, CellCut],
    tied: dict[Cell, np.ndarray],
) -> np.ndarray:
    """prune-by-noise-rate flags of one partition (before the reduce step).

    *tied* holds, per tied cell, this partition's share of :func:`tied_cell_selection`: a mask
    over its rows labelled k (in row order), or the positions of the selected ones among them.
    """
    mask = np.zeros(labels.shape[0], dtype=bool)
    for (k, j), cut in cuts.items():
        rows = np.flatnonzero(labels == k)
        if rows.size == 0:
            continue
        if cut.cut is None:
            mask[rows] = True
        elif cut.tied:
            mask[rows[tied[(k, j)]]] = True
        else:
            mask[rows[probs[rows, j] - probs[rows, k] >= cut.cut]] = True
    return mask
