"""Out-of-fold predicted probabilities for ``labelaudit predict`` (DESIGN.md section 3).

A model registry (short name or importable classifier path), feature preprocessing (numeric,
categorical, text) and stratified K-fold cross-validation that gives every row probabilities from
a model that never saw it. No printing and no file I/O here: the CLI does that through ``io``.

Determinism: folds come from ``StratifiedKFold(shuffle=True, random_state=seed)``, models that
accept ``random_state`` get the seed, and every fold is fitted with BLAS/OpenMP limited to one
thread, so the same inputs and seed give byte-identical probabilities whether the folds run
serially or in parallel (``n_jobs``).
"""

from __future__ import annotations

import importlib
import json
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from labelaudit.errors import InputError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from sklearn.compose import ColumnTransformer

#: A string column is "categorical-looking" unless it has more than this many distinct values ...
MAX_CATEGORIES = 20
#: ... and more than this fraction of the rows are distinct values.
MAX_UNIQUE_FRACTION = 0.5
#: Cap on the TF-IDF vocabulary of each text column (keeps dense models' memory bounded).
TEXT_MAX_FEATURES = 10_000


def _logistic_regression(seed: int) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=1000, random_state=seed)


def _random_forest(seed: int) -> Any:
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(n_estimators=200, random_state=seed)


def _extra_trees(seed: int) -> Any:
    from sklearn.ensemble import ExtraTreesClassifier

    return ExtraTreesClassifier(n_estimators=200, random_state=seed)


def _hist_gradient_boosting(seed: int) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(random_state=seed)


def _knn(seed: int) -> Any:
    from sklearn.neighbors import KNeighborsClassifier

    return KNeighborsClassifier(n_neighbors=15)


def _naive_bayes(seed: int) -> Any:
    from sklearn.naive_bayes import GaussianNB

    return GaussianNB()


def _mlp(seed: int) -> Any:
    from sklearn.neural_network import MLPClassifier

    return MLPClassifier(hidden_layer_sizes=(100,), max_iter=500, random_state=seed)


#: Short model names and their factories ``seed -> unfitted estimator``.
MODELS: dict[str, Callable[[int], Any]] = {
    "logistic_regression": _logistic_regression,
    "random_forest": _random_forest,
    "extra_trees": _extra_trees,
    "hist_gradient_boosting": _hist_gradient_boosting,
    "knn": _knn,
    "naive_bayes": _naive_bayes,
    "mlp": _mlp,
}


@dataclass(frozen=True)
class ModelChoice:
    """An unfitted estimator, how to describe it, and whether it was wrapped in calibration."""

    estimator: Any
    description: str
    calibrated: bool = False


def _import_classifier(path: str) -> Any:
    """Import ``package.module.Class`` and return the class, or raise :class:`InputError`."""
    unknown = (
        f"unknown model '{path}'. Use one of {', '.join(MODELS)} or an importable classifier "
        "path such as sklearn.svm.SVC."
    )
    module_name, _, attribute = path.rpartition(".")
    if not module_name or not attribute:
        raise InputError(unknown)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise InputError(f"{unknown} (cannot import module '{module_name}': {exc})") from exc
    cls = getattr(module, attribute, None)
    if cls is None:
        raise InputError(f"{unknown} (module '{module_name}' has no '{attribute}')")
    if not isinstance(cls, type):
        raise InputError(f"--model {path}: is not a class.")
    return cls


def parse_model_params(params_json: str | None) -> dict[str, Any]:
    """Parse ``--model-params``: a JSON object of constructor parameters (may be empty)."""
    if params_json is None or not params_json.strip():
        return {}
    try:
        params = json.loads(params_json)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"--model-params: invalid JSON ({exc.msg} at character {exc.pos}). "
            "Example: --model-params '{\"C\": 0.5}'"
        ) from exc
    if not isinstance(params, dict):
        raise InputError(
            f"--model-params: expected a JSON object like '{{\"C\": 0.5}}', "
            f"got {type(params).__name__}."
        )
    return params


