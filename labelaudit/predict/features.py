"""Feature columns for ``labelaudit predict``: selection, type sorting and preprocessing."""

from __future__ import annotations

import re
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
#: Names longer than this are shortened in messages.
MAX_NAME_CHARS = 40
#: pandas' name for a column whose header is empty: usually a saved DataFrame index.
UNNAMED_COLUMN = re.compile(r"Unnamed: \d+")
#: Column names that usually hold row ids.
ID_LIKE_NAME = re.compile(r"(?i)(id|index|uuid|guid|key|row|row_?id|.*[_ ]id)")
#: Cap on the TF-IDF vocabulary of each text column (keeps dense models' memory bounded).
TEXT_MAX_FEATURES = 10_000


@dataclass
class FeatureSelection:
    """Feature columns, labels and optional ids taken from one input table."""

    features: pd.DataFrame
    labels: pd.Series
    ids: pd.Series | None = None
    text_columns: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    """Columns left out of the features besides the label: the id and ``--drop-column`` ones."""


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
    available = brief_listing(columns, quote=False)

    def require(column: str, option: str) -> None:
        if column not in columns:
            raise InputError(
                f"{option} {short(column)!r} is not a column of the features file. "
                f"Columns: {available}."
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
        ignored=[c for c in columns if c in excluded and c != label_column],
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


def short(name: object) -> str:
    """*name* as text, shortened to :data:`MAX_NAME_CHARS` characters for a message."""
    text = str(name)
    return text if len(text) <= MAX_NAME_CHARS else text[: MAX_NAME_CHARS - 1] + "…"


def brief_listing(names: Sequence[object], budget: int = 150, *, quote: bool = True) -> str:
    """Quoted (shortened) names for a message, as many as fit in *budget* characters.

    The rest are counted: ``'a', 'b', … (1,234 more)``, so a message stays one short line
    whatever the number of names.
    """
    shown: list[str] = []
    length = 0
    for name in names:
        quoted = repr(short(name)) if quote else short(name)
        if shown and length + len(quoted) + 2 > budget:
            break
        shown.append(quoted)
        length += len(quoted) + 2
    rest = len(names) - len(shown)
    return ", ".join(shown) + (f", … ({rest:,} more)" if rest else "")


@dataclass(frozen=True)
class ColumnProblem:
    """A feature column predict cannot use: ``unsupported`` type, ``text``-like or ``id``-like."""

    column: str
    kind: str
    detail: str


def _string_problem(column: str, series: pd.Series, n_rows: int) -> ColumnProblem | None:
    """A string column with too many distinct values to be categorical: an id, or text."""
    distinct = int(series.nunique(dropna=True))
    if distinct <= MAX_CATEGORIES or distinct <= MAX_UNIQUE_FRACTION * n_rows:
        return None
    detail = f"{distinct:,} distinct values in {n_rows:,} rows"
    values = series.dropna().astype(str)
    unique_per_row = distinct == n_rows
    if unique_per_row and not values.str.contains(r"\s", regex=True).any():
        return ColumnProblem(column, "id", detail)
    return ColumnProblem(column, "text", detail)


_SINGLE = {
    "unsupported": "column {name!r} has type {detail}, which predict cannot use; convert it to a "
    "number or leave it out with --drop-column {name}.",
    "text": "column {name!r} is text-like ({detail}), not categorical; name it with "
    "--text-column {name} to TF-IDF encode it, or leave it out with --drop-column {name}.",
    "id": "column {name!r} looks like a row id ({detail}: one per row, no spaces), not a "
    "feature; name it with --id-column {name} to copy it to the output, or leave it out "
    "with --drop-column {name}.",
}
_GROUPS = {
    "id": "row ids, unique per row (--id-column for one, --drop-column for the others)",
    "text": "text-like (--text-column NAME to TF-IDF encode, or --drop-column NAME)",
    "unsupported": "unsupported types (convert to numbers, or --drop-column NAME)",
}


def problems_message(problems: Sequence[ColumnProblem]) -> str:
    """One error message for every problem column, grouped by kind (each list summarised)."""
    if len(problems) == 1:
        problem = problems[0]
        return _SINGLE[problem.kind].format(name=short(problem.column), detail=problem.detail)
    parts = []
    for kind, description in _GROUPS.items():
        names = [short(p.column) for p in problems if p.kind == kind]
        if names:
            parts.append(f"{description}: {brief_listing(names, budget=70)}")
    return f"{len(problems)} feature columns cannot be used; " + "; ".join(parts) + "."


def prepare_features(
    features: pd.DataFrame, text_columns: Sequence[str] = ()
) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Normalise the feature columns' types and sort them into numeric / categorical / text.

    Numeric columns become float64 (``inf`` treated as missing); categorical columns become
    strings (missing kept as NaN); text columns become strings (missing as ``""``).

    Raises
    ------
    InputError
        Naming every column that cannot be used: an unsupported type (dates, ...), or a string
        column with too many distinct values to be categorical that was not named with
        ``--text-column`` (an id-like one, unique per row without spaces, is told to use
        ``--id-column``).
    """
    import numpy as np
    import pandas as pd

    text = set(text_columns)
    prepared: dict[str, pd.Series] = {}
    kinds: dict[str, list[str]] = {"numeric": [], "categorical": [], "text": []}
    problems: list[ColumnProblem] = []
    n_rows = len(features)
    for column in features.columns:
        series = features[column]
        kind = "text" if column in text else _column_kind(series)
        if kind == "text":
            missing = series.isna().to_numpy()
            strings = series.astype(object).where(~missing, "").astype(str)
            prepared[column] = strings.astype(object)
        elif kind == "numeric":
            values = pd.to_numeric(series, errors="coerce").astype("float64")
            prepared[column] = values.replace([np.inf, -np.inf], np.nan)
        elif kind == "unsupported":
            problems.append(ColumnProblem(column, "unsupported", str(series.dtype)))
            continue
        else:
            problem = _string_problem(column, series, n_rows) if kind == "string" else None
            if problem is not None:
                problems.append(problem)
                continue
            missing = series.isna().to_numpy()
            strings = series.astype(object).where(~missing, "").astype(str).astype(object)
            strings[missing] = np.nan
            prepared[column] = strings
            kind = "categorical"
        kinds[kind].append(column)
    if problems:
        raise InputError(problems_message(problems))
    return pd.DataFrame(prepared, index=features.index), kinds


def suspicious_feature_warnings(features: pd.DataFrame, kinds: dict[str, list[str]]) -> list[str]:
    """Warnings for feature columns that look like a saved index or a row id.

    ``Unnamed: 0`` (pandas' name for a CSV column without a header, usually a DataFrame index
    written with ``to_csv``) is always flagged; a column with an id-like name is flagged when
    its values are unique per row. Such columns let a model memorise rows, not learn labels.
    """
    messages = []
    for column in (*kinds["numeric"], *kinds["categorical"]):
        name = str(column)
        unnamed = UNNAMED_COLUMN.fullmatch(name) is not None
        id_named = ID_LIKE_NAME.fullmatch(name) is not None
        if not unnamed and not (id_named and features[column].nunique() == len(features)):
            continue
        why = "an unnamed column, probably a saved index" if unnamed else "unique per row"
        messages.append(
            f"column {short(name)!r} ({why}) is used as a feature; if it is a row id, pass "
            f"--id-column '{short(name)}' or --drop-column '{short(name)}'."
        )
    return messages


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
