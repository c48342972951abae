"""Probabilities: reading ``--probs`` files (``.npy`` memory-mapped, tables column by column)
and validating them through :mod:`labelaudit.core.validation`, with the file name in every message.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labelaudit.errors import InputError
from labelaudit.io.npy import load_npy, page_releaser
from labelaudit.io.paths import check_readable, check_suffix
from labelaudit.io.tables import read_table, table_columns

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

PROBS_SUFFIXES = (".parquet", ".csv", ".npy")


@dataclass(frozen=True)
class ProbsFile:
    """One validated ``(N, K)`` probability array and the class names of its columns."""

    path: Path
    array: np.ndarray
    class_names: list[str] | None
    ids: pd.Series | None


def _probs_from_table(path: Path, id_column: str | None) -> tuple[np.ndarray, list[str], Any]:
    """Read a class-per-column probability table into a C-contiguous ``(N, K)`` array."""
    import numpy as np
    import pandas as pd

    columns = table_columns(path)
    if id_column is not None and id_column not in columns:
        id_column = None  # the ids may come from another input; checked by the caller
    class_names = [name for name in columns if name != id_column]
    if not class_names:
        raise InputError(f"{path}: has no probability columns (one numeric column per class).")
    frame = read_table(path)
    frame.columns = [str(name) for name in frame.columns]
    ids = frame[id_column] if id_column is not None else None
    for name in class_names:
        series = frame[name]
        if not (pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)):
            hint = f" If it is an id column, pass --id-column {name}." if id_column is None else ""
            raise InputError(
                f"{path}: column {name!r} is not numeric ({series.dtype}); every column except "
                f"the id column must hold one class's probabilities.{hint}"
            )
    all_float32 = all(frame[name].dtype == np.float32 for name in class_names)
    dtype = np.float32 if all_float32 else np.float64
    array = np.empty((len(frame), len(class_names)), dtype=dtype)
    for index, name in enumerate(class_names):
        array[:, index] = frame[name].to_numpy(dtype=dtype, na_value=np.nan)
    return array, class_names, ids


def read_probs(path: Path, *, id_column: str | None = None) -> ProbsFile:
    """Read one ``--probs`` file; ``.npy`` is memory-mapped, tables are read column-wise.

    The values are not validated here; see :func:`validate_probs`.
    """
    import numpy as np

    check_readable(path)
    suffix = check_suffix(path, PROBS_SUFFIXES, "probs")
    if suffix == ".npy":
        array = load_npy(path, mmap=True)
        if array.ndim != 2:
            hint = (
                " For two classes save both columns, e.g. np.column_stack([1 - p, p])."
                if array.ndim == 1
                else ""
            )
            raise InputError(
                f"{path}: probabilities must be a 2-D (rows, classes) array, got shape "
                f"{array.shape}.{hint}"
            )
        if array.dtype.kind not in "biuf":
            raise InputError(f"{path}: unsupported dtype {array.dtype}; save float probabilities.")
        if array.dtype not in (np.float32, np.float64) or not array.dtype.isnative:
            array = np.ascontiguousarray(array, dtype=np.float64)
        return ProbsFile(path=path, array=array, class_names=None, ids=None)
    array, class_names, ids = _probs_from_table(path, id_column)
    return ProbsFile(path=path, array=array, class_names=class_names, ids=ids)


def validate_probs(
    probs: ProbsFile,
    *,
    normalize: bool = False,
    chunk_rows: int | None = None,
    release_pages: bool = False,
) -> np.ndarray:
    """Check every value and row sum (the core's check); return the array to use.

    The first bad row is reported with the file and the class column. With *normalize*, rows
    whose sums are off are rescaled (in a new array of the same dtype); otherwise the input
    array, possibly a memory map, is returned. With *release_pages*, a memory map's pages are
    dropped as they are checked (see :func:`~labelaudit.io.npy.page_releaser`).
    """
    from labelaudit.core.validation import InvalidProbabilitiesError, check_pred_probs

    release = page_releaser(probs.array) if release_pages else None
    try:
        return check_pred_probs(
            probs.array, normalize=normalize, chunk_rows=chunk_rows, release_rows=release
        )
    except InvalidProbabilitiesError as exc:
        raise InputError(_probs_message(probs, exc)) from exc


def _probs_message(probs: ProbsFile, exc: Any) -> str:
    """The ``Error:`` text for a validation failure: file, row, class column, and the fix."""
    path = probs.path
    if exc.reason == "shape":
        return f"{path}: {exc.detail}."
    if exc.reason == "value":
        names = probs.class_names
        column = repr(names[exc.column]) if names is not None else str(exc.column)
        return (
            f"{path}: row {exc.row}, column {column}: {exc.detail}; probabilities must be finite "
            "numbers in [0, 1]."
        )
    if exc.reason == "zero":
        return f"{path}: row {exc.row}: all probabilities are 0; cannot normalise it."
    return (
        f"{path}: row {exc.row}: {exc.detail}.\nPass --normalize to rescale every row to sum to 1 "
        "(or --multi-label if these are per-class probabilities of label sets)."
    )
