"""health_report(top_pairs=...) lists the first pairs of the full list, found with numpy."""

from __future__ import annotations

import numpy as np
import pytest

from labelaudit.core.health import health_report, top_confusions


def _random_case(seed: int, n_classes: int, n_rows: int = 300, alpha: float = 0.3):
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.full(n_classes, alpha), size=n_rows)
    labels = probs.argmax(axis=1)
    noisy = rng.random(n_rows) < 0.3
    labels[noisy] = rng.integers(0, n_classes, int(noisy.sum()))
    return labels, probs


@pytest.mark.parametrize(
    ("seed", "n_classes"),
    [
        pytest.param(0, 2, id="two-classes"),
        pytest.param(1, 5, id="five-classes"),
        pytest.param(2, 12, id="twelve-classes-many-zero-ties"),
        pytest.param(3, 40, id="forty-classes-mostly-zero"),
    ],
)
@pytest.mark.parametrize("top", [0, 1, 3, 10, 10_000])
def test_top_pairs_are_the_first_of_the_full_list(seed: int, n_classes: int, top: int) -> None:
    labels, probs = _random_case(seed, n_classes)
    full = health_report(labels, probs)
    listed = health_report(labels, probs, top_pairs=top)
    assert listed.overlapping_classes == full.overlapping_classes[:top]
    assert listed.classes == full.classes and listed.n_label_issues == full.n_label_issues


@pytest.mark.parametrize("seed", [pytest.param(4, id="seed-4"), pytest.param(5, id="seed-5")])
def test_full_list_order_is_the_stable_sort_of_the_upper_triangle(seed: int) -> None:
    labels, probs = _random_case(seed, 15)
    report = health_report(labels, probs)
    joint = report.joint
    class_a, class_b = np.triu_indices(15, k=1)
    symmetric = joint[class_a, class_b] + joint[class_b, class_a]
    order = np.argsort(-symmetric, kind="stable")
    expected = [(int(class_a[i]), int(class_b[i])) for i in order]
    assert [(o.class_a, o.class_b) for o in report.overlapping_classes] == expected
    assert [o.joint_probability for o in report.overlapping_classes] == symmetric[order].tolist()


def test_every_pair_tied_resolves_by_pair_order() -> None:
    labels = np.arange(6)
    probs = np.eye(6)  # a perfect model: every off-diagonal joint cell is 0
    report = health_report(labels, probs, top_pairs=4)
    assert [(o.class_a, o.class_b) for o in report.overlapping_classes] == [
        (0, 1),
        (0, 2),
        (0, 3),
        (0, 4),
    ]


@pytest.mark.parametrize("top", [pytest.param(1, id="top-1"), pytest.param(7, id="top-7")])
def test_top_confusions_are_the_largest_off_diagonal_cells(top: int) -> None:
    labels, probs = _random_case(6, 9)
    noise = health_report(labels, probs).noise_matrix
    cells = [(i, j) for i in range(9) for j in range(9) if i != j]
    values = np.array([noise[i, j] for i, j in cells])
    order = np.argsort(-values, kind="stable")[:top]
    expected = [(cells[k][0], cells[k][1], float(values[k])) for k in order]
    assert [(c.given, c.true, c.probability) for c in top_confusions(noise, top)] == expected
