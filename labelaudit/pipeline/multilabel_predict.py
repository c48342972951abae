"""``predict --multi-label``: out-of-fold per-class probabilities of a feature table."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from labelaudit.errors import InputError


def predict_multilabel(
    features: Path,
    output: Path,
    *,
    label_column: str,
    separator: str = ",",
    model: str = "logistic_regression",
    model_params: str | None = None,
    folds: int = 5,
    seed: int = 0,
    n_jobs: int = 1,
    id_column: str | None = None,
    text_columns: Sequence[str] = (),
    drop_columns: Sequence[str] = (),
    on_fold: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Fit one-vs-rest *model* by K-fold, write every row's out-of-fold per-class probabilities.

    The label column holds label sets (a list column, or text joined by *separator*); the
    classes are every label seen, sorted. The output has one column per class (named by it),
    after the id column if any; ``.npy`` holds the (N, K) array in that class order.
    """
    from labelaudit import io
    from labelaudit import predict as models
    from labelaudit.predict.multilabel import out_of_fold_multilabel

    started = time.perf_counter()
    io.check_output(output, (*io.TABLE_SUFFIXES, ".npy"), [features])
    if n_jobs == 0:
        raise InputError("--n-jobs must be a positive number of processes or -1 (all CPUs).")
    choice = models.build_model(model, model_params, seed)
    selected = models.select_features(
        io.read_table(features),
        label_column=label_column,
        id_column=id_column,
        text_columns=text_columns,
        drop_columns=drop_columns,
    )
    labels, names = _label_sets(features, label_column, separator)
    is_npy = io.suffix_of(output) == ".npy"
    if id_column is not None and id_column in names and not is_npy:
        raise InputError(f"--id-column '{id_column}' has the same name as a class; rename it.")
    probs, metrics = out_of_fold_multilabel(
        selected.features,
        labels,
        names,
        model=choice.estimator,
        folds=folds,
        seed=seed,
        n_jobs=n_jobs,
        text_columns=selected.text_columns,
        progress_callback=on_fold,
    )
    _write(output, probs, names, selected.ids, id_column)
    return {
        "multi_label": True,
        "output": str(output),
        "model": choice.description,
        "calibrated": choice.calibrated,
        "folds": folds,
        "seed": seed,
        "classes": names,
        "column_classes": is_npy,
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

    if io.suffix_of(output) == ".npy":
        io.write_npy(probs, output)
        return
    columns: dict[str, Any] = {}
    if ids is not None:
        columns[str(id_column)] = ids.to_numpy()
    for k, name in enumerate(names):
        columns[name] = probs[:, k]
    import pandas as pd

    io.write_table(pd.DataFrame(columns), output)