def build_model(name: str, params_json: str | None = None, seed: int = 0) -> ModelChoice:
    """Build the unfitted classifier for ``--model NAME --model-params JSON``.

    Parameters
    ----------
    name : str
        A short name from :data:`MODELS` or an importable classifier path (``sklearn.svm.SVC``).
    params_json : str or None
        JSON object of constructor parameters; they override the short name's defaults.
    seed : int
        Given as ``random_state`` to models that accept it, unless the parameters set it.

    Returns
    -------
    ModelChoice
        A model without ``predict_proba`` but with ``decision_function`` is wrapped in
        ``CalibratedClassifierCV(..., ensemble=False)`` (sigmoid) and marked ``calibrated``.

    Raises
    ------
    InputError
        Unknown model, invalid JSON, an unknown or invalid parameter, not a classifier, or a
        classifier with neither ``predict_proba`` nor ``decision_function``.
    """
    from sklearn.base import is_classifier

    params = parse_model_params(params_json)
    if name in MODELS:
        estimator = MODELS[name](seed)
        label = name
    else:
        cls = _import_classifier(name)
        try:
            estimator = cls()
        except TypeError as exc:
            message = f"--model {name}: cannot be created without arguments ({exc})."
            raise InputError(message) from exc
        label = name
        if not is_classifier(estimator):
            raise InputError(f"--model {name}: is not a scikit-learn classifier.")
        if "random_state" in estimator.get_params(deep=False):
            estimator.set_params(random_state=seed)
    if not hasattr(estimator, "get_params") or not hasattr(estimator, "set_params"):
        raise InputError(f"--model {name}: is not a scikit-learn estimator (no get/set_params).")
    valid = estimator.get_params(deep=True)
    unknown = sorted(set(params) - set(valid))
    if unknown:
        names = ", ".join(sorted(k for k in valid if "__" not in k))
        raise InputError(
            f"--model-params: {', '.join(repr(k) for k in unknown)} "
            f"{'is not a parameter' if len(unknown) == 1 else 'are not parameters'} "
            f"of {type(estimator).__name__}. Valid: {names}."
        )
    try:
        estimator.set_params(**params)
        if hasattr(estimator, "_parameter_constraints"):
            estimator._validate_params()  # scikit-learn's own type/range check, before fitting
    except (ValueError, TypeError) as exc:
        message = str(exc).strip().splitlines()[0]
        raise InputError(f"--model-params: {message}") from exc

    if hasattr(estimator, "predict_proba"):
        return ModelChoice(estimator, label)
    if hasattr(estimator, "decision_function"):
        from sklearn.calibration import CalibratedClassifierCV

        wrapped = CalibratedClassifierCV(estimator, method="sigmoid", cv=3, ensemble=False)
        return ModelChoice(wrapped, f"{label} (sigmoid-calibrated)", True)
    raise InputError(
        f"--model {name}: has no predict_proba (and no decision_function to calibrate), so it "
        "cannot give probabilities. Choose a probabilistic classifier."
    )


@dataclass
class FeatureSelection:
    """Feature columns, labels and optional ids taken from one input table."""

    features: pd.DataFrame
    labels: pd.Series
    ids: pd.Series | None = None
    text_columns: list[str] = field(default_factory=list)


def select_features(
    frame: pd.DataFrame,
    *,
    label_column: str,
    id_column: str | None = None,
    text_columns: Sequence[str] = (),
    drop_columns: Sequence[str] = (),
) -> FeatureSelection:
    """Split *frame* into features, labels and ids; every named column must exist.

    The label, id and dropped columns are excluded from the features.
    """
    if len(frame.columns) == 0:
        raise InputError("the features file has no columns.")
    columns = [str(c) for c in frame.columns]
    available = ", ".join(columns)

    def require(column: str, option: str) -> None:
        if column not in columns:
            raise InputError(
                f"{option} '{column}' is not a column of the features file. Columns: {available}."
            )

    require(label_column, "--label-column")
    if id_column is not None:
        require(id_column, "--id-column")
        if id_column == label_column:
            raise InputError("--id-column and --label-column name the same column.")
    for column in text_columns:
        require(column, "--text-column")
    for column in drop_columns:
        require(column, "--drop-column")
    excluded = {label_column, *drop_columns} | ({id_column} if id_column else set())
    for column in text_columns:
        if column in excluded:
            raise InputError(f"--text-column '{column}' is also the label, id or a dropped column.")
    if len(frame) == 0:
        raise InputError("the features file has no rows.")
    frame = frame.set_axis(columns, axis=1)
    keep = [c for c in columns if c not in excluded]
    if not keep:
        raise InputError(
            "no feature columns left after removing the label, id and dropped columns."
        )
    return FeatureSelection(
        features=frame[keep],
        labels=frame[label_column],
        ids=frame[id_column] if id_column else None,
        text_columns=list(dict.fromkeys(text_columns)),
    )


