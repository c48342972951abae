"""core.noise: the noise matrix has the requested trace and sparsity and valid columns; flips
follow it exactly; a seed gives the same matrix and the same flips."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from labelaudit.core.noise import flip_labels, noise_matrix


def off_diagonal_zeros(matrix: np.ndarray) -> int:
    return int(np.sum(matrix[~np.eye(matrix.shape[0], dtype=bool)] == 0))


def assert_valid(matrix: np.ndarray, prior: np.ndarray, noise_rate: float, sparsity: float):
    n_classes = prior.shape[0]
    assert matrix.shape == (n_classes, n_classes)
    assert np.trace(matrix) == pytest.approx(n_classes * (1 - noise_rate), abs=1e-9)
    assert off_diagonal_zeros(matrix) == round(sparsity * n_classes * (n_classes - 1))
    np.testing.assert_allclose(matrix.sum(axis=0), 1.0, atol=1e-12)
    assert matrix.min() >= 0 and matrix.max() <= 1
    # The prior stays reachable: every given label is mostly its own true class.
    joint = matrix * prior[None, :]
    for i in range(n_classes):
        others = np.delete(joint[i], i)
        assert joint[i, i] > others.max()
    assert np.all(matrix @ prior > 0)


@pytest.mark.parametrize(
    ("prior", "noise_rate", "sparsity"),
    [
        pytest.param([0.37, 0.63], 0.2, 0.4, id="breast-cancer-binary"),
        pytest.param([0.5, 0.5], 0.2, 0.0, id="binary-dense"),
        pytest.param([0.25] * 4, 0.3, 0.5, id="four-classes"),
        pytest.param([0.1] * 10, 0.4, 0.6, id="ten-classes"),
        pytest.param([0.1] * 10, 0.2, 0.8, id="ten-classes-sparse"),
        pytest.param([0.5, 0.3, 0.2], 0.2, 0.0, id="unbalanced"),
    ],
)
def test_trace_sparsity_and_columns_are_as_requested(prior, noise_rate, sparsity) -> None:
    prior = np.asarray(prior)
    for seed in range(5):
        matrix = noise_matrix(prior, noise_rate, sparsity, np.random.default_rng(seed))
        assert_valid(matrix, prior, noise_rate, sparsity)


@settings(max_examples=40, deadline=None)
@given(
    n_classes=st.integers(2, 8),
    noise_rate=st.floats(0.01, 0.3),
    sparsity=st.floats(0.0, 0.6),
    seed=st.integers(0, 2**32 - 1),
)
def test_any_moderate_noise_gives_a_valid_matrix(n_classes, noise_rate, sparsity, seed) -> None:
    # Binary data has 2 noise rates: sparsity above 0.75 rounds to both being zero.
    assume(round(sparsity * n_classes * (n_classes - 1)) < n_classes * (n_classes - 1))
    prior = np.full(n_classes, 1 / n_classes)
    matrix = noise_matrix(prior, noise_rate, sparsity, np.random.default_rng(seed))
    assert_valid(matrix, prior, noise_rate, sparsity)


def test_no_noise_is_the_identity_and_flips_nothing() -> None:
    matrix = noise_matrix(np.array([0.2, 0.8]), 0.0, 0.4, np.random.default_rng(0))
    np.testing.assert_array_equal(matrix, np.eye(2))
    labels = np.repeat([0, 1], [20, 80])
    np.testing.assert_array_equal(flip_labels(labels, matrix, np.random.default_rng(0)), labels)


def test_flips_are_exactly_the_matrix_times_the_class_sizes() -> None:
    matrix = np.array([[0.8, 0.1, 0.0], [0.2, 0.7, 0.25], [0.0, 0.2, 0.75]])
    labels = np.random.default_rng(3).permutation(np.repeat([0, 1, 2], [50, 100, 40]))
    noisy = flip_labels(labels, matrix, np.random.default_rng(0))
    counts = np.zeros((3, 3), dtype=int)
    np.add.at(counts, (noisy, labels), 1)  # counts[given, true]
    np.testing.assert_array_equal(counts, matrix * np.array([50, 100, 40]))


def test_rounded_flips_keep_every_class_size() -> None:
    matrix = np.array([[0.7, 1 / 3], [0.3, 2 / 3]])
    labels = np.repeat([0, 1], [7, 11])
    noisy = flip_labels(labels, matrix, np.random.default_rng(1))
    counts = np.zeros((2, 2), dtype=int)
    np.add.at(counts, (noisy, labels), 1)
    np.testing.assert_array_equal(counts.sum(axis=0), [7, 11])
    assert np.all(np.abs(counts - matrix * np.array([7, 11])) < 1)


def test_a_seed_gives_the_same_matrix_and_flips() -> None:
    prior = np.full(5, 0.2)
    labels = np.repeat(np.arange(5), 30)

    def run(seed: int) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(seed)
        matrix = noise_matrix(prior, 0.3, 0.4, rng)
        return matrix, flip_labels(labels, matrix, rng)

    first, again, other = run(7), run(7), run(8)
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(first[1], other[1])


@pytest.mark.parametrize(
    ("prior", "noise_rate", "sparsity", "message"),
    [
        pytest.param([0.5, 0.5], 1.0, 0.4, "noise_rate", id="noise-rate-1"),
        pytest.param([0.5, 0.5], -0.1, 0.4, "noise_rate", id="noise-rate-negative"),
        pytest.param([0.5, 0.5], float("nan"), 0.4, "noise_rate", id="noise-rate-nan"),
        pytest.param([0.5, 0.5], 0.2, 1.5, "sparsity", id="sparsity-above-1"),
        pytest.param([0.5, 0.5], 0.2, -0.1, "sparsity", id="sparsity-negative"),
        pytest.param([0.3, 0.3, 0.4], 0.2, 1.0, "too few non-zero", id="all-zero-with-noise"),
        pytest.param([0.5, 0.5], 0.9, 0.0, "lower the noise rate", id="unlearnable"),
        pytest.param([1.0], 0.2, 0.0, "at least 2", id="one-class"),
        pytest.param([0.0, 1.0], 0.2, 0.0, "positive", id="empty-class"),
    ],
)
def test_impossible_requests_raise(prior, noise_rate, sparsity, message) -> None:
    with pytest.raises(ValueError, match=message):
        noise_matrix(np.asarray(prior), noise_rate, sparsity, np.random.default_rng(0))


def test_flip_labels_refuses_a_matrix_that_is_not_column_stochastic() -> None:
    with pytest.raises(ValueError, match="columns sum to 1"):
        flip_labels(np.array([0, 1]), np.array([[0.9, 0.0], [0.0, 1.0]]), np.random.default_rng(0))
