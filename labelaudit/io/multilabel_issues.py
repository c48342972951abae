"""A ``find-issues --multi-label`` output read back by ``clean --multi-label --issues``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labelaudit.errors import InputError, listing
from labelaudit.io.multilabel import (
    LabelSource,
    label_sets_to_indicator,
    read_arrow_table,
    table_column_names,
)
from labelaudit.io.paths import check_readable, check_suffix

if TYPE_CHECKING:
    import numpy as np

LIST_COLUMNS = ("given_labels", "predicted_labels", "issue_classes")


@dataclass(frozen=True)
class MultilabelIssues:
    """The flagged rows of a multi-label find-issues output, and its label-set columns.

    ``columns`` maps each of :data:`LIST_COLUMNS` the file has to its Arrow column (flagged
    rows only, in the order of ``rows``).
    """

    path: Path
    rows: np.ndarray
    columns: dict[str, Any]
    separator: str

    def indicator(self, name: str, classes: list[str]) -> np.ndarray | None:
        """Column *name* as an (n, K) indicator over *classes* (``None`` if the file lacks it)."""
        if name not in self.columns:
            return None
        source = LabelSource(self.path, name, self.separator)
        return label_sets_to_indicator(self.columns[name], classes, source)[0].astype(bool)


def read_multilabel_issues(path: Path, n_rows: int, separator: str) -> MultilabelIssues:
    """Read the ``row`` positions (rows with ``is_label_issue`` true, if that column exists)."""
    import numpy as np
    import pyarrow as pa

    check_readable(path)
    check_suffix(path, (".parquet", ".csv", ".arrow", ".feather"), "issues")
    names = table_column_names(path)
    if "row" not in names:
        raise InputError(
            f"{path}: no 'row' column, so it is not a find-issues output; columns are "
            f"{listing(names)}."
        )
    lists = [name for name in LIST_COLUMNS if name in names]
    wanted = ["row", *lists, *(["is_label_issue"] if "is_label_issue" in names else [])]
    table = read_arrow_table(path, wanted, text_columns=lists)
    if "is_label_issue" in wanted:
        flags = table.column("is_label_issue")
        if not pa.types.is_boolean(flags.type):
            raise InputError(f"{path}: column 'is_label_issue' must hold true/false values.")
        table = table.filter(flags.fill_null(False))
    if not pa.types.is_integer(table.schema.field("row").type):
        raise InputError(f"{path}: column 'row' must hold integer row positions.")
    rows = table.column("row").to_numpy().astype(np.int64)
    outside = (rows < 0) | (rows >= n_rows)
    if outside.any():
        raise InputError(
            f"{path}: row {int(rows[np.argmax(outside)])} is outside the data's rows "
            f"0..{n_rows - 1}; was it made for other data?"
        )
    if np.unique(rows).shape[0] != rows.shape[0]:
        raise InputError(f"{path}: column 'row' lists some rows twice.")
    columns = {name: table.column(name).combine_chunks() for name in lists}
    return MultilabelIssues(path=path, rows=rows, columns=columns, separator=separator)