def _column_kind(series: pd.Series) -> str:
    """``numeric``, ``categorical``, ``string`` or ``unsupported`` for one feature column."""
    import pandas as pd

    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype):
        return "categorical"
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype):
        return "numeric"
    if pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype):
        inferred = pd.api.types.infer_dtype(series, skipna=True)
        if inferred in ("integer", "floating", "mixed-integer-float", "decimal"):
            return "numeric"
        if inferred == "boolean":
            return "categorical"
        return "string"
    return "unsupported"


def prepare_features(
    features: pd.DataFrame, text_columns: Sequence[str] = ()
) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Normalise the feature columns' types and sort them into numeric / categorical / text.

    Numeric columns become float64 (``inf`` treated as missing); categorical columns become
    strings (missing kept as NaN); text columns become strings (missing as ``""``).

    Raises
    ------
    InputError
        A column of an unsupported type (dates, ...) or a string column with too many distinct
        values to be categorical that was not named with ``--text-column``.
    """
    import numpy as np
    import pandas as pd

    text = set(text_columns)
    prepared: dict[str, pd.Series] = {}
    kinds: dict[str, list[str]] = {"numeric": [], "categorical": [], "text": []}
    n_rows = len(features)
    for column in features.columns:
        series = features[column]
        if column in text:
            missing = series.isna().to_numpy()
            strings = series.astype(object).where(~missing, "").astype(str)
            prepared[column] = strings.astype(object)
            kinds["text"].append(column)
            continue
        kind = _column_kind(series)
        if kind == "numeric":
            values = pd.to_numeric(series, errors="coerce").astype("float64")
            prepared[column] = values.replace([np.inf, -np.inf], np.nan)
            kinds["numeric"].append(column)
            continue
        if kind == "unsupported":
            raise InputError(
                f"column '{column}' has type {series.dtype}, which predict cannot use; "
                f"convert it to a number or leave it out with --drop-column {column}."
            )
        if kind == "string":
            distinct = int(series.nunique(dropna=True))
            if distinct > MAX_CATEGORIES and distinct > MAX_UNIQUE_FRACTION * n_rows:
                raise InputError(
                    f"column '{column}' is text-like ({distinct} distinct values in {n_rows} "
                    "rows), not categorical; name it with --text-column "
                    f"{column} to TF-IDF encode it, or leave it out with --drop-column {column}."
                )
        missing = series.isna().to_numpy()
        strings = series.astype(object).where(~missing, "").astype(str).astype(object)
        strings[missing] = np.nan
        prepared[column] = strings
        kinds["categorical"].append(column)
    return pd.DataFrame(prepared, index=features.index), kinds


def build_preprocessor(kinds: dict[str, list[str]], *, dense: bool) -> ColumnTransformer:
    """ColumnTransformer: numeric imputed + scaled, categorical one-hot, text TF-IDF."""
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    transformers: list[tuple[str, Any, Any]] = []
    if kinds["numeric"]:
        numeric = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
        transformers.append(("numeric", numeric, kinds["numeric"]))
    if kinds["categorical"]:
        categorical = make_pipeline(
            SimpleImputer(strategy="most_frequent"),
            OneHotEncoder(handle_unknown="ignore"),
        )
        transformers.append(("categorical", categorical, kinds["categorical"]))
    for column in kinds["text"]:
        vectorizer = TfidfVectorizer(sublinear_tf=True, max_features=TEXT_MAX_FEATURES)
        transformers.append((f"text:{column}", vectorizer, column))  # 1-D column for TF-IDF
    return ColumnTransformer(transformers, sparse_threshold=0.0 if dense else 0.3)


def _accepts_sparse(estimator: Any) -> bool:
    from sklearn.utils import get_tags

    try:
        return bool(get_tags(estimator).input_tags.sparse)
    except Exception:  # not a scikit-learn estimator with tags: dense is always safe
        return False


def encode_labels(labels: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Map labels to ints ``0..K-1`` over the sorted classes; class names are their string form.

    Numeric labels sort by value (so integer labels ``0..K-1`` keep their column), anything else
    by the string form. Raises :class:`InputError` for missing labels or fewer than two classes.
    """
    import numpy as np
    import pandas as pd

    missing = labels.isna().to_numpy()
    if missing.any():
        rows = np.flatnonzero(missing)
        shown = ", ".join(str(r) for r in rows[:5]) + (", ..." if len(rows) > 5 else "")
        raise InputError(
            f"label column '{labels.name}' has {len(rows)} missing value(s) (rows {shown}); "
            "fill or remove those rows."
        )
    if pd.api.types.is_numeric_dtype(labels.dtype) and not pd.api.types.is_bool_dtype(labels.dtype):
        values = labels.to_numpy()
        uniques, codes = np.unique(values, return_inverse=True)
        classes = [str(v) for v in uniques.tolist()]
    else:
        strings = np.array([str(v) for v in labels], dtype=object)
        uniques, codes = np.unique(strings, return_inverse=True)
        classes = [str(v) for v in uniques]
    if len(set(classes)) != len(classes):
        raise InputError(f"label column '{labels.name}': two classes have the same string form.")
    if len(classes) < 2:
        only = classes[0] if classes else "none"
        raise InputError(
            f"label column '{labels.name}' has a single class ({only}); predict needs at least 2."
        )
    return codes.astype(np.int64), classes


