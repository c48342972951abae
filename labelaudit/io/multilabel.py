"""Multi-label inputs (DESIGN.md section 3.5): label sets and per-class probabilities.

Label sets come from a Parquet/Arrow **list column** (of class names or integers), a **text
column** of names joined by ``--label-separator``, or an **(N, K) 0/1 ``.npy``**; an empty set is
a valid label. They become an ``(N, K)`` uint8 indicator matrix with Arrow compute (flatten,
parent indices, ``index_in``): no Python loop over rows. Probabilities are an ``(N, K)``
``.npy`` or a table with one numeric column per class, each value in [0, 1] (rows need not sum
to 1), validated by :func:`labelaudit.core.multilabel.validate_multilabel`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labelaudit.errors import InputError, listing
from labelaudit.io.labels import integer_names
from labelaudit.io.paths import check_suffix, suffix_of
from labelaudit.io.tables import reading

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

TABLE_SUFFIXES = (".parquet", ".csv", ".arrow", ".feather")
INPUT_SUFFIXES = (*TABLE_SUFFIXES, ".npy")
DEFAULT_SEPARATOR = ","
_OTHER_SEPARATORS = (",", ";", "|", "/", "\t")


@dataclass(frozen=True)
class MultilabelInputs:
    """Validated multi-label inputs.

    Attributes
    ----------
    labels
        ``(N, K)`` uint8 indicator: ``labels[n, k] = 1`` when class k is in row n's label set.
    pred_probs
        ``(N, K)`` float32/float64 per-class probabilities (possibly a memory map).
    classes
        The class of each column: ints when every class name is an integer, else strings.
    ids, id_column
        The ``--id-column`` values (an Arrow array) and name, or ``None``.
    label_column
        The label column of a labels table, ``None`` for ``.npy`` labels.
    label_type
        The Arrow type of that column (``None`` for ``.npy``).
    """

    labels: np.ndarray
    pred_probs: np.ndarray
    classes: list[Any]
    ids: pa.Array | None
    id_column: str | None
    label_column: str | None
    label_type: pa.DataType | None
    labels_path: Path
    probs_path: Path

    @property
    def n_examples(self) -> int:
        """Number of rows."""
        return int(self.labels.shape[0])

    @property
    def n_classes(self) -> int:
        """Number of classes."""
        return len(self.classes)


# --- tables -------------------------------------------------------------------------------------


def table_column_names(path: Path) -> list[str]:
    """Column names of a Parquet, CSV or Arrow IPC file, without reading its data."""
    with reading(path):
        suffix = suffix_of(path)
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            names = pq.read_schema(path).names
        elif suffix == ".csv":
            import pyarrow.csv as pcsv

            names = pcsv.open_csv(path).schema.names
        else:
            import pyarrow.feather as feather

            names = feather.read_table(path, memory_map=True).schema.names
    return [str(name) for name in names if name != "__index_level_0__"]


def read_arrow_table(
    path: Path, columns: Sequence[str] | None = None, text_columns: Sequence[str] = ()
) -> pa.Table:
    """Read a table with pyarrow; in CSV, *text_columns* are read as text (``01`` stays ``01``)."""
    import pyarrow as pa

    suffix = check_suffix(path, TABLE_SUFFIXES, "table")
    wanted = list(columns) if columns is not None else None
    with reading(path):
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            table = pq.read_table(path, columns=wanted)
        elif suffix == ".csv":
            import pyarrow.csv as pcsv

            options = pcsv.ConvertOptions(
                include_columns=wanted or [],
                column_types={name: pa.string() for name in text_columns},
                strings_can_be_null=False,
            )
            table = pcsv.read_csv(path, convert_options=options)
        else:
            import pyarrow.feather as feather

            table = feather.read_table(path, columns=wanted)
    if "__index_level_0__" in table.column_names:
        table = table.drop_columns(["__index_level_0__"])
    return table


# --- label sets -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LabelSource:
    """Where label sets come from, for messages: the file and the column (if a table)."""

    path: Path
    column: str | None
    separator: str

    @property
    def where(self) -> str:
        """``path: column 'tags'`` or ``path``."""
        return f"{self.path}: column {self.column!r}" if self.column else str(self.path)


def _flat_labels(column: Any, source: LabelSource) -> tuple[Any, np.ndarray, int, bool]:
    """Every label of every row: (values, row of each value, N, whether the column is text)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    n_rows = len(column)
    kind = column.type
    if pa.types.is_dictionary(kind):
        column, kind = column.dictionary_decode(), column.type.value_type
    if column.null_count:
        row = int(np.flatnonzero(column.is_null().to_numpy(zero_copy_only=False))[0])
        empty = "an empty list" if _is_list(kind) else "an empty string"
        raise InputError(
            f"{source.where}: row {row} has no label set (null; {column.null_count} rows); "
            f"write {empty} for the empty label set."
        )
    if _is_list(kind):
        values = pc.list_flatten(column)
        parents = pc.list_parent_indices(column).to_numpy()
        if pa.types.is_dictionary(values.type):
            values = values.dictionary_decode()
        if values.null_count:
            first = int(np.flatnonzero(values.is_null().to_numpy(zero_copy_only=False))[0])
            raise InputError(
                f"{source.where}: row {int(parents[first])} has a null inside its label list; "
                "a label set lists class names only."
            )
        return values, parents, n_rows, False
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        if not source.separator:
            raise InputError("--label-separator must not be empty.")
        lists = pc.split_pattern(column, source.separator)
        values = pc.utf8_trim_whitespace(pc.list_flatten(lists))
        parents = pc.list_parent_indices(lists).to_numpy()
        keep = pc.not_equal(values, "")  # "" and "a,,b" hold empty names: not labels
        return values.filter(keep), parents[keep.to_numpy(zero_copy_only=False)], n_rows, True
    # one label per row (a single-label integer column, or a 1-D .npy)
    return column, np.arange(n_rows, dtype=np.int64), n_rows, False


