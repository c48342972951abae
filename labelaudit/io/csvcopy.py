"""clean's byte-for-byte CSV row copy: records found by a quote-aware scan, copied as bytes.

The scan is vectorised with numpy over blocks of a few MB: a byte is inside a quoted field when
an odd number of quote characters precede it in its record (RFC 4180: quotes open a field and are
doubled inside it), so a line feed (or a lone carriage return) outside quotes ends a record.
Every kept record is written as the very bytes it had in DATA (quotes, padding, ``NA``, number
spelling, line endings, embedded delimiters and newlines). Relabelling replaces only the bytes of
the label cell; ``--keep-original`` appends a copy of the original cell's bytes. Blank lines are
not rows (as for pyarrow and pandas) and are copied as they are.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from labelaudit.errors import InputError
from labelaudit.io.rowcopy import RowEdits

if TYPE_CHECKING:
    from pathlib import Path

    import numpy as np

    from labelaudit.io.rowcopy import LabelColumn, TableFormat

BLOCK_BYTES = 1 << 20
"""Bytes read per block (a block grows only to hold a single longer record)."""

QUOTE, LF, CR = 0x22, 0x0A, 0x0D


@dataclass(frozen=True)
class CsvEdits(RowEdits):
    """:class:`~labelaudit.io.rowcopy.RowEdits` as the byte scan applies them (positions are
    0-based data rows: the header is not a row); ``relabel_old`` is checked against the cell the
    scan replaces, so a scan that disagrees with the CSV parser stops.

    Attributes
    ----------
    relabel_cells
        The new label cell text of each relabelled row (unquoted).
    label_index
        Position of the label column among the fields (``None`` when no cell is touched).
    """

    relabel_cells: Sequence[str] = ()
    label_index: int | None = None

    @property
    def touches_cells(self) -> bool:
        """Whether any record needs more than a whole-record copy."""
        return bool(len(self.relabel_rows)) or self.keep_original is not None


@dataclass
class _Block:
    """Whole records of one block: ``buf[starts[i]:stops[i]]``, content ending at ``cends[i]``."""

    data: bytes
    buf: np.ndarray
    starts: np.ndarray
    stops: np.ndarray
    cends: np.ndarray
    delims: np.ndarray


def header_names(record: bytes, delimiter: str) -> list[str]:
    """Column names of a header record (a UTF-8 byte-order mark is not part of the first name)."""
    text = record.decode("utf-8-sig", errors="replace").rstrip("\r\n")
    return next(csv.reader([text], delimiter=delimiter), [])


@functools.lru_cache(maxsize=4096)
def csv_cell(text: str, delimiter: str, quoted: bool) -> bytes:
    """One CSV cell for *text*: quoted when the original was, or when *text* needs it."""
    if quoted or any(c in text for c in (delimiter, '"', "\n", "\r")):
        text = '"' + text.replace('"', '""') + '"'
    return text.encode("utf-8")


def iter_blocks(read: Callable[[int], bytes], delimiter: int, where: str) -> Iterator[_Block]:
    """Blocks of whole records read with *read*; raise on a quote the scan cannot place."""
    import numpy as np

    carry = b""
    while True:
        chunk = read(BLOCK_BYTES)
        eof = not chunk
        data = carry + chunk if carry else bytes(chunk)
        if not data:
            return
        buf = np.frombuffer(data, dtype=np.uint8)
        quotes = buf == QUOTE
        inside = (np.cumsum(quotes, dtype=np.uint8) & 1).astype(bool)
        _check_quotes(buf, quotes & inside, delimiter, where)
        ends = _record_ends(buf, inside, eof)
        if eof and (ends.size == 0 or ends[-1] != len(buf)):
            if inside[-1]:
                raise InputError(f"{where}: ends inside a quoted field (a quote is not closed).")
            ends = np.append(ends, len(buf))
        if ends.size == 0:
            carry = data
            continue
        yield _block(data, buf, ends, np.flatnonzero((buf == delimiter) & ~inside))
        carry = data[int(ends[-1]) :]
        if eof:
            return


def _record_ends(buf: np.ndarray, inside: np.ndarray, eof: bool) -> np.ndarray:
    """Exclusive ends of the records: after each LF, or lone CR, outside quotes."""
    import numpy as np

    line_feed = (buf == LF) & ~inside
    lone_cr = (buf == CR) & ~inside
    lone_cr[:-1] &= buf[1:] != LF
    if not eof and len(buf):
        lone_cr[-1] = False  # a CR LF may be split across blocks: decide with the next block
    return np.flatnonzero(line_feed | lone_cr) + 1


def _block(data: bytes, buf: np.ndarray, ends: np.ndarray, delims: np.ndarray) -> _Block:
    import numpy as np

    starts = np.concatenate(([0], ends[:-1])).astype(np.int64)
    stops = ends.astype(np.int64)
    last = buf[stops - 1]
    cends = stops - ((last == LF) | (last == CR))
    crlf = (last == LF) & (cends > starts) & (buf[np.maximum(cends - 1, 0)] == CR)
    cends = cends - crlf
    return _Block(data, buf, starts, stops, cends, delims)


def _check_quotes(buf: np.ndarray, opening: np.ndarray, delimiter: int, where: str) -> None:
    """Refuse a quote that opens a quoted region anywhere but at the start of a field."""
    import numpy as np

    positions = np.flatnonzero(opening)
    positions = positions[positions > 0]
    before = buf[positions - 1]
    allowed = (before == delimiter) | (before == LF) | (before == CR) | (before == QUOTE)
    if not allowed.all():
        at = int(positions[np.argmax(~allowed)])
        line = int(np.count_nonzero(buf[:at] == LF))
        raise InputError(
            f"{where}: a quote inside an unquoted field (near line {line + 1} of this block); "
            "clean copies CSV rows byte for byte and needs standard CSV quoting (RFC 4180)."
        )


def copy_csv(
    read: Callable[[int], bytes],
    write: Callable[[bytes], Any],
    edits: CsvEdits,
    *,
    delimiter: str,
    where: str,
) -> tuple[int, list[str]]:
    """Copy the CSV read by *read* to *write* with *edits*; the number of data rows and the header.

    Raises
    ------
    InputError
        On a quote the scan cannot place, or a row with too few fields for the label column.
    """
    import numpy as np

    delim = ord(delimiter)
    row = -2  # the last row numbered: the header is row -1, then data rows 0, 1, ...
    header: list[str] = []
    for block in iter_blocks(read, delim, where):
        is_row = block.cends > block.starts
        rows = row + np.cumsum(is_row)
        if row == -2 and is_row.any():
            first = int(np.argmax(is_row))
            header = header_names(block.data[block.starts[first] : block.stops[first]], delimiter)
        row = int(rows[-1]) if len(rows) else row
        keep = ~is_row | ~_in_sorted(rows, edits.drop)
        if edits.keep_original is None and keep.all() and len(edits.relabel_rows):
            _write_relabelled(block, rows, is_row, edits, delimiter, where, write)
        elif edits.touches_cells:
            write(_edited_bytes(block, rows, is_row, keep, edits, delimiter, where))
        else:
            _write_runs(block, keep, write)
    return max(row + 1, 0), header


def _in_sorted(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """Whether each of *values* is in the sorted array *sorted_set*."""
    import numpy as np

    if not len(sorted_set):
        return np.zeros(len(values), dtype=bool)
    at = np.searchsorted(sorted_set, values)
    at = np.minimum(at, len(sorted_set) - 1)
    return sorted_set[at] == values


def _write_runs(block: _Block, keep: np.ndarray, write: Callable[[bytes], Any]) -> None:
    """Write the kept records as the fewest slices of the block."""
    import numpy as np

    kept = np.flatnonzero(keep)
    if not len(kept):
        return
    breaks = np.flatnonzero(np.diff(kept) != 1)
    firsts = np.concatenate(([kept[0]], kept[breaks + 1]))
    lasts = np.concatenate((kept[breaks], [kept[-1]]))
    view = memoryview(block.data)
    for first, last in zip(block.starts[firsts].tolist(), block.stops[lasts].tolist(), strict=True):
        write(view[first:last])


def _label_spans(block: _Block, is_row: np.ndarray, index: int, rows: np.ndarray, where: str):
    """Start and end of field *index* in every record (empty at the start of blank lines)."""
    import numpy as np

    delims = block.delims
    first = np.searchsorted(delims, block.starts)
    count = np.searchsorted(delims, block.cends) - first
    short = is_row & (count < index)
    if short.any():
        at = int(np.argmax(short))
        raise InputError(f"{where}: row {int(rows[at])} has fewer fields than the header.")
    padded = np.append(delims, -1)  # any index past the delimiters lands on -1 (never used)
    last = len(padded) - 1
    if index == 0:
        field_start = block.starts.copy()
    else:
        field_start = padded[np.minimum(first + index - 1, last)] + 1
    field_end = np.where(count > index, padded[np.minimum(first + index, last)], block.cends)
    field_start = np.where(is_row, field_start, block.starts)
    field_end = np.where(is_row, field_end, block.starts)
    return field_start.astype(np.int64), field_end.astype(np.int64)


def _edited_bytes(
    block: _Block,
    rows: np.ndarray,
    is_row: np.ndarray,
    keep: np.ndarray,
    edits: CsvEdits,
    delimiter: str,
    where: str,
) -> bytes:
    """The block's kept records with relabelled label cells and the appended original cells."""
    import numpy as np

    assert edits.label_index is not None
    starts, stops, cends = block.starts, block.stops, block.cends
    field_start, field_end = _label_spans(block, is_row, edits.label_index, rows, where)
    extra = [delimiter.encode("utf-8")]
    header = is_row & (rows == -1)
    if edits.keep_original is not None and header.any():
        extra.append(csv_cell(edits.keep_original, delimiter, quoted=False))
    seg_start = np.stack([starts, field_start, field_end, field_start, field_start, cends], axis=1)
    seg_len = np.stack(
        [
            field_start - starts,
            field_end - field_start,
            cends - field_end,
            np.zeros_like(starts),
            np.zeros_like(starts),
            stops - cends,
        ],
        axis=1,
    )
    base = len(block.buf)
    if edits.keep_original is not None:
        seg_start[is_row, 3] = base
        seg_len[is_row, 3] = 1
        seg_len[is_row, 4] = field_end[is_row] - field_start[is_row]
        if header.any():
            seg_start[header, 4] = base + 1
            seg_len[header, 4] = len(extra[1])
    offset = base + sum(len(part) for part in extra)
    for record, at in _relabelled_records(rows, is_row, edits):
        start, end = int(field_start[record]), int(field_end[record])
        _check_cell(block.data[start:end], edits, at, where)
        text = edits.relabel_cells[at]
        cell = csv_cell(text, delimiter, quoted=bool(block.buf[start] == QUOTE))
        seg_start[record, 1], seg_len[record, 1] = offset, len(cell)
        extra.append(cell)
        offset += len(cell)
    big = np.concatenate((block.buf, np.frombuffer(b"".join(extra), dtype=np.uint8)))
    return _gather(big, seg_start[keep].ravel(), seg_len[keep].ravel())


