"""Stand-ins for the core's results, and a console that renders into a string."""

from __future__ import annotations

import io as stdio
from types import SimpleNamespace

import numpy as np
from rich.console import Console


def fake_health(n_classes: int = 3) -> SimpleNamespace:
    """A HealthReport-shaped object with distinct numbers in every field."""
    noise = np.full((n_classes, n_classes), 0.05)
    np.fill_diagonal(noise, 0.9)
    classes = [
        SimpleNamespace(
            class_index=k,
            n_examples=10 + k,
            n_label_issues=k,
            n_inverse_label_issues=k + 1,
            label_noise=0.01 * k,
            inverse_label_noise=0.02 * k,
            label_quality=1 - 0.01 * k,
        )
        for k in reversed(range(n_classes))  # worst first
    ]
    overlaps = [
        SimpleNamespace(class_a=0, class_b=2, n_overlapping=4, joint_probability=np.float64(0.125))
    ]
    return SimpleNamespace(
        n_examples=40,
        n_classes=n_classes,
        n_label_issues=np.int64(3),
        noise_rate=0.075,
        health_score=0.925,
        classes=classes,
        overlapping_classes=overlaps,
        noise_matrix=noise,
        joint=noise / noise.sum(),
    )


def render(function, *args, color: bool = False, **kwargs) -> str:
    buffer = stdio.StringIO()
    console = Console(
        file=buffer, width=100, force_terminal=color, color_system="truecolor" if color else None
    )
    function(console, *args, **kwargs)
    return buffer.getvalue()
