"""Feature columns for ``labelaudit predict``: selection, type sorting and preprocessing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from labelaudit.errors import InputError

if TYPE_CHECKING:
    import pandas as pd
    from sklearn.compose import ColumnTransformer

#: A string column is "categorical-looking" unless it has more than this many distinct values ...
MAX_CATEGORIES = 20
#: ... and more than this fraction of the rows are distinct values.
MAX_UNIQUE_FRACTION = 0.5
#: Cap on the TF-IDF vocabulary of each text column (keeps dense models' memory bounded).
TEXT_MAX_FEATURES = 10_000


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


def accepts_sparse(estimator: Any) -> bool:
    from sklearn.utils import get_tags

    try:
        return bool(get_tags(estimator).input_tags.sparse)
    except Exception:  # not a scikit-learn estimator with tags: dense is always safe
        return False
