"""The ``evaluate clean`` use case: does cleaning the training rows help a model?

:func:`evaluate_clean` audits the training rows, then fits the model on all of them, on the
rows ``clean --action remove`` keeps and on the rows ``clean --action relabel`` writes
(:func:`labelaudit.pipeline.clean.clean_table`), and scores each fit on a test table
(see :mod:`labelaudit.pipeline.evaluate` for both evaluations).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labelaudit.errors import InputError, first_line, listing
from labelaudit.pipeline.evaluation import (
    EvaluationSetup,
    LabelledTable,
    Progress,
    Steps,
    check_noise_options,
    differences,
    holdout_metrics,
    inject_noise,
    out_of_fold,
)

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

#: Bootstrap resamples of the test rows behind each 95% interval of ``evaluate clean``.
N_BOOTSTRAP = 1000


def evaluate_clean(
    features: Path,
    test: Path,
    setup: EvaluationSetup,
    *,
    model: str = "logistic_regression",
    filter_by: str = "prune_by_noise_rate",
    inject_noise_rate: float | None = None,
    n_bootstrap: int = N_BOOTSTRAP,
    on_progress: Progress | None = None,
) -> dict[str, Any]:
    """Does cleaning FEATURES help? Test accuracy and log loss of the model fitted three ways.

    Out-of-fold probabilities on FEATURES (optionally after flipping labels with a noise
    matrix of rate *inject_noise_rate* and the setup's sparsity and seed) feed find-issues
    (*filter_by*); the model is then fitted on (a) all rows, (b) the rows ``clean --action
    remove`` keeps, (c) the rows ``clean --action relabel`` writes, and scored on TEST. Each
    accuracy and log loss has a 95% interval from *n_bootstrap* resamples of the test rows
    (seeded; the same resamples for every variant, so the differences to "all" are paired).
    Returns the ``evaluate clean`` document of DESIGN.md section 3.7.
    """
    import numpy as np

    from labelaudit import predict

    sparsity, seed, folds = setup.sparsity, setup.seed, setup.folds
    if inject_noise_rate is not None:
        check_noise_options(inject_noise_rate, sparsity, "--inject-noise")
    choice = predict.build_model(model, setup.model_params, seed)
    table = setup.read(features)
    test_x, test_y = read_test(test, table, setup)
    given = table.codes
    if inject_noise_rate is not None:
        given, _ = inject_noise(table, inject_noise_rate, sparsity, seed, folds, "--inject-noise")
    steps = Steps(on_progress, folds + 3)
    on_fold = steps.callback(f"Cross-validating {model}")
    flagged, predicted = _flag_training(
        table, given, choice.estimator, filter_by=filter_by, folds=folds, seed=seed, on_fold=on_fold
    )
    training = _training_variants(table, given, flagged, predicted, features)
    known_truth = table.codes if inject_noise_rate is not None else None
    variants = _scored_variants(
        choice.estimator, table, training, (test_x, test_y), steps, known_truth, setup, n_bootstrap
    )
    return {
        "model": choice.description,
        "n_train": int(table.codes.shape[0]),
        "n_test": len(test_y),
        "n_flagged": int(np.count_nonzero(flagged)),
        "variants": variants,
        "filter_by": filter_by,
        "seed": seed,
        "folds": folds,
        "n_bootstrap": n_bootstrap,
        "inject_noise": inject_noise_rate,
        "sparsity": sparsity if inject_noise_rate is not None else None,
        "n_flipped": None if known_truth is None else int(np.count_nonzero(given != known_truth)),
        "classes": table.classes,
    }


def _flag_training(
    table: LabelledTable,
    given: np.ndarray,
    model: Any,
    *,
    filter_by: str,
    folds: int,
    seed: int,
    on_fold: Callable[[int, int], None],
) -> tuple[np.ndarray, np.ndarray]:
    """find-issues on the training rows: out-of-fold probabilities, flagged rows, predictions."""
    from labelaudit.core import compute_label_stats, find_label_issues

    probs, _ = out_of_fold(table, given, model, folds=folds, seed=seed, on_fold=on_fold)
    stats = compute_label_stats(given, probs)
    flagged = find_label_issues(given, probs, filter_by=filter_by, stats=stats)
    return flagged, stats.predicted_labels


def _scored_variants(
    model: Any,
    table: LabelledTable,
    training: list[tuple[str, np.ndarray, np.ndarray]],
    test: tuple[pd.DataFrame, np.ndarray],
    steps: Steps,
    known_truth: np.ndarray | None,
    setup: EvaluationSetup,
    n_bootstrap: int,
) -> list[dict[str, Any]]:
    """Fit *model* on each training variant; its ``variants`` entry, compared with the first.

    With *known_truth* (the labels before injected noise), each entry counts the training
    labels that are wrong (``n_label_errors``). The *n_bootstrap* resamples of the test rows
    are seeded with the setup's seed.
    """
    import numpy as np

    test_x, test_y = test
    resamples = np.random.default_rng(setup.seed).integers(
        0, len(test_y), size=(n_bootstrap, len(test_y))
    )
    variants, reference = [], None
    for name, rows, labels in training:
        what = "all rows" if name == "all" else f"the rows {name} gives"
        test_probs = fit_and_predict(model, table, rows, labels, test_x, what)
        steps.advance(f"Fitting on the {name} rows")
        metrics, per_row = holdout_metrics(test_probs, test_y, resamples)
        entry = {"name": name, "n_train": int(rows.shape[0]), **metrics}
        if known_truth is not None:
            entry["n_label_errors"] = int(np.count_nonzero(labels != known_truth[rows]))
        reference = per_row if reference is None else reference
        variants.append({**entry, **differences(per_row, reference, resamples)})
    return variants


def read_test(
    path: Path, train: LabelledTable, setup: EvaluationSetup
) -> tuple[pd.DataFrame, np.ndarray]:
    """TEST's feature columns (in FEATURES' order) and labels as FEATURES' class indices.

    Raises :class:`InputError` when TEST's columns are not FEATURES' columns, or when it has a
    class FEATURES does not have (naming the first such row).
    """
    import numpy as np
    import pandas as pd

    from labelaudit import io
    from labelaudit.predict import encode_labels, select_features

    label_column, drop_columns = setup.label_column, setup.drop_columns
    frame = io.read_table(path)
    train_columns = [*train.selected.features.columns, label_column, *drop_columns]
    missing = [c for c in train_columns if c not in frame.columns]
    extra = [str(c) for c in frame.columns if c not in train_columns]
    if missing or extra:
        parts = ([f"lacks {listing(missing)}"] if missing else []) + (
            [f"has extra {listing(extra)}"] if extra else []
        )
        raise InputError(
            f"{path}: its columns differ from the features file's: it {' and '.join(parts)}; "
            "TEST needs the same columns."
        )
    selected = select_features(
        frame, label_column=label_column, text_columns=setup.text_columns, drop_columns=drop_columns
    )
    missing = np.flatnonzero(selected.labels.isna().to_numpy())
    if missing.size:
        raise InputError(f"{path}: label column '{label_column}' is empty at row {missing[0]}.")
    # Encoded together with FEATURES' labels, so a class has the same name in both (and a TEST
    # of a single class is fine); only TEST's part is kept.
    both = pd.concat([train.selected.labels, selected.labels], ignore_index=True)
    codes, classes = encode_labels(both)
    codes = codes[len(train.selected.labels) :]
    lookup = {name: k for k, name in enumerate(train.classes)}
    unknown = [name for name in classes if name not in lookup]
    if unknown:
        row = int(np.flatnonzero(codes == classes.index(unknown[0]))[0])
        raise InputError(
            f"{path}: has class(es) {listing(unknown)} that the features file does not have "
            f"(first at row {row}); TEST must use FEATURES' classes."
        )
    mapped = np.array([lookup[name] for name in classes], dtype=np.int64)[codes]
    return selected.features[list(train.selected.features.columns)], mapped


def _training_variants(
    table: LabelledTable,
    given: np.ndarray,
    flagged: np.ndarray,
    predicted: np.ndarray,
    features: Path,
) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """``(name, training rows, their labels)`` for all rows, ``clean`` remove and relabel.

    Remove and relabel are :func:`labelaudit.pipeline.clean.clean_table` on a table of row
    positions and class indices, so they are exactly what ``labelaudit clean`` does.
    """
    import numpy as np
    import pandas as pd

    from labelaudit.pipeline.clean import clean_table

    rows = np.flatnonzero(flagged)
    frame = pd.DataFrame({"row": np.arange(given.shape[0]), "label": given})
    variants = [("all", frame["row"].to_numpy(), given)]
    for action in ("remove", "relabel"):
        cleaned = clean_table(
            frame,
            rows,
            action=action,
            label_column="label",
            predicted=predicted[rows],
            data_path=features,
        ).table
        variants.append((action, cleaned["row"].to_numpy(), cleaned["label"].to_numpy()))
    return variants


def fit_and_predict(
    model: Any,
    table: LabelledTable,
    rows: np.ndarray,
    labels: np.ndarray,
    test_x: pd.DataFrame,
    name: str = "the training rows",
) -> np.ndarray:
    """Fit ``predict``'s preprocessing and *model* on *rows*; TEST's (n, K) probabilities.

    Preprocessing is chosen from the training rows' columns, as in cross-validation; a class
    missing from the training rows gets probability 0. Fit warnings become Python warnings; a
    failed fit an :class:`InputError` that names the rows (*name*).
    """
    import numpy as np
    from sklearn.base import clone
    from sklearn.pipeline import Pipeline
    from threadpoolctl import threadpool_limits

    from labelaudit.predict import build_preprocessor, prepare_features
    from labelaudit.predict.features import accepts_sparse

    train_x, kinds = prepare_features(
        table.selected.features.iloc[rows], table.selected.text_columns
    )
    test_prepared, test_kinds = prepare_features(test_x, table.selected.text_columns)
    if test_kinds != kinds:
        changed = [c for c in test_x.columns if _kind_of(c, kinds) != _kind_of(c, test_kinds)]
        raise InputError(
            f"TEST's column(s) {listing(changed)} have another type than in the features file."
        )
    preprocessor = build_preprocessor(kinds, dense=not accepts_sparse(model))
    pipeline = Pipeline([("features", preprocessor), ("model", clone(model))])
    with warnings.catch_warnings(record=True) as caught, threadpool_limits(limits=1):
        warnings.simplefilter("always")
        try:
            pipeline.fit(train_x, labels)
            probs = np.asarray(pipeline.predict_proba(test_prepared), dtype=np.float64)
        except (ValueError, TypeError) as exc:  # e.g. cleaning left a single class
            raise InputError(f"fitting the model on {name} failed: {first_line(exc)}") from exc
    for message in dict.fromkeys(f"{w.category.__name__}: {first_line(w.message)}" for w in caught):
        warnings.warn(message, stacklevel=2)
    full = np.zeros((len(test_x), len(table.classes)), dtype=np.float64)
    full[:, np.asarray(pipeline.classes_, dtype=np.int64)] = probs
    return full


def _kind_of(column: str, kinds: dict[str, list[str]]) -> str | None:
    return next((kind for kind, columns in kinds.items() if column in columns), None)