def _write_relabelled(
    block: _Block,
    rows: np.ndarray,
    is_row: np.ndarray,
    edits: CsvEdits,
    delimiter: str,
    where: str,
    write: Callable[[bytes], Any],
) -> None:
    """Write the whole block, replacing only the label cells of its relabelled rows."""
    assert edits.label_index is not None
    relabelled = list(_relabelled_records(rows, is_row, edits))
    view = memoryview(block.data)[: int(block.stops[-1])]  # not the partial record after it
    if not relabelled:
        write(view)
        return
    field_start, field_end = _label_spans(block, is_row, edits.label_index, rows, where)
    done = 0
    for record, at in relabelled:
        start, end = int(field_start[record]), int(field_end[record])
        _check_cell(block.data[start:end], edits, at, where)
        write(view[done:start])
        write(csv_cell(edits.relabel_cells[at], delimiter, quoted=block.data[start] == QUOTE))
        done = end
    write(view[done:])


def _relabelled_records(
    rows: np.ndarray, is_row: np.ndarray, edits: CsvEdits
) -> Iterator[tuple[int, int]]:
    """``(record index in the block, index in the edits)`` of the block's relabelled rows."""
    import numpy as np

    row_records = np.flatnonzero(is_row)
    if not len(row_records):
        return
    block_rows = rows[row_records]
    low = int(np.searchsorted(edits.relabel_rows, block_rows[0]))
    high = int(np.searchsorted(edits.relabel_rows, block_rows[-1], side="right"))
    for at in range(low, high):
        row = int(edits.relabel_rows[at])
        yield int(row_records[row - int(block_rows[0])]), at


