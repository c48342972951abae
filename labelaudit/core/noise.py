"""Synthetic label noise with a known noise matrix, to measure how well issues are found.

The confident-learning paper (Northcutt, Jiang and Chuang, JAIR 2021, section 6) evaluates
label-error detection by corrupting clean labels with a noise matrix ``P(given=i | true=j)``
described by two numbers: the amount of noise, through the matrix's trace
``K * (1 - noise_rate)``, and its sparsity, the fraction of off-diagonal noise rates that are
exactly zero (noise concentrated on a few class pairs, as in real data). A matrix is usable when
each column is a distribution over given labels and when, for every given label ``i``, more
rows labelled ``i`` truly are ``i`` than any other single class: ``P(given=i | true=i) p(i) >
P(given=i | true=j) p(j)``. Then every class is still reachable as a given label (its noisy
prior is positive) and the noise is learnable. Rows are then flipped so that exactly the
matrix's (rounded) share of each true class gets each given label.

Pure numpy: the generator draws from the ``numpy.random.Generator`` it is given, so a seed
gives the same matrix and the same flips.
"""

from __future__ import annotations

import numpy as np

from labelaudit.core.calibration import round_preserving_row_totals

__all__ = ["flip_labels", "noise_matrix"]

#: Matrices drawn before :func:`noise_matrix` gives up on a (noise rate, sparsity, prior).
MAX_ATTEMPTS = 1100
#: Draws at each concentration of the Dirichlet shares (1, 2, 4, ... 1024).
ATTEMPTS_PER_CONCENTRATION = 100


