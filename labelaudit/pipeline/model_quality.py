"""Is the model behind the probabilities any better than always guessing the largest class?

One rule, used by ``predict`` (on its cross-validated accuracy) and by ``find-issues`` and
``health`` (on the accuracy of the given probabilities): issues found with a model that is not
clearly better than the majority-class baseline are mostly the model's own errors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

#: The margin over the majority-class baseline that counts as "clearly above" it ...
WEAK_MODEL_MARGIN = 0.02
#: ... or, when the baseline is so high that 2 points are not left, this share of its error.
WEAK_MODEL_ERROR_SHARE = 0.5


def weak_model_threshold(baseline: float) -> float:
    """The accuracy a model must reach to be clearly above the majority-class *baseline*.

    ``baseline + min(0.02, 0.5 * (1 - baseline))``: two points above it, or half of the error
    that is left when the baseline is above 96% (a 0.99 baseline needs 0.995).
    """
    return baseline + min(WEAK_MODEL_MARGIN, WEAK_MODEL_ERROR_SHARE * (1.0 - baseline))


def weak_model_warning(accuracy: float, baseline: float, *, source: str) -> str | None:
    """A warning when *accuracy* is not clearly above *baseline*, else ``None``.

    Parameters
    ----------
    accuracy : float
        The model's accuracy against the given labels (cross-validated, or of the probs).
    baseline : float
        The largest class's share of the rows: the accuracy of always predicting it.
    source : str
        What the accuracy is of, for the message (``"cross-validated accuracy"``, ...).
    """
    if accuracy >= weak_model_threshold(baseline):
        return None
    return (
        f"the {source} ({accuracy:.3f}) is not clearly above the majority-class baseline "
        f"({baseline:.3f}, always predicting the largest class): label issues found with "
        "these probabilities are mostly the model's own errors. Try a stronger model or "
        "better features."
    )


def probs_accuracy_warning(
    predicted: np.ndarray, labels: np.ndarray, class_counts: np.ndarray
) -> str | None:
    """:func:`weak_model_warning` for given probabilities: accuracy of their argmax.

    Parameters
    ----------
    predicted, labels : ndarray of shape (N,)
        The argmax class of every row, and its given class (``LabelStats`` has both).
    class_counts : ndarray of shape (K,)
        Rows per given class.
    """
    import numpy as np

    return counts_accuracy_warning(int(np.count_nonzero(predicted == labels)), class_counts)


def counts_accuracy_warning(n_correct: int, class_counts: np.ndarray) -> str | None:
    """:func:`probs_accuracy_warning` from counts: rows whose argmax is the given class, and
    rows per given class (sums of per-partition counts with the Dask engine)."""
    n_rows = int(class_counts.sum())
    if n_rows == 0:
        return None
    accuracy = float(n_correct) / n_rows
    baseline = float(class_counts.max()) / n_rows
    return weak_model_warning(accuracy, baseline, source="accuracy of the probabilities")
