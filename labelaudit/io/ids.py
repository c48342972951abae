"""The ``--id-column``: every row needs an id (README, "Row ids").

An id that is missing (null, NaN, or an empty or blank CSV cell) identifies no row, and two
missing ids cannot be told equal or different, so an input with one is refused, naming the
file, the column and the first such row, rather than compared ("nan vs nan").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from labelaudit.errors import InputError

__all__ = ["check_no_missing_ids", "first_difference", "first_missing_id"]


def first_missing_id(ids: Any) -> int | None:
    """Row (0-based) of the first null, NaN or blank text id in the Arrow array *ids*, or None."""
    import pyarrow as pa
    import pyarrow.compute as pc

    missing = pc.is_null(ids, nan_is_null=True)
    if pa.types.is_string(ids.type) or pa.types.is_large_string(ids.type):
        blank = pc.equal(pc.utf8_trim_whitespace(ids), "")
        missing = pc.or_(missing, pc.fill_null(blank, True))
    if not pc.any(missing).as_py():
        return None
    return int(pc.index(missing, True).as_py())


def first_difference(found: Any, expected: Any) -> tuple[int, Any, Any] | None:
    """``(row, found[row], expected[row])`` at the first row where two equal-length arrays differ.

    ``None`` when they agree. Callers spell both sides as text first (ids, or labels of a
    find-issues output), so that the row they name is the first one a person would call different.
    """
    import numpy as np

    differ = np.asarray(found != expected)
    if not differ.any():
        return None
    row = int(np.argmax(differ))
    return row, found[row], expected[row]


def check_no_missing_ids(found: Sequence[tuple[Any, Any]], id_name: str) -> None:
    """Raise :class:`InputError` at the first input (in *found*'s order) with a missing id.

    *found* holds ``(source, ids)`` pairs, the ids an Arrow array.
    """
    checked: list[int] = []
    for source, ids in found:
        if id(ids) in checked:  # the same column read once for two roles
            continue
        checked.append(id(ids))
        row = first_missing_id(ids)
        if row is not None:
            raise InputError(
                f"{source}: --id-column {id_name!r} has no id at row {row} (empty, null or "
                "NaN); every row needs an id: fill them in, or leave out --id-column."
            )