def noise_matrix(
    prior: np.ndarray,
    noise_rate: float,
    sparsity: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """A random noise matrix ``P(given=i | true=j)`` with a given trace and sparsity.

    Parameters
    ----------
    prior : ndarray of shape (K,)
        Fraction of the rows in each true class (positive, summing to 1).
    noise_rate : float in [0, 1)
        Mean off-diagonal mass of the columns: the trace is ``K * (1 - noise_rate)``.
    sparsity : float in [0, 1]
        Fraction of the ``K * (K - 1)`` off-diagonal entries that are exactly zero
        (``round(sparsity * K * (K - 1))`` of them). Ignored when *noise_rate* is 0, where the
        matrix is the identity.
    rng : numpy.random.Generator
        Source of randomness (which entries are zero, how the noise is shared out).

    Returns
    -------
    ndarray of shape (K, K), float64
        Column-stochastic; for every given label ``i`` and true class ``j != i``,
        ``M[i, i] * prior[i] > M[i, j] * prior[j]``.

    Raises
    ------
    ValueError
        Arguments out of range, or no such matrix found: the noise rate is too high for the
        prior, or so many zeros leave too few entries to carry the noise.
    """
    prior = _checked_prior(prior)
    if not 0 <= noise_rate < 1:
        raise ValueError(f"noise_rate must be in [0, 1), got {noise_rate}")
    if not 0 <= sparsity <= 1:
        raise ValueError(f"sparsity must be in [0, 1], got {sparsity}")
    n_classes = prior.shape[0]
    if noise_rate == 0:
        return np.eye(n_classes)
    n_zeros, noisy_columns = _zeros_and_noisy_columns(n_classes, noise_rate, sparsity)
    for attempt in range(MAX_ATTEMPTS):
        # Uniform draws first (the most varied matrices); when they keep failing, ever more
        # even shares of the noise, which a high noise rate or a sparse support needs.
        concentration = 2.0 ** min(attempt // ATTEMPTS_PER_CONCENTRATION, 10)
        support = _off_diagonal_support(n_classes, n_zeros, noisy_columns, rng)
        matrix = _fill(support, noise_rate * n_classes, concentration, rng)
        if matrix is not None and _learnable(matrix, prior):
            return matrix
    raise ValueError(
        f"no noise matrix with noise rate {noise_rate:g} and sparsity {sparsity:g} keeps every "
        "given label mostly correct for this class balance; lower the noise rate"
    )


def _zeros_and_noisy_columns(n_classes: int, noise_rate: float, sparsity: float) -> tuple[int, int]:
    """Off-diagonal zeros of *sparsity*, and the fewest columns that can carry *noise_rate*.

    ValueError when the zeros leave fewer non-zero entries than that.
    """
    n_zeros = round(sparsity * n_classes * (n_classes - 1))
    # Each column's noise is at most 1, so at least ceil(K * noise_rate) columns carry some.
    noisy_columns = int(np.ceil(n_classes * noise_rate - 1e-12))
    if n_zeros > n_classes * (n_classes - 1) - noisy_columns:
        raise ValueError(
            f"sparsity {sparsity:g} leaves too few non-zero noise rates to carry a noise rate of "
            f"{noise_rate:g} over {n_classes} classes; lower the sparsity or the noise rate"
        )
    return n_zeros, noisy_columns


def _checked_prior(prior: np.ndarray) -> np.ndarray:
    """*prior* as float64, or ValueError unless it has >= 2 positive entries summing to 1."""
    prior = np.asarray(prior, dtype=np.float64)
    if prior.ndim != 1 or prior.shape[0] < 2:
        raise ValueError("prior must be a 1-D array of at least 2 class fractions")
    if np.any(prior <= 0) or not np.isclose(prior.sum(), 1.0):
        raise ValueError("prior must be positive and sum to 1")
    return prior


def _off_diagonal_support(
    n_classes: int, n_zeros: int, noisy_columns: int, rng: np.random.Generator
) -> np.ndarray:
    """Boolean (K, K) mask of the off-diagonal entries that will be non-zero.

    First ``noisy_columns`` random columns each keep one random off-diagonal entry (so the
    noise has somewhere to go); the *n_zeros* zeros are then drawn from the other entries.
    """
    support = ~np.eye(n_classes, dtype=bool)
    reserved = np.zeros_like(support)
    columns = rng.choice(n_classes, size=noisy_columns, replace=False)
    # A uniform off-diagonal row of each column: its index plus 1..K-1, modulo K.
    reserved[(columns + rng.integers(1, n_classes, size=noisy_columns)) % n_classes, columns] = True
    candidates = np.flatnonzero(support & ~reserved)
    zeros = rng.choice(candidates, size=n_zeros, replace=False)
    support.flat[zeros] = False
    return support


def _fill(
    support: np.ndarray, total_noise: float, concentration: float, rng: np.random.Generator
) -> np.ndarray | None:
    """Share *total_noise* over the columns with support, then over each column's entries.

    Each column's share is a Dirichlet draw weighted by its number of non-zero entries, scaled
    to *total_noise* and capped below 1 (the excess moved to the other columns); within a
    column, another Dirichlet draw. Higher *concentration* gives more even shares. ``None``
    when the cap cannot be met.
    """
    n_classes = support.shape[0]
    per_column = support.sum(axis=0)
    columns = np.flatnonzero(per_column)
    weights = per_column[columns] * rng.dirichlet(np.full(len(columns), concentration))
    column_noise = np.zeros(n_classes)
    column_noise[columns] = _capped_shares(total_noise, weights / weights.sum())
    if not np.all(np.isfinite(column_noise)):
        return None
    # Each column's split is a Dirichlet draw over its support: normalised gamma variates.
    matrix = np.where(support, rng.gamma(concentration, size=support.shape), 0.0)
    totals = matrix.sum(axis=0)
    matrix *= np.divide(column_noise, totals, out=np.zeros(n_classes), where=totals > 0)
    matrix[np.diag_indices(n_classes)] = 1.0 - column_noise
    return matrix


def _capped_shares(total: float, fractions: np.ndarray) -> np.ndarray:
    """*total* split by *fractions*, every share below 1 (NaN when impossible).

    A share above the cap is set to it and the excess goes to the shares below, in proportion.
    """
    cap = 1.0 - 1e-9
    count = fractions.shape[0]
    if total > cap * count:
        return np.full(count, np.nan)
    shares = total * fractions
    for _ in range(count):
        over = shares > cap
        if not over.any():
            break
        excess = float(np.sum(shares[over] - cap))
        shares[over] = cap
        free = shares < cap
        shares[free] += excess * shares[free] / shares[free].sum()
    return shares


def _learnable(matrix: np.ndarray, prior: np.ndarray) -> bool:
    """Every given label ``i``: ``M[i, i] p(i)`` above every other ``M[i, j] p(j)``."""
    joint = matrix * prior[None, :]
    diagonal = np.diag(joint).copy()
    off = joint.copy()
    np.fill_diagonal(off, -np.inf)
    return bool(np.all(diagonal > off.max(axis=1)))


def flip_labels(
    labels: np.ndarray, noise_matrix: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Noisy labels: of the ``n_j`` rows of true class ``j``, ``M[i, j] * n_j`` get label ``i``.

    The counts of each true class are rounded so that they still add up to ``n_j`` (largest
    remainders); which rows of the class receive which label is a random permutation.

    Parameters
    ----------
    labels : ndarray of shape (N,)
        True labels, integers in ``0..K-1``.
    noise_matrix : ndarray of shape (K, K)
        Column-stochastic ``P(given=i | true=j)`` (see :func:`noise_matrix`).
    rng : numpy.random.Generator
        Picks the rows that are flipped.

    Returns
    -------
    ndarray of shape (N,), int64
        The given (noisy) labels.
    """
    labels = np.asarray(labels)
    matrix = np.asarray(noise_matrix, dtype=np.float64)
    n_classes = matrix.shape[0]
    if matrix.shape != (n_classes, n_classes) or not np.allclose(matrix.sum(axis=0), 1.0):
        raise ValueError("noise_matrix must be a square matrix whose columns sum to 1")
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"labels must be integers in 0..{n_classes - 1}")
    class_counts = np.bincount(labels, minlength=n_classes)
    # Row j of the transposed product: how many rows of true class j get each given label.
    counts = round_preserving_row_totals(matrix.T * class_counts[:, None])
    noisy = labels.astype(np.int64, copy=True)
    for true_class in range(n_classes):
        rows = rng.permutation(np.flatnonzero(labels == true_class))
        noisy[rows] = np.repeat(np.arange(n_classes), counts[true_class])
    return noisy
