"""The evaluate use cases (DESIGN.md section 3.7): does the audit work on this data, and does
cleaning help?

- :func:`evaluate_noise` flips labels with a known noise matrix (:mod:`labelaudit.core.noise`),
  predicts out-of-fold probabilities with each model (:mod:`labelaudit.predict`), runs every
  find-issues filter and every label quality score (:mod:`labelaudit.core`), and measures them
  against the rows that were flipped.
- :func:`evaluate_clean` audits the training rows, then fits the model on all of them, on the
  rows ``clean --action remove`` keeps and on the rows ``clean --action relabel`` writes
  (:func:`labelaudit.pipeline.clean.clean_table`), and scores each fit on a test table.

Nothing is written: both return JSON-ready documents. The metrics are scikit-learn's.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labelaudit.errors import InputError, first_line, listing
from labelaudit.pipeline.evaluation import (
    EvaluationSetup,
    LabelledTable,
    Progress,
    Steps,
    check_noise_options,
    detection_metrics,
    differences,
    holdout_metrics,
    inject_noise,
    mean_number,
    out_of_fold,
    ranking_metrics,
)

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

#: Bootstrap resamples of the test rows behind each 95% interval of ``evaluate clean``.
N_BOOTSTRAP = 1000

__all__ = ["N_BOOTSTRAP", "EvaluationSetup", "evaluate_clean", "evaluate_noise"]


# --- evaluate noise ---------------------------------------------------------------------------


def score_variants() -> list[tuple[str, bool]]:
    """Every ``(method, adjust_pred_probs)`` the score command accepts."""
    from labelaudit.core import SCORE_METHODS

    return [
        (method, adjust)
        for method in SCORE_METHODS
        for adjust in (False, True)
        if not (adjust and method == "confidence_weighted_entropy")
    ]


def audit_against_truth(
    given: np.ndarray, probs_list: Sequence[np.ndarray], is_flipped: np.ndarray
) -> dict[str, Any]:
    """Every filter and every score on *probs_list* (one model, or an ensemble), measured.

    An ensemble is audited as find-issues and score audit several ``--probs``: the filters on
    the mean probabilities, the scores as the accuracy-weighted ensemble of each model's.
    """
    import numpy as np

    from labelaudit.core import FILTERS, compute_label_stats, find_label_issues
    from labelaudit.core.ranking import (
        ensemble_label_quality_scores,
        label_quality_scores,
        mean_pred_probs,
    )

    probs = mean_pred_probs(list(probs_list))
    stats = compute_label_stats(given, probs)
    filters = []
    for filter_by in FILTERS:
        flagged = find_label_issues(given, probs, filter_by=filter_by, stats=stats)
        filters.append({"filter_by": filter_by, **detection_metrics(is_flipped, flagged)})
    scores = []
    for method, adjust in score_variants():
        if len(probs_list) > 1:
            values = ensemble_label_quality_scores(
                given, probs_list, method=method, adjust_pred_probs=adjust, assume_valid=True
            )
        else:
            values = label_quality_scores(
                given, probs, method=method, adjust_pred_probs=adjust, stats=stats
            )
        entry = {"method": method, "adjust_pred_probs": adjust}
        scores.append({**entry, **ranking_metrics(is_flipped, values)})
    return {
        "accuracy": float(np.mean(stats.predicted_labels == given)),
        "filters": filters,
        "scores": scores,
    }


def evaluate_noise(
    features: Path,
    setup: EvaluationSetup,
    *,
    models: Sequence[str] = ("logistic_regression",),
    noise_rate: float = 0.2,
    repeats: int = 1,
    on_progress: Progress | None = None,
) -> dict[str, Any]:
    """Inject noise into FEATURES' labels and measure how well each filter and score finds it.

    Repeat ``r`` (from 0) uses seed ``setup.seed + r`` for the noise matrix, the flips, the folds
    and the model, so ``--seed 0 --repeats 2`` runs ``--seed 0`` and ``--seed 1``. Results are the
    mean over the repeats, with their standard deviations under ``"std"`` when there are several.
    Every ``--model`` gets an entry; with several, so does their ensemble (``"ensemble"``).

    Returns
    -------
    dict
        The ``evaluate noise`` document of DESIGN.md section 3.7.
    """
    from labelaudit import predict

    model_params, sparsity, seed, folds = (
        setup.model_params,
        setup.sparsity,
        setup.seed,
        setup.folds,
    )
    check_noise_options(noise_rate, sparsity)
    if repeats < 1:
        raise InputError(f"--repeats must be at least 1, got {repeats}.")
    names = list(dict.fromkeys(models)) or ["logistic_regression"]
    descriptions = [predict.build_model(name, model_params, seed).description for name in names]
    table = setup.read(features)
    steps = Steps(on_progress, repeats * len(names) * folds)
    runs, flipped, matrices = _noise_runs(
        table, names, model_params, (noise_rate, sparsity), seed, folds, steps, repeats
    )
    labels = [*descriptions, "ensemble"] if len(names) > 1 else descriptions
    return {
        "noise_rate": noise_rate,
        "sparsity": sparsity,
        "seed": seed,
        "n_examples": int(table.codes.shape[0]),
        "n_flipped": mean_number(flipped),
        "models": [_merged_runs(label, [run[i] for run in runs]) for i, label in enumerate(labels)],
        "repeats": repeats,
        "folds": folds,
        "classes": table.classes,
        "n_flipped_per_repeat": flipped,
        "noise_matrix": matrices[0].tolist(),
    }


def _noise_runs(
    table: LabelledTable,
    names: Sequence[str],
    model_params: str | None,
    noise: tuple[float, float],
    seed: int,
    folds: int,
    steps: Steps,
    repeats: int,
) -> tuple[list[list[dict[str, Any]]], list[int], list[np.ndarray]]:
    """Every repeat (seeds *seed*, *seed* + 1, ...): its entries, rows flipped, noise matrix."""
    import numpy as np

    runs, flipped, matrices = [], [], []
    for repeat in range(repeats):
        tag = f" (repeat {repeat + 1}/{repeats})" if repeats > 1 else ""
        entries, is_flipped, matrix = _noise_run(
            table, names, model_params, noise, seed + repeat, folds, steps, tag
        )
        runs.append(entries)
        flipped.append(int(np.count_nonzero(is_flipped)))
        matrices.append(matrix)
    return runs, flipped, matrices


def _noise_run(
    table: LabelledTable,
    names: Sequence[str],
    model_params: str | None,
    noise: tuple[float, float],
    seed: int,
    folds: int,
    steps: Steps,
    tag: str,
) -> tuple[list[dict[str, Any]], np.ndarray, np.ndarray]:
    """One repeat: inject noise (rate, sparsity) with *seed*, cross-validate every model, audit.

    Returns the entry of every model (and of their ensemble), the flipped rows and the matrix.
    """
    import numpy as np

    from labelaudit import predict

    noisy, matrix = inject_noise(table, *noise, seed, folds)
    is_flipped = noisy != table.codes
    probs_list = []
    for name in names:
        model = predict.build_model(name, model_params, seed).estimator
        on_fold = steps.callback(f"Cross-validating {name}{tag}")
        probs, _ = out_of_fold(table, noisy, model, folds=folds, seed=seed, on_fold=on_fold)
        probs_list.append(probs)
    entries = [audit_against_truth(noisy, [probs], is_flipped) for probs in probs_list]
    if len(probs_list) > 1:
        entries.append(audit_against_truth(noisy, probs_list, is_flipped))
        probs_list.append(np.mean(probs_list, axis=0))
    for entry, probs in zip(entries, probs_list, strict=True):
        entry["accuracy_true_labels"] = float(np.mean(probs.argmax(axis=1) == table.codes))
    return entries, is_flipped, matrix


def _merged(items: list[dict[str, Any]], keys: Sequence[str]) -> dict[str, Any]:
    """One entry from the same entry of every repeat: means, and standard deviations (``std``)."""
    import numpy as np

    merged = dict(items[0])
    for key in keys:
        values = np.array([item[key] for item in items], dtype=np.float64)
        merged[key] = mean_number(values) if key.startswith("n_") else float(np.mean(values))
    if len(items) > 1:
        merged["std"] = {key: float(np.std([item[key] for item in items], ddof=1)) for key in keys}
    return merged


def _merged_runs(model: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    """A model's ``models`` entry: its accuracy, filters and scores over all repeats."""
    head = _merged(runs, ("accuracy", "accuracy_true_labels"))
    filter_keys = ("n_flagged", "precision", "recall", "f1")
    score_keys = ("auroc", "auprc", "lift_at_k")
    return {
        "model": model,
        "accuracy": head["accuracy"],
        "filters": [
            _merged([run["filters"][i] for run in runs], filter_keys)
            for i in range(len(runs[0]["filters"]))
        ],
        "scores": [
            _merged([run["scores"][i] for run in runs], score_keys)
            for i in range(len(runs[0]["scores"]))
        ],
        "accuracy_true_labels": head["accuracy_true_labels"],
        **({"std": head["std"]} if "std" in head else {}),
    }


# --- evaluate clean ---------------------------------------------------------------------------


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
