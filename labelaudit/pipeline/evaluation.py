"""Building blocks of the evaluate use cases (:mod:`labelaudit.pipeline.evaluate`).

Reading a labelled feature table, injecting noise with :mod:`labelaudit.core.noise`,
``predict``'s out-of-fold probabilities, progress over several fits, and the metrics
(scikit-learn's) that compare flags and scores with the injected truth, or fits on a test table.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labelaudit.errors import InputError

if TYPE_CHECKING:
    import numpy as np

    from labelaudit.predict.features import FeatureSelection

#: ``on_progress(what, done, total)``: called before the first fit and after each fold or fit.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class LabelledTable:
    """A feature table's selected columns, with its labels as class indices."""

    selected: FeatureSelection
    codes: np.ndarray
    classes: list[str]

    @property
    def prior(self) -> np.ndarray:
        """Fraction of the rows in each class."""
        import numpy as np

        counts = np.bincount(self.codes, minlength=len(self.classes))
        return counts / counts.sum()


def check_noise_options(noise_rate: float, sparsity: float, option: str = "--noise-rate") -> None:
    """Raise :class:`InputError` unless *noise_rate* is in [0, 1) and *sparsity* in [0, 1]."""
    if not 0 <= noise_rate < 1:
        raise InputError(f"{option} must be in [0, 1), got {noise_rate:g}.")
    if not 0 <= sparsity <= 1:
        raise InputError(f"--sparsity must be in [0, 1], got {sparsity:g}.")


@dataclass(frozen=True)
class EvaluationSetup:
    """What both evaluations share: FEATURES' columns, model parameters, sparsity, seed, folds."""

    label_column: str
    model_params: str | None = None
    sparsity: float = 0.4
    seed: int = 0
    folds: int = 5
    text_columns: Sequence[str] = ()
    drop_columns: Sequence[str] = ()

    def read(self, path: Path) -> LabelledTable:
        """FEATURES with these columns (:func:`read_labelled`)."""
        return read_labelled(
            path,
            label_column=self.label_column,
            folds=self.folds,
            text_columns=self.text_columns,
            drop_columns=self.drop_columns,
        )


def read_labelled(
    path: Path,
    *,
    label_column: str,
    folds: int,
    text_columns: Sequence[str] = (),
    drop_columns: Sequence[str] = (),
) -> LabelledTable:
    """Read FEATURES, select its columns, encode its labels, check every class fills the folds."""
    import numpy as np

    from labelaudit import io
    from labelaudit import predict as models

    if folds < 2:
        raise InputError(f"--folds must be at least 2, got {folds}.")
    selected = models.select_features(
        io.read_table(path),
        label_column=label_column,
        text_columns=text_columns,
        drop_columns=drop_columns,
    )
    codes, classes = models.encode_labels(selected.labels)
    models.check_class_sizes(np.bincount(codes, minlength=len(classes)), classes, folds)
    return LabelledTable(selected, codes, classes)


def inject_noise(
    table: LabelledTable,
    noise_rate: float,
    sparsity: float,
    seed: int,
    folds: int,
    option: str = "--noise-rate",
) -> tuple[np.ndarray, np.ndarray]:
    """Noisy labels drawn with ``default_rng(seed)``, and the noise matrix behind them.

    Raises :class:`InputError` when no such matrix exists or when the noise leaves a class
    with fewer rows than *folds* (the fix names *option*, the noise rate's option).
    """
    import numpy as np

    from labelaudit.core.noise import flip_labels, noise_matrix
    from labelaudit.predict import check_class_sizes

    rng = np.random.default_rng(seed)
    try:
        matrix = noise_matrix(table.prior, noise_rate, sparsity, rng)
    except ValueError as exc:
        raise InputError(f"{exc}.") from exc
    noisy = flip_labels(table.codes, matrix, rng)
    counts = np.bincount(noisy, minlength=len(table.classes))
    try:
        check_class_sizes(counts, table.classes, folds)
    except InputError as exc:
        raise InputError(f"after the injected noise, {exc} Or lower {option}.") from exc
    return noisy, matrix


def out_of_fold(
    table: LabelledTable,
    given: np.ndarray,
    model: Any,
    *,
    folds: int,
    seed: int,
    on_fold: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, float]:
    """``labelaudit predict``'s out-of-fold probabilities for labels *given*, and its accuracy.

    The model's fit warnings are re-raised as Python warnings (the CLI prints them once).
    """
    import pandas as pd

    from labelaudit.predict import out_of_fold_probabilities

    probs, _, metrics = out_of_fold_probabilities(
        table.selected.features,
        pd.Series(given, name=table.selected.labels.name),
        model=model,
        folds=folds,
        seed=seed,
        text_columns=table.selected.text_columns,
        progress_callback=on_fold,
    )
    for message in metrics["warnings"]:
        warnings.warn(message, stacklevel=2)
    return probs, float(metrics["accuracy"])


