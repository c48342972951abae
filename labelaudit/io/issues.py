"""Issues files: a ``find-issues`` output read back by ``clean --issues``.

Read with pyarrow: in a CSV, ``given_label`` and ``predicted_label`` are read as text (``01``,
``NA`` and ``TRUE`` are labels like any other), so they compare with DATA's label cells by value.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labelaudit.errors import InputError, first_line, listing
from labelaudit.io.paths import check_readable, check_suffix
from labelaudit.io.tables import TABLE_SUFFIXES

if TYPE_CHECKING:
    import numpy as np

LABEL_COLUMNS = ("given_label", "predicted_label")
CONFIDENCE_COLUMN = "predicted_probability"
"""An optional column: the probability of the predicted class (used by ``--min-confidence``)."""


@dataclass(frozen=True)
class IssuesFile:
    """The flagged rows of a ``find-issues`` output, as reused by ``clean --issues``.

    ``given_labels``, ``predicted_labels`` and ``confidence`` follow the order of ``rows`` (the
    file's), and are ``None`` when the file has no such column.
    """

    path: Path
    rows: np.ndarray
    given_labels: np.ndarray | None
    predicted_labels: np.ndarray | None
    confidence: np.ndarray | None = None


def _read(path: Path) -> Any:
    """The issues file as a pyarrow Table (label columns as text for CSV)."""
    import pyarrow as pa

    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            import pyarrow.parquet as pq

            return pq.read_table(path)
        import pyarrow.csv as pacsv

        names = pacsv.open_csv(path).schema.names
        convert = pacsv.ConvertOptions(
            column_types={name: pa.string() for name in LABEL_COLUMNS if name in names},
            strings_can_be_null=False,
        )
        return pacsv.read_csv(
            path,
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=convert,
        )
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise InputError(f"{path}: not a readable issues file ({first_line(exc)}).") from exc


def issues_columns(path: Path) -> list[str]:
    """The column names of an issues file, without reading its rows."""
    import pyarrow as pa

    check_readable(path)
    check_suffix(path, TABLE_SUFFIXES, "issues")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            import pyarrow.parquet as pq

            return [str(name) for name in pq.read_schema(path).names]
        import pyarrow.csv as pacsv

        return [str(name) for name in pacsv.open_csv(path).schema.names]
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise InputError(f"{path}: not a readable issues file ({first_line(exc)}).") from exc


def read_issues(path: Path, n_rows: int, *, need_predicted: bool) -> IssuesFile:
    """Read a find-issues output: the flagged ``row`` positions (and labels), checked against DATA.

    An ``--all-rows`` output is accepted: only rows with ``is_label_issue`` true are used. A file
    with no rows (no label issues found) is accepted too: nothing is flagged.
    """
    import numpy as np
    import pyarrow as pa

    check_readable(path)
    check_suffix(path, TABLE_SUFFIXES, "issues")
    table = _read(path)
    columns = [str(name) for name in table.column_names if name != "__index_level_0__"]
    if "row" not in columns:
        raise InputError(
            f"{path}: no 'row' column, so it is not a find-issues output; columns are "
            f"{listing(columns)}."
        )
    if need_predicted and "predicted_label" not in columns:
        raise InputError(f"{path}: no 'predicted_label' column, which --action relabel needs.")
    if table.num_rows and "is_label_issue" in columns:
        flags = table.column("is_label_issue")
        if not pa.types.is_boolean(flags.type):
            raise InputError(f"{path}: column 'is_label_issue' must hold true/false values.")
        table = table.filter(flags.fill_null(False))
    if table.num_rows == 0:
        empty = np.zeros(0, dtype=np.int64)
        nothing = _objects([])
        return IssuesFile(path, empty, nothing, nothing if need_predicted else None, None)
    positions = _positions(path, table.column("row"), n_rows)
    predicted = None
    if need_predicted:
        values = table.column("predicted_label")
        if values.null_count:
            raise InputError(f"{path}: column 'predicted_label' has missing values.")
        predicted = _objects(values.to_pylist())
    given = _objects(table.column("given_label").to_pylist()) if "given_label" in columns else None
    confidence = None
    if CONFIDENCE_COLUMN in columns:
        confidence = np.asarray(
            table.column(CONFIDENCE_COLUMN).to_numpy(zero_copy_only=False), dtype=np.float64
        )
    return IssuesFile(path, positions, given, predicted, confidence)


def _objects(values: list[Any]) -> np.ndarray:
    """A 1-d object array of *values* (kept as Python values: text stays text)."""
    import numpy as np

    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _positions(path: Path, rows: Any, n_rows: int) -> np.ndarray:
    """The ``row`` column as int64 positions, checked to be distinct rows of DATA."""
    import numpy as np
    import pyarrow as pa

    if not pa.types.is_integer(rows.type) or rows.null_count:
        raise InputError(f"{path}: column 'row' must hold integer row positions, not {rows.type}.")
    positions = np.asarray(rows.to_numpy(), dtype=np.int64)
    outside = (positions < 0) | (positions >= n_rows)
    if outside.any():
        bad = int(positions[np.argmax(outside)])
        raise InputError(
            f"{path}: row {bad} is outside the data's rows 0..{n_rows - 1}; was it made for "
            "other data?"
        )
    if len(np.unique(positions)) != len(positions):
        raise InputError(f"{path}: column 'row' lists some rows twice.")
    return positions
