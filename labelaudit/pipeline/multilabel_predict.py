"""``predict --multi-label``: out-of-fold per-class probabilities of a feature table."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labelaudit.errors import InputError

if TYPE_CHECKING:
    from labelaudit.pipeline.predict import FitOptions


def predict_multilabel(
    features: Path,
    output: Path,
    fit: FitOptions,
    *,
    separator: str = ",",
    on_fold: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Fit one-vs-rest models by K-fold, write every row's out-of-fold per-class probabilities.

    The label column holds label sets (a list column, or text joined by *separator*); the
    classes are every label seen, sorted. The output has one column per class (named by it),
    after the id column if any; ``.npy`` holds the (N, K) array in that class order.
    """
    from labelaudit import io
    from labelaudit.predict.multilabel import out_of_fold_multilabel

    started = time.perf_counter()
    io.check_output(output, (*io.TABLE_SUFFIXES, ".npy"), [features])
    if fit.n_jobs == 0:
        raise InputError("--n-jobs must be a positive number of processes or -1 (all CPUs).")
    choice, selected = fit.prepare(lambda: io.read_table(features))
    labels, names = _label_sets(features, fit.label_column, separator)
    fit.refuse_id_named_like(names, output)
    probs, metrics = out_of_fold_multilabel(
        selected.features,
        labels,
        names,
        model=choice.estimator,
        folds=fit.folds,
        seed=fit.seed,
        n_jobs=fit.n_jobs,
        text_columns=selected.text_columns,
        progress_callback=on_fold,
    )
    _write(output, probs, names, selected.ids, fit.id_column)
    return {
        "multi_label": True,
        "output": str(output),
        "model": choice.description,
        "calibrated": choice.calibrated,
        "folds": fit.folds,
        "seed": fit.seed,
        "classes": names,
        "column_classes": io.output_suffix(output) == ".npy",
        "seconds": time.perf_counter() - started,
        **metrics,
    }


def _label_sets(features: Path, label_column: str, separator: str) -> tuple[Any, list[str]]:
    """The (N, K) indicator of the label column and the class names (every label, sorted)."""
    from labelaudit.io.multilabel import LabelSource, label_sets_to_indicator, read_arrow_table

    column = read_arrow_table(features, [label_column], text_columns=[label_column])
    labels, classes = label_sets_to_indicator(
        column.column(0), None, LabelSource(features, label_column, separator)
    )
    return labels, [str(name) for name in classes]


def _write(output: Path, probs: Any, names: list[str], ids: Any, id_column: str | None) -> None:
    """``.npy`` as it is; a table with the id column (if any) and one column per class."""
    from labelaudit import io

    if io.output_suffix(output) == ".npy":
        io.write_npy(probs, output)
        return
    columns: dict[str, Any] = {}
    if ids is not None:
        columns[str(id_column)] = ids.to_numpy()
    for k, name in enumerate(names):
        columns[name] = probs[:, k]
    import pandas as pd

    io.write_table(pd.DataFrame(columns), output)