class Steps:
    """Turns the fold callbacks of successive fits into one ``on_progress(what, done, total)``."""

    def __init__(self, on_progress: Progress | None, total: int) -> None:
        self.on_progress, self.total, self.done = on_progress, total, 0

    def callback(self, what: str) -> Callable[[int, int], None] | None:
        """The fold callback of the next fit, described by *what*."""
        if self.on_progress is None:
            return None
        start = self.done

        def on_fold(done: int, _folds: int) -> None:
            self.done = start + done
            assert self.on_progress is not None
            self.on_progress(what, self.done, self.total)

        return on_fold

    def advance(self, what: str) -> None:
        """One more step done (a fit outside cross-validation)."""
        self.done += 1
        if self.on_progress is not None:
            self.on_progress(what, self.done, self.total)


def mean_number(values: Sequence[float]) -> float | int:
    """The mean of *values*: an int when it is a whole number (so one repeat's counts stay ints)."""
    import numpy as np

    mean = float(np.mean(values))
    return int(mean) if mean.is_integer() else mean


def detection_metrics(is_flipped: np.ndarray, flagged: np.ndarray) -> dict[str, Any]:
    """``n_flagged``, ``precision``, ``recall`` and ``f1`` of *flagged* against *is_flipped*.

    A metric whose denominator is 0 (nothing flagged, nothing flipped) is NaN (``null`` in JSON).
    """
    import numpy as np
    from sklearn.metrics import precision_recall_fscore_support

    precision, recall, f1, _ = precision_recall_fscore_support(
        is_flipped, flagged, average="binary", zero_division=np.nan
    )
    return {
        "n_flagged": int(np.count_nonzero(flagged)),
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
    }


def ranking_metrics(is_flipped: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    """AUROC, AUPRC (average precision) and lift@k of low *scores* as a detector of flips.

    ``k`` is the number of flipped rows; lift@k is the share of flips among the ``k`` lowest
    scores divided by their share of all rows. All NaN when no row, or every row, was flipped.
    """
    import numpy as np
    from sklearn.metrics import average_precision_score, roc_auc_score

    from labelaudit.core.ranking import lowest_scores

    n_flipped = int(np.count_nonzero(is_flipped))
    if n_flipped in (0, is_flipped.shape[0]):
        return {"auroc": float("nan"), "auprc": float("nan"), "lift_at_k": float("nan")}
    lowest = lowest_scores(scores, n_flipped)
    base_rate = n_flipped / is_flipped.shape[0]
    return {
        "auroc": float(roc_auc_score(is_flipped, -scores)),
        "auprc": float(average_precision_score(is_flipped, -scores)),
        "lift_at_k": float(np.mean(is_flipped[lowest]) / base_rate),
    }


def holdout_metrics(
    probs: np.ndarray, labels: np.ndarray, resamples: np.ndarray
) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """Accuracy and log loss on TEST with bootstrap 95% intervals; and the per-row values.

    The point values are scikit-learn's ``accuracy_score`` and ``log_loss``; the intervals are
    the 2.5 and 97.5 percentiles of the same per-row means over *resamples* (rows of indices).
    """
    import numpy as np
    from sklearn.metrics import accuracy_score, log_loss

    correct = (probs.argmax(axis=1) == labels).astype(np.float64)
    # log_loss's per-row terms: probabilities clipped to [eps, 1 - eps], rows renormalised.
    eps = np.finfo(np.float64).eps
    clipped = np.clip(probs, eps, 1 - eps)
    clipped /= clipped.sum(axis=1, keepdims=True)
    per_row = {
        "accuracy": correct,
        "log_loss": -np.log(clipped[np.arange(labels.shape[0]), labels]),
    }
    points = {
        "accuracy": accuracy_score(labels, probs.argmax(axis=1)),
        "log_loss": log_loss(labels, probs, labels=list(range(probs.shape[1]))),
    }
    entry = {}
    for key, values in per_row.items():
        low, high = np.percentile(_resampled_means(values, resamples), [2.5, 97.5])
        entry[key] = float(points[key])
        entry[f"{key}_low"], entry[f"{key}_high"] = float(low), float(high)
    return entry, per_row


def _resampled_means(values: np.ndarray, resamples: np.ndarray) -> np.ndarray:
    """Mean of *values* over each row of indices in *resamples*, 100 resamples at a time."""
    import numpy as np

    return np.concatenate(
        [values[resamples[i : i + 100]].mean(axis=1) for i in range(0, len(resamples), 100)]
    )


def differences(
    per_row: dict[str, np.ndarray], reference: dict[str, np.ndarray], resamples: np.ndarray
) -> dict[str, float]:
    """Accuracy and log loss minus those of "all", with paired bootstrap 95% intervals."""
    import numpy as np

    result = {}
    for key in ("accuracy", "log_loss"):
        delta = per_row[key] - reference[key]
        low, high = np.percentile(_resampled_means(delta, resamples), [2.5, 97.5])
        result[f"{key}_diff"] = float(np.mean(delta))
        result[f"{key}_diff_low"], result[f"{key}_diff_high"] = float(low), float(high)
    return result