def _fit_fold(
    pipeline: Any, features: pd.DataFrame, codes: np.ndarray, train: Any, test: Any, n_classes: int
) -> tuple[np.ndarray, list[str]]:
    """Fit a clone of *pipeline* on *train* and return its probabilities for *test*."""
    import numpy as np
    from sklearn.base import clone
    from threadpoolctl import threadpool_limits

    with warnings.catch_warnings(record=True) as caught, threadpool_limits(limits=1):
        warnings.simplefilter("always")
        fitted = clone(pipeline).fit(features.iloc[train], codes[train])
        probs = np.asarray(fitted.predict_proba(features.iloc[test]), dtype=np.float64)
    full = np.zeros((len(test), n_classes), dtype=np.float64)
    full[:, np.asarray(fitted.classes_, dtype=np.int64)] = probs
    messages = []
    for item in caught:
        text = str(item.message).strip().splitlines()
        messages.append(f"{item.category.__name__}: {text[0] if text else ''}")
    return full, messages


def check_class_sizes(counts: np.ndarray, classes: Sequence[str], folds: int) -> None:
    """Raise :class:`InputError` naming every class with fewer rows than *folds*."""
    small = [(classes[k], int(n)) for k, n in enumerate(counts) if n < folds]
    if not small:
        return
    listed = ", ".join(f"'{name}' ({n} row{'' if n == 1 else 's'})" for name, n in small)
    fewest = min(n for _, n in small)
    if len(small) == 1:
        head = f"class {listed} has fewer rows than --folds {folds}"
    else:
        head = f"classes {listed} have fewer rows than --folds {folds}"
    if fewest >= 2:
        which = "that class" if len(small) == 1 else "those classes"
        fix = f"use --folds {fewest} or remove the rows of {which}"
    else:
        fix = "a class needs at least 2 rows to be cross-validated: remove or relabel its rows"
    raise InputError(f"{head}; every class needs a row in every fold. Fix: {fix}.")


