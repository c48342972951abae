"""Labels: reading the given labels and mapping them to class indices by class name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labelaudit.errors import InputError, listing
from labelaudit.io.npy import load_npy
from labelaudit.io.paths import check_readable, check_suffix
from labelaudit.io.tables import read_table, table_columns

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

LABEL_SUFFIXES = (".parquet", ".csv", ".npy")


@dataclass(frozen=True)
class LabelsFile:
    """The raw labels of one file, before they are mapped to class indices."""

    path: Path
    values: pd.Series | np.ndarray
    column: str | None
    ids: pd.Series | None


def parse_classes(text: str | None) -> list[str] | None:
    """Parse ``--classes a,b,c`` into a list of unique, non-empty names."""
    if text is None:
        return None
    names = [name.strip() for name in text.split(",")]
    if any(not name for name in names):
        raise InputError(f"--classes {text!r}: empty class name; give names like 'cat,dog,bird'.")
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise InputError(f"--classes: duplicate class name(s) {listing(duplicates)}.")
    if len(names) < 2:
        raise InputError("--classes: at least two classes are needed.")
    return names


def resolve_label_column(
    path: Path, columns: Sequence[str], label_column: str | None, id_column: str | None
) -> str:
    """Pick the label column of a table as the contract says, or raise listing the columns."""
    if label_column is not None:
        if label_column not in columns:
            raise InputError(
                f"{path}: no column {label_column!r} (--label-column); "
                f"columns are {listing(columns)}."
            )
        return label_column
    if "label" in columns:
        return "label"
    candidates = [name for name in columns if name != id_column]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise InputError(f"{path}: has no columns to read labels from.")
    raise InputError(
        f"{path}: no column 'label' and {len(candidates)} columns to choose from "
        f"({listing(candidates)}); pass --label-column NAME."
    )


def read_labels(
    path: Path, *, label_column: str | None = None, id_column: str | None = None
) -> LabelsFile:
    """Read the given labels from ``.parquet``, ``.csv`` or ``.npy`` (no mapping yet).

    ``.npy`` labels stay a numpy array, so that integer labels are mapped without pandas.
    """
    check_readable(path)
    suffix = check_suffix(path, LABEL_SUFFIXES, "labels")
    if suffix == ".npy":
        if label_column is not None:
            raise InputError(
                f"--label-column {label_column!r}: {path} is a .npy array, not a table."
            )
        array = load_npy(path, mmap=False)
        if array.ndim == 2 and array.shape[1] == 1:
            array = array[:, 0]
        if array.ndim != 1:
            raise InputError(
                f"{path}: labels must be a 1-D array (one label per row), got shape {array.shape}."
                " For an (N, K) 0/1 multi-label matrix, pass --multi-label."
            )
        if array.dtype.kind not in "biufUS":
            raise InputError(
                f"{path}: unsupported label dtype {array.dtype}; use integers or strings."
            )
        if array.dtype.kind == "S":
            array = array.astype(str)
        return LabelsFile(path=path, values=array, column=None, ids=None)

    columns = table_columns(path)
    column = resolve_label_column(path, columns, label_column, id_column)
    wanted = [column]
    if id_column is not None and id_column in columns and id_column != column:
        wanted.append(id_column)
    frame = read_table(path, columns=wanted)
    ids = frame[id_column] if id_column is not None and id_column in frame.columns else None
    return LabelsFile(path=path, values=frame[column], column=column, ids=ids)


def integer_names(names: Sequence[str]) -> list[int] | None:
    """The class names as ints when every one is written as an integer (and they stay unique)."""
    values: list[int] = []
    for name in names:
        try:
            value = int(name)
        except ValueError:
            return None
        if str(value) != name.strip():
            return None
        values.append(value)
    return values if len(set(values)) == len(values) else None


def map_labels(
    labels: LabelsFile, class_names: Sequence[str], probs_path: Path
) -> tuple[np.ndarray, list[Any]]:
    """Map raw labels to class indices by name (labels compared as strings).

    Returns the ``(N,)`` indices (smallest integer dtype) and the classes as shown and
    written: ints when the labels are integers and every class name is an integer, else the
    names.
    """
    import numpy as np

    from labelaudit.core._arrays import compact_int_dtype

    values = labels.values
    n_classes = len(class_names)
    code_dtype = compact_int_dtype(n_classes)
    if (
        isinstance(values, np.ndarray)
        and values.dtype.kind in "iu"
        and integer_names(class_names) == list(range(n_classes))
        and values.size
        and values.min() >= 0
        and values.max() < n_classes
    ):
        # Integer labels 0..K-1 from .npy: they are their own codes (no pandas, no hash lookup).
        return values.astype(code_dtype), list(range(n_classes))
    series = _label_series(labels)
    codes, classes = _codes_by_value(series, class_names)
    unknown = codes < 0
    if unknown.any():
        _raise_unknown(labels, series, unknown, class_names, probs_path)
    return codes.astype(code_dtype, copy=False), classes


def _label_series(labels: LabelsFile) -> pd.Series:
    """The labels as a Series, refusing missing ones; integral floats become integers."""
    import numpy as np
    import pandas as pd

    values = labels.values
    values = pd.Series(values) if isinstance(values, np.ndarray) else values
    where = f"column {labels.column!r}" if labels.column is not None else "labels"
    missing = values.isna().to_numpy()
    if missing.any():
        row = int(np.argmax(missing))
        raise InputError(
            f"{labels.path}: {where}: row {row} has no label ({int(missing.sum())} rows missing); "
            "every row needs a label."
        )
    if pd.api.types.is_float_dtype(values):
        floats = values.to_numpy(dtype=np.float64)
        if np.all(np.isfinite(floats)) and np.all(floats == np.round(floats)):
            values = pd.Series(floats.astype(np.int64))
    return values


def _codes_by_value(values: pd.Series, class_names: Sequence[str]) -> tuple[np.ndarray, list[Any]]:
    """Class index of every label (-1 where it is not a class) and the classes as shown."""
    import numpy as np
    import pandas as pd

    as_integers = integer_names(class_names)
    is_integer = pd.api.types.is_integer_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if is_integer and as_integers == list(range(len(class_names))):
        # Classes 0..K-1: the labels are their own codes; a range check replaces a hash lookup
        # (tens of millions of rows).
        raw = values.to_numpy()
        unknown_rows = (raw < 0) | (raw >= len(class_names))
        return (np.where(unknown_rows, -1, raw) if unknown_rows.any() else raw), as_integers
    if is_integer and as_integers is not None:
        return pd.Index(as_integers).get_indexer(values.to_numpy()), as_integers
    as_text = values if pd.api.types.is_string_dtype(values) else values.astype(str)
    return pd.Index(list(class_names)).get_indexer(as_text.to_numpy()), list(class_names)


def _raise_unknown(
    labels: LabelsFile,
    values: pd.Series,
    unknown: np.ndarray,
    class_names: Sequence[str],
    probs_path: Path,
) -> None:
    """Name the first label that is not a class, and how many there are."""
    import numpy as np

    row = int(np.argmax(unknown))
    n_unknown = int(unknown.sum())
    others = f" ({n_unknown} rows have labels that are not classes)" if n_unknown > 1 else ""
    from labelaudit.io.multilabel import multilabel_hint

    hint = multilabel_hint(values.iloc[row], class_names) or (
        "Check that the labels and probs belong together (for .npy probs with string labels, "
        "pass --classes in column order)."
    )
    raise InputError(
        f"{labels.path}: label {str(values.iloc[row])!r} in row {row} is not a class of "
        f"{probs_path}{others}; the classes are {listing(class_names)}.\n{hint}"
    )


# --- class matching by value, with Arrow compute (no Python object per row) --------------------


@dataclass(frozen=True)
class ClassMatcher:
    """Maps label values to class indices by value (DESIGN.md section 3.1), batch by batch.

    Text labels match a class name exactly (``01``, `` 1`` and ``1`` are three spellings, and
    only ``1`` is class ``1``); integer labels match integer class names by value; a float
    column whose values are all integers is an integer column (``1.0`` is class ``1``).

    Attributes
    ----------
    class_names
        The class of each column, as text.
    where
        ``"<file>: column 'label'"``, for messages.
    probs_name
        The probabilities' source, for messages.
    """

    class_names: list[str]
    where: str
    probs_name: str

    def encode(self, values: Any, offset: int = 0) -> np.ndarray:
        """Class index of every value of an Arrow array (rows *offset*... in messages)."""
        import pyarrow as pa

        from labelaudit.io.arrownp import to_numpy

        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        self._refuse_missing(values, offset)
        if pa.types.is_dictionary(values.type):
            # Few distinct values: match the dictionary, then look every row's entry up.
            lookup = self._dictionary_codes(values.dictionary)
            codes = lookup.take(to_numpy(values.indices))
        else:
            codes = self.codes(values)
        return self._checked(codes, values, offset)

    def _dictionary_codes(self, dictionary: Any) -> np.ndarray:
        """:meth:`codes` of a dictionary's entries; a text one (the usual) without Arrow compute,
        whose import (0.1-0.2 s) a Parquet column of class names does not need."""
        import numpy as np

        if not _is_text(dictionary.type) or dictionary.null_count:
            return self.codes(dictionary)
        index = {name: code for code, name in enumerate(self.class_names)}
        return np.array([index.get(entry, -1) for entry in dictionary.to_pylist()], dtype=np.int64)

    def codes(self, values: Any) -> np.ndarray:
        """Class index of every value (-1 where it is not a class), without raising."""
        import pyarrow as pa
        import pyarrow.compute as pc

        from labelaudit.io.arrownp import text_array, to_numpy

        kind = values.type
        if pa.types.is_floating(kind) and len(values):
            integral = pc.all(pc.equal(pc.floor(values), values)).as_py()
            if integral and pc.all(pc.is_finite(values)).as_py():
                values, kind = pc.cast(values, pa.int64()), pa.int64()
        integers = integer_names(self.class_names)
        if pa.types.is_integer(kind) and integers is not None:
            return self._integer_codes(values, integers)
        text = values if _is_text(kind) else pc.cast(values, pa.string())
        found = pc.index_in(text, value_set=text_array(self.class_names))
        return to_numpy(found, fill=-1)

    def _integer_codes(self, values: Any, integers: list[int]) -> np.ndarray:
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        from labelaudit.io.arrownp import from_numpy, to_numpy

        raw = to_numpy(values)
        if integers == list(range(len(integers))):
            # Classes 0..K-1: the labels are their own codes; a range check replaces a lookup.
            unknown = (raw < 0) | (raw >= len(integers))
            return np.where(unknown, -1, raw) if unknown.any() else raw
        value_set = from_numpy(np.array(integers, dtype=np.int64))
        found = pc.index_in(pc.cast(values, pa.int64()), value_set=value_set)
        return to_numpy(found, fill=-1)

    def _refuse_missing(self, values: Any, offset: int) -> None:
        """Raise at the first missing label: a null, or an empty text cell."""
        if values.null_count == 0 and not _is_text(values.type):
            return  # nothing is missing: no need for Arrow compute
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        from labelaudit.io.arrownp import to_numpy

        missing = to_numpy(pc.is_null(values))
        if _is_text(values.type):
            missing = missing | (to_numpy(pc.binary_length(values), fill=1) == 0)
        elif pa.types.is_dictionary(values.type):
            missing = to_numpy(pc.is_null(values.indices))
        n_missing = int(np.count_nonzero(missing))
        if n_missing:
            row = offset + int(np.argmax(missing))
            # Counted in this batch only (reading stops here): "at least" the rows after it.
            others = (
                f" (nor do at least {n_missing - 1:,} more rows after it)" if n_missing > 1 else ""
            )
            raise InputError(
                f"{self.where}: row {row} has no label{others}; every row needs a label."
            )

    def _checked(self, codes: Any, values: Any, offset: int) -> np.ndarray:
        """*codes* as an int array, or raise at the first label that is not a class."""
        import numpy as np

        codes = np.asarray(codes)
        unknown = codes < 0
        if unknown.any():
            row = int(np.argmax(unknown))
            value = values[row].as_py()
            n_unknown = int(unknown.sum())
            # Counted in this batch only (reading stops here): "at least" the rows after it.
            others = (
                f" (nor are the labels of at least {n_unknown - 1:,} more rows after it)"
                if n_unknown > 1
                else ""
            )
            from labelaudit.io.multilabel import multilabel_hint

            hint = multilabel_hint(value, self.class_names) or (
                "Check that the labels and probs belong together (for .npy probs with string "
                "labels, pass --classes in column order)."
            )
            raise InputError(
                f"{self.where}: label {str(value)!r} in row {offset + row} is not a class of "
                f"{self.probs_name}{others}; the classes are {listing(self.class_names)}.\n"
                f"{hint}"
            )
        return codes


def _is_text(kind: Any) -> bool:
    import pyarrow as pa

    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))
