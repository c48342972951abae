"""The predict use case: out-of-fold probabilities for every row of a feature table, written out."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labelaudit.errors import InputError
from labelaudit.pipeline.model_quality import weak_model_warning

if TYPE_CHECKING:
    import numpy as np

    from labelaudit.predict.features import FeatureSelection
    from labelaudit.predict.models import ModelChoice


@dataclass(frozen=True)
class FitOptions:
    """How predict fits its model: the label column, the model, the folds, the features used."""

    label_column: str
    model: str = "logistic_regression"
    model_params: str | None = None
    folds: int = 5
    seed: int = 0
    n_jobs: int = 1
    id_column: str | None = None
    text_columns: Sequence[str] = ()
    drop_columns: Sequence[str] = ()

    def prepare(self, read: Callable[[], Any]) -> tuple[ModelChoice, FeatureSelection]:
        """The model to fit, then the features of the table that *read* gives it to fit on."""
        from labelaudit import predict as models

        choice = models.build_model(self.model, self.model_params, self.seed)
        selected = models.select_features(
            read(),
            label_column=self.label_column,
            id_column=self.id_column,
            text_columns=self.text_columns,
            drop_columns=self.drop_columns,
        )
        return choice, selected

    def refuse_id_named_like(self, classes: Sequence[str], output: Path) -> None:
        """A table output cannot hold an id column named as a class."""
        from labelaudit import io

        named_like = self.id_column is not None and self.id_column in classes
        if named_like and io.output_suffix(output) != ".npy":
            raise InputError(
                f"--id-column '{self.id_column}' has the same name as a class; rename it."
            )


def predict_probabilities(
    features: Path,
    output: Path,
    fit: FitOptions,
    *,
    on_fold: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Fit a model by stratified K-fold, write every row's out-of-fold probabilities to *output*.

    ``on_fold(done, folds)`` is called once the inputs are valid and after each fold. Returns the
    ``predict`` document (model, sizes, feature kinds and ignored columns, accuracy against the
    majority class, ``warnings`` including a weak model's, ``notes`` such as a capped
    ``n_jobs``).
    """
    from labelaudit import io
    from labelaudit import predict as models
    from labelaudit.io.sources import read_frame

    started = time.perf_counter()
    io.check_output(output, (*io.TABLE_SUFFIXES, ".arrow", ".feather", ".npy"), [features])
    n_jobs, capped = effective_n_jobs(fit.n_jobs, fit.folds)
    choice, selected = fit.prepare(lambda: read_frame(features))
    _, classes = models.encode_labels(selected.labels)
    fit.refuse_id_named_like(classes, output)
    probs, classes, metrics = models.out_of_fold_probabilities(
        selected.features,
        selected.labels,
        model=choice.estimator,
        folds=fit.folds,
        seed=fit.seed,
        n_jobs=n_jobs,
        text_columns=selected.text_columns,
        progress_callback=on_fold,
    )
    _write_probabilities(output, probs, classes, selected, fit.id_column, fit.label_column)
    return _document(
        output,
        choice,
        classes,
        metrics,
        selected,
        io.output_suffix(output) == ".npy",
        started,
        folds=fit.folds,
        seed=fit.seed,
        n_jobs=n_jobs,
        capped=capped,
        label_column=fit.label_column,
    )


def _document(
    output: Path,
    choice: Any,
    classes: list[str],
    metrics: dict[str, Any],
    selected: FeatureSelection,
    is_npy: bool,
    started: float,
    **run: Any,
) -> dict[str, Any]:
    """The ``predict`` document: the run's settings, the metrics and their warnings."""
    weak = weak_model_warning(
        metrics["accuracy"], metrics["baseline_accuracy"], source="cross-validated accuracy"
    )
    metrics["warnings"] = [*metrics["warnings"], *([weak] if weak else [])]
    metrics["feature_columns"] = {**metrics["feature_columns"], "ignored": selected.ignored}
    capped = run.pop("capped")
    return {
        "output": str(output),
        "model": choice.description,
        "calibrated": choice.calibrated,
        **run,
        "notes": [] if capped is None else [capped],
        "classes": classes,
        "column_classes": is_npy,
        "seconds": time.perf_counter() - started,
        **metrics,
    }


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the platform has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def effective_n_jobs(n_jobs: int, folds: int) -> tuple[int, str | None]:
    """Processes to fit the folds with, at most ``min(folds, CPUs)``; a note when capped.

    Negative values count back from the CPUs as joblib's do (-1: all, -2: all but one).

    Raises
    ------
    InputError
        ``--n-jobs 0``.
    """
    if n_jobs == 0:
        raise InputError("--n-jobs must be a positive number of processes or -1 (all CPUs).")
    cpus = available_cpus()
    requested = n_jobs if n_jobs > 0 else max(1, cpus + 1 + n_jobs)
    cap = max(1, min(folds, cpus))
    if requested <= cap:
        return requested, None
    note = None
    if n_jobs > 0:
        note = (
            f"--n-jobs {n_jobs} capped at {cap}: {folds} folds, {cpus} CPU"
            f"{'' if cpus == 1 else 's'} (more processes would only wait)."
        )
    return cap, note


def _write_probabilities(
    output: Path,
    probs: np.ndarray,
    classes: list[str],
    selected: FeatureSelection,
    id_column: str | None,
    label_column: str,
) -> None:
    """The probabilities, with what later commands need to read them without options.

    ``.npy`` as it is, plus ``<name>.classes.json`` beside it; a table has the id column (if
    any) and one column per class, and Parquet/Arrow store the id column, the label column and
    the classes with their type in the schema metadata (DESIGN.md section 3.1).
    """
    from labelaudit import io
    from labelaudit.io.probs import write_probs_table

    described = {
        "classes": _typed_classes(classes, selected),
        "label_column": label_column,
        "id_column": id_column if selected.ids is not None else None,
    }
    if io.output_suffix(output) == ".npy":
        io.write_npy(probs, output)
        sidecar = output.with_name(output.stem + ".classes.json")
        io.write_text(json.dumps(described) + "\n", sidecar)
        return
    columns: dict[str, Any] = {}
    if selected.ids is not None:
        columns[str(id_column)] = selected.ids.to_numpy()
    for k, name in enumerate(classes):
        columns[name] = probs[:, k]
    if io.output_suffix(output) == ".csv":  # no place for metadata: written as before
        import pandas as pd

        io.write_table(pd.DataFrame(columns), output)
        return
    write_probs_table(columns, output, described)


def _typed_classes(classes: list[str], selected: FeatureSelection) -> list[Any]:
    """The classes as the labels held them: ints for integer labels, else their text."""
    import pandas as pd

    from labelaudit.io.labels import integer_names

    labels = selected.labels
    numeric = pd.api.types.is_numeric_dtype(labels) and not pd.api.types.is_bool_dtype(labels)
    integers = integer_names(classes) if numeric else None
    return list(integers) if integers is not None else list(classes)