def _check_cell(raw: bytes, edits: CsvEdits, at: int, where: str) -> None:
    """Stop when the cell about to be replaced is not the label the CSV parser read there."""
    if not edits.relabel_old:
        return
    expected = edits.relabel_old[at]
    text = raw.decode("utf-8", errors="replace")
    if text.startswith('"') and text.endswith('"') and len(text) >= 2:
        text = text[1:-1].replace('""', '"')
    if expected is not None and text != expected:
        raise InputError(
            f"{where}: row {int(edits.relabel_rows[at])}: the label cell reads {text[:40]!r} to "
            f"the byte scan but {expected[:40]!r} to the CSV parser; clean needs standard CSV "
            "(RFC 4180) to change exactly that cell."
        )


def _gather(big: np.ndarray, seg_start: np.ndarray, seg_len: np.ndarray) -> bytes:
    """The bytes of the segments ``big[start:start+len]``, concatenated in order."""
    import numpy as np

    total = int(seg_len.sum())
    if not total:
        return b""
    dtype = np.int32 if len(big) < 2**31 - 1 and total < 2**31 - 1 else np.int64
    seg_len = seg_len.astype(dtype)
    offsets = np.cumsum(seg_len, dtype=dtype) - seg_len
    index = np.repeat((seg_start - offsets).astype(dtype), seg_len)
    index += np.arange(total, dtype=dtype)
    return big[index].tobytes()


