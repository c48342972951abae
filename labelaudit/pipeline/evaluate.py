"""The evaluate use cases (DESIGN.md section 3.7): does the audit work on this data, and does
cleaning help?

- :func:`evaluate_noise` flips labels with a known noise matrix (:mod:`labelaudit.core.noise`),
  predicts out-of-fold probabilities with each model (:mod:`labelaudit.predict`), runs every
  find-issues filter and every label quality score (:mod:`labelaudit.core`), and measures them
  against the rows that were flipped.
- :func:`evaluate_clean` audits the training rows, then fits the model on all of them, on the
  rows ``clean --action remove`` keeps and on the rows ``clean --action relabel`` writes
  (:func:`labelaudit.pipeline.clean.clean_table`), and scores each fit on a test table; it
  lives in :mod:`labelaudit.pipeline.evaluate_clean` and is importable from here.

Nothing is written: both return JSON-ready documents. The metrics are scikit-learn's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labelaudit.errors import InputError
from labelaudit.pipeline.evaluate_clean import N_BOOTSTRAP, evaluate_clean, fit_and_predict
from labelaudit.pipeline.evaluation import (
    EvaluationSetup,
    LabelledTable,
    Progress,
    Steps,
    check_noise_options,
    detection_metrics,
    inject_noise,
    mean_number,
    out_of_fold,
    ranking_metrics,
)

if TYPE_CHECKING:
    import numpy as np

__all__ = ["N_BOOTSTRAP", "EvaluationSetup", "evaluate_clean", "evaluate_noise", "fit_and_predict"]


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

    sparsity, seed, folds = setup.sparsity, setup.seed, setup.folds
    check_noise_options(noise_rate, sparsity)
    if repeats < 1:
        raise InputError(f"--repeats must be at least 1, got {repeats}.")
    names = list(dict.fromkeys(models)) or ["logistic_regression"]
    descriptions = [
        predict.build_model(name, setup.model_params, seed).description for name in names
    ]
    table = setup.read(features)
    steps = Steps(on_progress, repeats * len(names) * folds)
    runs, flipped, matrices = _noise_runs(table, names, setup, noise_rate, steps, repeats)
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
    setup: EvaluationSetup,
    noise_rate: float,
    steps: Steps,
    repeats: int,
) -> tuple[list[list[dict[str, Any]]], list[int], list[np.ndarray]]:
    """Every repeat (seeds ``setup.seed``, +1, ...): its entries, rows flipped, noise matrix."""
    import numpy as np

    runs, flipped, matrices = [], [], []
    for repeat in range(repeats):
        tag = f" (repeat {repeat + 1}/{repeats})" if repeats > 1 else ""
        seeded = dataclasses.replace(setup, seed=setup.seed + repeat)
        entries, is_flipped, matrix = _noise_run(table, names, seeded, noise_rate, steps, tag)
        runs.append(entries)
        flipped.append(int(np.count_nonzero(is_flipped)))
        matrices.append(matrix)
    return runs, flipped, matrices


def _noise_run(
    table: LabelledTable,
    names: Sequence[str],
    setup: EvaluationSetup,
    noise_rate: float,
    steps: Steps,
    tag: str,
) -> tuple[list[dict[str, Any]], np.ndarray, np.ndarray]:
    """One repeat: inject noise with the setup's seed, cross-validate every model, audit.

    Returns the entry of every model (and of their ensemble), the flipped rows and the matrix.
    """
    import numpy as np

    from labelaudit import predict

    seed, folds = setup.seed, setup.folds
    noisy, matrix = inject_noise(table, noise_rate, setup.sparsity, seed, folds)
    is_flipped = noisy != table.codes
    probs_list = []
    for name in names:
        model = predict.build_model(name, setup.model_params, seed).estimator
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