def out_of_fold_probabilities(
    features: pd.DataFrame,
    labels: pd.Series,
    *,
    model: Any,
    folds: int = 5,
    seed: int = 0,
    n_jobs: int = 1,
    text_columns: Sequence[str] = (),
    progress_callback: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, list[str], dict[str, Any]]:
    """Out-of-fold predicted probabilities by stratified K-fold cross-validation.

    Parameters
    ----------
    features : DataFrame
        Feature columns only (see :func:`select_features`).
    labels : Series
        One label per row (ints or strings); no missing values.
    model : estimator
        Unfitted classifier with ``predict_proba`` (see :func:`build_model`); cloned per fold.
    folds, seed, n_jobs : int
        Number of stratified folds (shuffled with *seed*), and folds fitted in parallel.
    text_columns : sequence of str
        Columns to TF-IDF encode.
    progress_callback : callable, optional
        Called as ``callback(0, folds)`` once the inputs are validated and fitting starts, then
        as ``callback(done, folds)`` after each fold, in fold order.

    Returns
    -------
    probs : ndarray of shape (N, K), float64
        Row *i* from the model fitted on the folds that do not contain row *i*; rows sum to 1.
    classes : list of str
        Class names (sorted, string form) of the columns.
    metrics : dict
        ``accuracy``, ``log_loss``, ``baseline_accuracy`` (majority class), ``n_rows``,
        ``n_classes``, ``folds`` and ``warnings`` (distinct warnings raised while fitting).
    """
    import numpy as np
    from joblib import Parallel, delayed
    from sklearn.metrics import log_loss
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import Pipeline

    if folds < 2:
        raise InputError(f"--folds must be at least 2, got {folds}.")
    if len(features) != len(labels):
        raise InputError(f"{len(features)} feature rows but {len(labels)} labels.")
    if len(features) == 0:
        raise InputError("no rows to predict.")
    codes, classes = encode_labels(labels)
    counts = np.bincount(codes, minlength=len(classes))
    check_class_sizes(counts, classes, folds)

    prepared, kinds = prepare_features(features, text_columns)
    preprocessor = build_preprocessor(kinds, dense=not _accepts_sparse(model))
    pipeline = Pipeline([("features", preprocessor), ("model", model)])
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    splits = list(splitter.split(np.zeros(len(codes)), codes))

    probs = np.full((len(codes), len(classes)), np.nan, dtype=np.float64)
    seen: list[str] = []
    jobs = (
        delayed(_fit_fold)(pipeline, prepared, codes, train, test, len(classes))
        for train, test in splits
    )
    runner = Parallel(n_jobs=n_jobs, return_as="generator")
    if progress_callback is not None:
        progress_callback(0, folds)
    try:
        for done, ((_, test), (fold_probs, messages)) in enumerate(
            zip(splits, runner(jobs), strict=True), start=1
        ):
            probs[test] = fold_probs
            seen.extend(m for m in messages if m not in seen)
            if progress_callback is not None:
                progress_callback(done, folds)
    except (ValueError, TypeError) as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"fitting the model failed: {message}") from exc

    if not np.all(np.isfinite(probs)):
        bad = int(np.sum(~np.all(np.isfinite(probs), axis=1)))
        raise InputError(
            f"the model produced non-finite probabilities for {bad} rows; try another model."
        )
    probs = np.clip(probs, 0.0, None)
    sums = probs.sum(axis=1, keepdims=True)
    probs = np.divide(probs, sums, out=np.full_like(probs, 1.0 / len(classes)), where=sums > 0)

    metrics: dict[str, Any] = {
        "accuracy": float(np.mean(probs.argmax(axis=1) == codes)),
        "log_loss": float(log_loss(codes, probs, labels=list(range(len(classes))))),
        "baseline_accuracy": float(counts.max() / counts.sum()),
        "n_rows": len(codes),
        "n_classes": len(classes),
        "folds": folds,
        "feature_columns": {kind: list(cols) for kind, cols in kinds.items()},
        "warnings": seen,
    }
    return probs, classes, metrics
