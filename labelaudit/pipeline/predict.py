"""The predict use case: out-of-fold probabilities for every row of a feature table, written out."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labelaudit.errors import InputError

if TYPE_CHECKING:
    import numpy as np

    from labelaudit.predict.features import FeatureSelection


def predict_probabilities(
    features: Path,
    output: Path,
    *,
    label_column: str,
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
    """Fit *model* by stratified K-fold, write every row's out-of-fold probabilities to *output*.

    ``on_fold(done, folds)`` is called once the inputs are valid and after each fold. Returns the
    ``predict`` document (model, sizes, feature kinds, accuracy against the majority class).
    """
    from labelaudit import io
    from labelaudit import predict as models

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
    _, classes = models.encode_labels(selected.labels)
    is_npy = io.suffix_of(output) == ".npy"
    if id_column is not None and id_column in classes and not is_npy:
        raise InputError(f"--id-column '{id_column}' has the same name as a class; rename it.")
    probs, classes, metrics = models.out_of_fold_probabilities(
        selected.features,
        selected.labels,
        model=choice.estimator,
        folds=folds,
        seed=seed,
        n_jobs=n_jobs,
        text_columns=selected.text_columns,
        progress_callback=on_fold,
    )
    _write_probabilities(output, probs, classes, selected, id_column)
    return {
        "output": str(output),
        "model": choice.description,
        "calibrated": choice.calibrated,
        "folds": folds,
        "seed": seed,
        "classes": classes,
        "column_classes": is_npy,
        "seconds": time.perf_counter() - started,
        **metrics,
    }


def _write_probabilities(
    output: Path,
    probs: np.ndarray,
    classes: list[str],
    selected: FeatureSelection,
    id_column: str | None,
) -> None:
    """``.npy`` as it is; a table with the id column (if any) and one column per class."""
    from labelaudit import io

    if io.suffix_of(output) == ".npy":
        io.write_npy(probs, output)
        return
    import pandas as pd

    columns: dict[str, Any] = {}
    if selected.ids is not None:
        columns[str(id_column)] = selected.ids.to_numpy()
    for k, name in enumerate(classes):
        columns[name] = probs[:, k]
    io.write_table(pd.DataFrame(columns), output)