def _is_list(kind: Any) -> bool:
    import pyarrow as pa

    return bool(
        pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind)
    )


def _as_class_values(values: Any, source: LabelSource) -> Any:
    """Integers as int64, integral floats as int64, strings as they are; refuse other types."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = values.type
    if pa.types.is_integer(kind):
        return pc.cast(values, pa.int64())
    if pa.types.is_floating(kind):
        floats = values.to_numpy(zero_copy_only=False)
        if np.all(np.isfinite(floats)) and np.all(floats == np.round(floats)):
            return pa.array(floats.astype(np.int64))
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return values
    raise InputError(
        f"{source.where}: labels of type {kind} cannot be class names; use strings or integers."
    )


def _class_codes(values: Any, class_names: Sequence[str]) -> tuple[np.ndarray, list[Any]]:
    """Column index of every label (-1 where it is not a class) and the classes as shown."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    as_integers = integer_names(class_names)
    if pa.types.is_integer(values.type):
        if as_integers is not None:
            codes = pc.index_in(values, value_set=pa.array(as_integers, pa.int64()))
            return codes.to_numpy(zero_copy_only=False), as_integers
        values = pc.cast(values, pa.string())
    codes = pc.index_in(values, value_set=pa.array(list(class_names), pa.string()))
    shown = as_integers if as_integers is not None else list(class_names)
    filled = pc.fill_null(codes, -1).to_numpy(zero_copy_only=False)
    return np.asarray(filled, dtype=np.int64), shown


def _raise_unknown(
    values: Any, parents: np.ndarray, codes: np.ndarray, classes: Sequence[Any], source: LabelSource
) -> None:
    import numpy as np

    unknown = codes < 0
    first = int(np.argmax(unknown))
    value = str(values[first].as_py())
    count = int(unknown.sum())
    others = f" ({count} labels are not classes)" if count > 1 else ""
    hint = ""
    used = [s for s in _OTHER_SEPARATORS if s in value and s != source.separator]
    if used:
        hint = f"\nAre the labels joined by {used[0]!r}? Pass --label-separator {used[0]!r}."
    raise InputError(
        f"{source.where}: label {value!r} in row {int(parents[first])} is not a class{others}; "
        f"the classes are {listing(classes)}.{hint}"
    )