def copy_csv_file(
    data: Path,
    data_format: TableFormat,
    target: Path | None,
    out_format: TableFormat,
    edits: RowEdits,
    label: LabelColumn,
) -> None:
    """Copy CSV DATA to *target* (a path, or standard output when ``None``) with *edits*."""
    import contextlib
    import dataclasses

    import pyarrow as pa

    from labelaudit.io.rowcopy import value_text

    index = label.columns.index(label.name) if label.name in label.columns else None
    csv_edits = CsvEdits(
        **{name.name: getattr(edits, name.name) for name in dataclasses.fields(edits)},
        relabel_cells=[value_text(v) for v in edits.relabel_values],
        label_index=index,
    )
    with contextlib.ExitStack() as stack:
        compression = data_format.compression
        source = stack.enter_context(pa.input_stream(str(data), compression=compression))
        if target is None:
            import sys

            sink: Any = sys.stdout.buffer
        elif out_format.compression is not None:
            codec = out_format.compression
            sink = stack.enter_context(pa.CompressedOutputStream(str(target), codec))
        else:
            sink = stack.enter_context(open(target, "wb"))
        n_rows, _ = copy_csv(
            source.read, sink.write, csv_edits, delimiter=data_format.delimiter, where=str(data)
        )
    if n_rows != label.n_rows:
        raise InputError(
            f"{data}: {n_rows} records found by the byte scan but {label.n_rows} rows by the CSV "
            "parser; clean needs standard CSV quoting (RFC 4180) to copy rows exactly."
        )
