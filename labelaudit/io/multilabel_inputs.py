"""Multi-label inputs, loaded together: per-class probabilities, label sets, ids, validation.

See :mod:`labelaudit.io.multilabel` for the label-set formats (DESIGN.md section 3.5).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labelaudit.errors import InputError
from labelaudit.io.labels import integer_names, parse_classes, resolve_label_column
from labelaudit.io.multilabel import (
    DEFAULT_SEPARATOR,
    INPUT_SUFFIXES,
    LabelSource,
    MultilabelInputs,
    label_sets_to_indicator,
    read_arrow_table,
    table_column_names,
)
from labelaudit.io.npy import load_npy
from labelaudit.io.paths import check_readable, check_suffix, suffix_of

if TYPE_CHECKING:
    import numpy as np


def _npy_labels(path: Path, n_classes: int) -> tuple[np.ndarray | None, Any]:
    """An (N, K) 0/1 ``.npy`` (returned as uint8), or a 1-D one as an Arrow array to map."""
    import numpy as np
    import pyarrow as pa

    array = load_npy(path, mmap=False)
    if array.ndim == 1:
        if array.dtype.kind not in "iuUS":
            raise InputError(f"{path}: unsupported label dtype {array.dtype}.")
        return None, pa.array(array.astype(str) if array.dtype.kind == "S" else array)
    if array.ndim != 2:
        raise InputError(
            f"{path}: multi-label labels must be an (N, K) 0/1 array, got {array.shape}."
        )
    if array.dtype.kind not in "biu":
        raise InputError(f"{path}: multi-label labels must be 0/1 integers, got {array.dtype}.")
    if array.shape[1] != n_classes:
        raise InputError(
            f"{path}: has {array.shape[1]} label columns but the probabilities have {n_classes} "
            "classes; both must have one column per class, in the same order."
        )
    if array.dtype.kind == "b":
        return array.view(np.uint8), None
    if array.size and (array.min() < 0 or array.max() > 1):  # reductions, no (N, K) temporaries
        bad = (array != 0) & (array != 1)
        row = int(np.flatnonzero(bad.any(axis=1))[0])
        column = int(np.flatnonzero(bad[row])[0])
        raise InputError(
            f"{path}: row {row}, column {column} holds {array[row, column]}; an (N, K) "
            "multi-label matrix holds only 0 and 1."
        )
    return array.astype(np.uint8, copy=False), None


def read_multilabel_probs(
    path: Path, *, id_column: str | None, exclude: Sequence[str] = ()
) -> tuple[np.ndarray, list[str] | None, Any]:
    """(N, K) probabilities, their class names (``None`` for ``.npy``) and the ids (if any)."""
    import numpy as np
    import pyarrow as pa

    check_readable(path)
    if check_suffix(path, INPUT_SUFFIXES, "probs") == ".npy":
        array = load_npy(path, mmap=True)
        if array.ndim != 2 or array.dtype.kind not in "iuf":
            raise InputError(
                f"{path}: per-class probabilities must be a 2-D (rows, classes) float array, "
                f"got shape {array.shape} and dtype {array.dtype}."
            )
        if array.dtype not in (np.float32, np.float64) or not array.dtype.isnative:
            array = np.ascontiguousarray(array, dtype=np.float64)
        return array, None, None
    names = table_column_names(path)
    ids_here = id_column if id_column in names else None
    class_names = [name for name in names if name != ids_here and name not in exclude]
    if not class_names:
        raise InputError(f"{path}: has no probability columns (one numeric column per class).")
    table = read_arrow_table(
        path,
        [*class_names, *([ids_here] if ids_here else [])],
        text_columns=[ids_here] if ids_here else [],
    )
    for name in class_names:
        kind = table.schema.field(name).type
        if not (pa.types.is_integer(kind) or pa.types.is_floating(kind)):
            hint = f" If it is an id column, pass --id-column {name}." if ids_here is None else ""
            raise InputError(
                f"{path}: column {name!r} is not numeric ({kind}); every column except the id "
                f"column must hold one class's probabilities.{hint}"
            )
    all_float32 = all(table.schema.field(n).type == pa.float32() for n in class_names)
    dtype = np.float32 if all_float32 else np.float64
    array = np.empty((table.num_rows, len(class_names)), dtype=dtype)
    for index, name in enumerate(class_names):
        array[:, index] = table.column(name).to_numpy()  # nulls become NaN, refused later
    ids = table.column(ids_here).combine_chunks() if ids_here else None
    return array, class_names, ids


def _probs_message(path: Path, exc: ValueError, class_names: Sequence[str] | None) -> str:
    """The core's validation message with the file and the class column's name."""
    text = str(exc)
    if class_names is not None:
        text = re.sub(
            r"column (\d+)", lambda m: f"column {class_names[int(m.group(1))]!r}", text, count=1
        )
    return f"{path}: {text}; per-class probabilities must be numbers in [0, 1]."


def _labels_column(
    path: Path, label_column: str | None, id_column: str | None
) -> tuple[Any, str, Any]:
    """The label column of a table (and its ids): (values, column name, ids or None)."""
    names = table_column_names(path)
    column = resolve_label_column(path, names, label_column, id_column)
    wanted = [column] + ([id_column] if id_column in names and id_column != column else [])
    text = [c for c in wanted if c == column or c == id_column]
    table = read_arrow_table(path, wanted, text_columns=text)
    ids = table.column(id_column).combine_chunks() if id_column in wanted[1:] else None
    return table.column(column), column, ids


def _warn_if_single_label(labels: np.ndarray, pred_probs: np.ndarray) -> None:
    """Warn when the data look single-label: one tag per row and rows summing to 1."""
    import numpy as np

    if not np.all(labels.sum(axis=1) == 1):
        return
    sums = pred_probs.sum(axis=1, dtype=np.float64)
    if np.all(np.abs(sums - 1) <= 1e-4):
        warnings.warn(
            "every row has exactly one label and every probability row sums to 1: this looks "
            "like single-label data, which labelaudit audits better without --multi-label "
            "(the classes compete); continuing one-vs-rest as asked.",
            stacklevel=2,
        )


def _shared_ids(
    label_ids: Any, probs_ids: Any, id_column: str | None, labels_path: Path, probs_path: Path
) -> Any:
    import numpy as np

    if id_column is None:
        return None
    if label_ids is None and probs_ids is None:
        raise InputError(
            f"--id-column {id_column!r}: no such column in {labels_path} or {probs_path}."
        )
    if label_ids is not None and probs_ids is not None:
        a = np.asarray(label_ids.cast("string").to_numpy(zero_copy_only=False))
        b = np.asarray(probs_ids.cast("string").to_numpy(zero_copy_only=False))
        differ = a != b
        if differ.any():
            row = int(np.argmax(differ))
            raise InputError(
                f"{probs_path}: --id-column {id_column!r} differs from {labels_path} at row {row} "
                f"({b[row]!r} vs {a[row]!r}); the inputs must list the same rows in the same order."
            )
    return label_ids if label_ids is not None else probs_ids


def load_multilabel_inputs(
    labels_path: Path,
    probs_path: Path,
    *,
    label_column: str | None = None,
    id_column: str | None = None,
    classes: str | None = None,
    separator: str = DEFAULT_SEPARATOR,
) -> MultilabelInputs:
    """Read, map and validate multi-label labels and probabilities.

    The classes are the columns of a probs table, else ``--classes`` (for ``.npy`` probs), else
    ``0..K-1``.

    Raises
    ------
    InputError
        Naming the file, column or first bad row and the fix.
    """
    from labelaudit.core.multilabel import validate_multilabel

    for path in (labels_path, probs_path):
        check_readable(path)
    check_suffix(labels_path, INPUT_SUFFIXES, "labels")
    class_option = parse_classes(classes)
    is_npy_labels = suffix_of(labels_path) == ".npy"
    if is_npy_labels and label_column is not None:
        raise InputError(f"--label-column {label_column!r}: {labels_path} is a .npy array.")
    same_file = labels_path.resolve() == probs_path.resolve()
    label_ids, label_type, column_name, column = None, None, None, None
    if not is_npy_labels:
        column, column_name, label_ids = _labels_column(labels_path, label_column, id_column)
        label_type = column.type
    exclude = [column_name] if same_file and column_name else []
    pred_probs, names, probs_ids = read_multilabel_probs(
        probs_path, id_column=id_column, exclude=exclude
    )
    names = _class_names(names, class_option, pred_probs.shape[1], probs_path)
    labels, shown = _labels_for(labels_path, column, column_name, names, pred_probs, separator)
    if labels.shape[0] != pred_probs.shape[0]:
        raise InputError(
            f"{probs_path}: has {pred_probs.shape[0]} rows but {labels_path} has "
            f"{labels.shape[0]}; both must list the same rows in the same order."
        )
    if labels.shape[0] == 0:
        raise InputError(f"{labels_path}: has no rows; at least one row is needed.")
    try:  # the uint8 0/1 indicator seen as bool: only the probabilities are left to check
        validate_multilabel(labels.view(bool), pred_probs)
    except ValueError as exc:
        raise InputError(_probs_message(probs_path, exc, names)) from exc
    _warn_if_single_label(labels, pred_probs)
    return MultilabelInputs(
        labels=labels,
        pred_probs=pred_probs,
        classes=shown,
        ids=_shared_ids(label_ids, probs_ids, id_column, labels_path, probs_path),
        id_column=id_column,
        label_column=column_name,
        label_type=label_type,
        labels_path=labels_path,
        probs_path=probs_path,
    )


def _class_names(
    names: list[str] | None, class_option: list[str] | None, n_columns: int, probs_path: Path
) -> list[str]:
    """A probs table's column names, else ``--classes``, else ``0..K-1``."""
    if names is not None:
        if class_option is not None:
            raise InputError(
                "--classes: only used with .npy probs; a probs table names its classes."
            )
        return names
    if class_option is not None and len(class_option) != n_columns:
        raise InputError(
            f"--classes lists {len(class_option)} classes but {probs_path} has {n_columns} columns."
        )
    return class_option or [str(k) for k in range(n_columns)]


def _labels_for(
    labels_path: Path,
    column: Any,
    column_name: str | None,
    names: list[str],
    pred_probs: np.ndarray,
    separator: str,
) -> tuple[np.ndarray, list[Any]]:
    """The (N, K) indicator of the labels file, with the classes as shown."""
    if column is None:
        matrix, column = _npy_labels(labels_path, pred_probs.shape[1])
        if matrix is not None:
            as_integers = integer_names(names)
            return matrix, as_integers if as_integers is not None else list(names)
    source = LabelSource(labels_path, column_name, separator)
    return label_sets_to_indicator(column, names, source)