def _indicator(
    parents: np.ndarray, codes: np.ndarray, n_rows: int, classes: Sequence[Any], source: LabelSource
) -> np.ndarray:
    """The (N, K) uint8 indicator; refuses a class listed twice in one row."""
    import numpy as np

    n_classes = len(classes)
    flat = parents.astype(np.int64) * n_classes + codes
    indicator = np.zeros(n_rows * n_classes, dtype=np.uint8)
    indicator[flat] = 1
    if np.count_nonzero(indicator) != flat.shape[0]:
        ordered = np.sort(flat)
        repeated = int(ordered[np.flatnonzero(ordered[1:] == ordered[:-1])[0]])
        row, k = divmod(repeated, n_classes)
        raise InputError(
            f"{source.where}: row {row} lists class {str(classes[k])!r} more than once; a label "
            "set holds each class at most once."
        )
    return indicator.reshape(n_rows, n_classes)


def check_separator(classes: Sequence[Any], separator: str) -> None:
    """Refuse class names that contain the separator (joined labels would be ambiguous)."""
    if not separator:
        raise InputError("--label-separator must not be empty.")
    clashing = [str(name) for name in classes if separator in str(name)]
    if clashing:
        suggestion = next(s for s in (";", "|", "\t", ",") if not any(s in c for c in clashing))
        raise InputError(
            f"class name {clashing[0]!r} contains the label separator {separator!r}, so joined "
            f"labels would be ambiguous; pass another --label-separator, e.g. {suggestion!r}."
        )


def label_sets_to_indicator(
    column: Any, class_names: Sequence[str] | None, source: LabelSource
) -> tuple[np.ndarray, list[Any]]:
    """Label sets (list, joined text or one label per row) -> (N, K) uint8 indicator, classes.

    With *class_names* ``None`` the classes are discovered: every label seen, sorted (numbers
    by value, text by string).
    """
    values, parents, n_rows, is_text = _flat_labels(column, source)
    values = _as_class_values(values, source)
    if class_names is None:
        class_names = _discovered_classes(values, source)
    if is_text:
        check_separator(class_names, source.separator)
    codes, classes = _class_codes(values, class_names)
    if (codes < 0).any():
        _raise_unknown(values, parents, codes, classes, source)
    return _indicator(parents, codes, n_rows, classes, source), classes


def _discovered_classes(values: Any, source: LabelSource) -> list[str]:
    import pyarrow.compute as pc

    distinct = pc.unique(values).to_pylist()
    if len(distinct) < 1:
        raise InputError(f"{source.where}: no row has any label; at least one class is needed.")
    return [str(value) for value in sorted(distinct)]


def multilabel_hint(value: Any, class_names: Sequence[str]) -> str | None:
    """For the single-label path: a hint to pass ``--multi-label`` when *value* looks like a set.

    A list or array of labels (a Parquet list column), or text whose parts, split at a common
    separator, are class names.
    """
    if isinstance(value, str):
        names = {str(name) for name in class_names}
        for separator in _OTHER_SEPARATORS:
            parts = [part.strip() for part in value.split(separator)]
            if len(parts) > 1 and all(part in names for part in parts if part):
                option = (
                    "" if separator == DEFAULT_SEPARATOR else f" --label-separator {separator!r}"
                )
                return f"It looks like a set of labels: pass --multi-label{option}."
        return None
    if hasattr(value, "__len__"):
        return "It looks like a list of labels: pass --multi-label."
    return None


def label_names(columns: Sequence[tuple[Any, LabelSource]]) -> list[str]:
    """Every class name in label-set *columns*, sorted (by value when all are integers)."""
    names: set[str] = set()
    for column, source in columns:
        values = _as_class_values(_flat_labels(column, source)[0], source)
        if len(values):
            names.update(_discovered_classes(values, source))
    as_integers = integer_names(sorted(names))
    if as_integers is not None:
        return [str(value) for value in sorted(as_integers)]
    return sorted(names)
