"""clean's lossless row copy (labelaudit.io.rowcopy): CSV byte for byte, Parquet/Arrow by schema.

Expectations are built independently of the scanner: from the records the test wrote (CSV), or
from pyarrow's own ``take`` on the input table (Parquet/Arrow).
"""

from __future__ import annotations

import csv
import gzip
import io as stdio
import random
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest

from labelaudit.errors import InputError
from labelaudit.io import csvcopy, rowcopy
from labelaudit.io.rowcopy import RowEdits

NONE = np.zeros(0, dtype=np.int64)

# Each record as its raw cells: the label is the third cell.
HEADER = ["\ufeffid", "amount", "label", "flag", "note"]
ROWS = [
    ["00001", "1.50", "NA", "TRUE", "plain"],
    ["00002", "3", "None", "FALSE", '"a, b"'],
    ["00003", "  7 ", '"cat"', "", '"multi\r\nline ""quoted"""'],
    ["00004", "-0.0", "dog", "True", '"two\nlines"'],
    ["00005", "1e3", "cat", "x", ""],
    ["00006", "0x1F", '"d,og"', "y", '""""'],
]


def records(eol: str, last_eol: bool = True) -> list[bytes]:
    """The header and rows as encoded records, each with its line ending."""
    lines = [",".join(cells) for cells in [HEADER, *ROWS]]
    out = [(line + eol).encode("utf-8") for line in lines]
    if not last_eol:
        out[-1] = lines[-1].encode("utf-8")
    return out


def write(path: Path, chunks: list[bytes]) -> Path:
    path.write_bytes(b"".join(chunks))
    return path


def clean(path: Path, out: Path, edits: RowEdits, label: str = "label") -> None:
    fmt = rowcopy.table_format(path)
    column = rowcopy.read_label_column(path, fmt, label)
    rowcopy.copy_rows(path, fmt, out, edits, column)


@pytest.fixture(params=[1 << 22, 7], ids=["one-block", "7-byte-blocks"])
def block_bytes(request, monkeypatch) -> int:
    """Whole-file blocks, and tiny blocks that split records, quotes and CR LF pairs."""
    monkeypatch.setattr(csvcopy, "BLOCK_BYTES", request.param)
    return request.param


@pytest.mark.parametrize("eol", ["\r\n", "\n"])
@pytest.mark.parametrize("last_eol", [True, False])
def test_csv_remove_keeps_every_other_byte(
    tmp_path: Path, block_bytes: int, eol: str, last_eol: bool
) -> None:
    recs = records(eol, last_eol)
    data = write(tmp_path / "data.csv", recs)
    label = rowcopy.read_label_column(data, rowcopy.table_format(data), "label")
    assert label.n_rows == len(ROWS)
    assert label.text(np.arange(len(ROWS))) == ["NA", "None", "cat", "dog", "cat", "d,og"]
    for drop in ([1, 4], [5], [0, 1, 2, 3, 4, 5], []):
        out = tmp_path / "out.csv"
        clean(data, out, RowEdits(np.array(drop, dtype=np.int64), NONE, [], "label"))
        expected = [recs[0]] + [r for i, r in enumerate(recs[1:]) if i not in drop]
        assert out.read_bytes() == b"".join(expected), drop


@pytest.mark.parametrize("keep_original", [None, "was"])
def test_csv_relabel_changes_only_the_label_cell(
    tmp_path: Path, block_bytes: int, keep_original: str | None
) -> None:
    data = write(tmp_path / "data.csv", records("\r\n"))
    out = tmp_path / "out.csv"
    edits = RowEdits(NONE, np.array([0, 2, 5]), ['x,"y', "NA", "dog"], "label", keep_original)
    clean(data, out, edits)
    cells = [list(c) for c in [HEADER, *ROWS]]
    if keep_original:
        cells[0].append("was")
        for row in cells[1:]:
            row.append(row[2])  # the original cell, bytes and quotes as they were
    cells[1][2] = '"x,""y"'  # needs quoting
    cells[3][2] = '"NA"'  # the original cell was quoted: so is the new one
    cells[6][2] = '"dog"'
    expected = "".join(",".join(row) + "\r\n" for row in cells).encode("utf-8")
    assert out.read_bytes() == expected


def test_csv_blank_lines_are_not_rows_and_are_copied(tmp_path: Path) -> None:
    recs = records("\n")
    recs.insert(3, b"\n")
    data = write(tmp_path / "data.csv", recs)
    out = tmp_path / "out.csv"
    clean(data, out, RowEdits(np.array([2]), NONE, [], "label"))
    assert out.read_bytes() == b"".join(recs[:4] + recs[5:])  # the blank line stays


@pytest.mark.parametrize("name", ["data.tsv", "data.csv.gz"])
def test_tsv_and_compressed_csv(tmp_path: Path, name: str) -> None:
    delimiter = "\t" if name.endswith(".tsv") else ","
    lines = [delimiter.join(["id", "label"]), "007\tNA" if delimiter == "\t" else "007,NA"]
    lines += [delimiter.join([f"{i:03d}", "cat"]) for i in range(5)]
    raw = ("\n".join(lines) + "\n").encode()
    data = tmp_path / name
    data.write_bytes(gzip.compress(raw) if name.endswith(".gz") else raw)
    out = tmp_path / ("out" + "".join(data.suffixes))
    clean(data, out, RowEdits(np.array([0, 3]), NONE, [], "label"))
    written = out.read_bytes()
    written = gzip.decompress(written) if name.endswith(".gz") else written
    kept = [line for i, line in enumerate(lines) if i - 1 not in (0, 3)]
    assert written == ("\n".join(kept) + "\n").encode()


def test_csv_fuzz_against_the_csv_module(tmp_path: Path, monkeypatch) -> None:
    """Random cells written by Python's csv module; kept rows must come out as it wrote them."""
    rng = random.Random(3)
    alphabet = ['"', ",", "\n", "\r\n", "a", "0", " ", "é", "NA"]
    for trial in range(25):
        monkeypatch.setattr(csvcopy, "BLOCK_BYTES", rng.choice([3, 16, 1 << 20]))
        eol = rng.choice(["\n", "\r\n"])
        n = rng.randint(1, 30)
        rows = [
            ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 4))) or "z", f"c{i % 3}"]
            for i in range(n)
        ]
        encoded = []
        for row in [["text", "label"], *rows]:
            buffer = stdio.StringIO()
            csv.writer(buffer, lineterminator=eol).writerow(row)
            encoded.append(buffer.getvalue().encode("utf-8"))
        data = write(tmp_path / "fuzz.csv", encoded)
        drop = sorted(rng.sample(range(n), rng.randint(0, n)))
        out = tmp_path / "out.csv"
        clean(data, out, RowEdits(np.array(drop, dtype=np.int64), NONE, [], "label"))
        expected = [encoded[0]] + [r for i, r in enumerate(encoded[1:]) if i not in drop]
        assert out.read_bytes() == b"".join(expected), (trial, rows, drop)
        # Relabel: the csv module quotes a new label exactly when it needs it, as clean does.
        relabel = sorted(rng.sample(range(n), rng.randint(0, n)))
        new = ["".join(rng.choice(alphabet) for _ in range(3)) or "w" for _ in relabel]
        clean(data, out, RowEdits(NONE, np.array(relabel, dtype=np.int64), new, "label"))
        for row, value in zip(relabel, new, strict=True):
            buffer = stdio.StringIO()
            csv.writer(buffer, lineterminator=eol).writerow([rows[row][0], value])
            encoded[row + 1] = buffer.getvalue().encode("utf-8")
        assert out.read_bytes() == b"".join(encoded), (trial, rows, relabel, new)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'id,label\n1,ca"t\n', "a quote inside an unquoted field"),
        (b'id,label\n1,"cat\n', "a quote is not closed"),
    ],
)
def test_csv_that_cannot_be_copied_exactly_is_refused(
    tmp_path: Path, content: bytes, message: str
) -> None:
    data = tmp_path / "bad.csv"
    data.write_bytes(content)
    out = tmp_path / "out.csv"
    fmt = rowcopy.table_format(data)
    column = rowcopy.LabelColumn(1, ["id", "label"], "label", np.zeros(1, np.int32), ["cat"])
    with pytest.raises(InputError, match=message):
        rowcopy.copy_rows(data, fmt, out, RowEdits(NONE, NONE, [], "label"), column)
    assert not out.exists()


# --- Parquet and Arrow IPC --------------------------------------------------------------------


def arrow_table(n: int = 10) -> pa.Table:
    ids = [9007199254740995 + i if i % 3 else None for i in range(n)]
    table = pa.table(
        {
            "id": pa.array(ids, pa.int64()),
            "price": pa.array([Decimal(f"{i}.50") for i in range(n)], pa.decimal128(5, 2)),
            "label": pa.array(["cat", "dog", "bird"] * (n // 3) + ["cat"] * (n % 3)),
            "kind": pa.array(["a", "b"] * (n // 2)).dictionary_encode(),
            "at": pa.array(range(n), pa.timestamp("ns", tz="Europe/Paris")),
            "code": pa.array([i % 4 for i in range(n)], pa.int8()),
        }
    )
    return table.replace_schema_metadata({"owner": "labelaudit tests", "version": "7"})


def read_back(path: Path) -> pa.Table:
    return pq.read_table(path) if path.suffix == ".parquet" else feather.read_table(path)


@pytest.mark.parametrize("name", ["data.parquet", "data.feather"])
def test_arrow_remove_keeps_schema_metadata_and_values(tmp_path: Path, name: str) -> None:
    table = arrow_table(10)
    data = tmp_path / name
    if name.endswith(".parquet"):
        pq.write_table(table, data, row_group_size=4)
    else:
        feather.write_feather(table, data, chunksize=3)
    original = read_back(data)
    out = tmp_path / ("out" + data.suffix)
    drop = np.array([0, 3, 4, 9])
    clean(data, out, RowEdits(drop, NONE, [], "label"))
    cleaned = read_back(out)
    assert cleaned.schema.equals(original.schema, check_metadata=True)
    assert cleaned.schema.metadata[b"owner"] == b"labelaudit tests"
    kept = np.setdiff1d(np.arange(10), drop)
    assert cleaned.equals(original.take(kept))
    assert cleaned.column("id").to_pylist()[1] == 9007199254740997  # exact, not via float64


@pytest.mark.parametrize("column", ["label", "kind", "code", "price"])
def test_arrow_relabel_changes_only_the_label_column(tmp_path: Path, column: str) -> None:
    table = arrow_table(10)
    data = tmp_path / "data.parquet"
    pq.write_table(table, data, row_group_size=4)
    new = {"label": ["bird", "fish"], "kind": ["b", "zz"], "code": [3, 0], "price": [1, 2]}[column]
    rows = np.array([2, 7])
    out = tmp_path / "out.parquet"
    clean(data, out, RowEdits(NONE, rows, new, column, keep_original="old"), label=column)
    cleaned = pq.read_table(out)
    original = pq.read_table(data)
    expected_schema = original.schema.append(original.schema.field(column).with_name("old"))
    assert cleaned.schema.equals(expected_schema, check_metadata=True)
    assert cleaned.drop_columns([column, "old"]).equals(original.drop_columns([column]))
    assert cleaned.column("old").to_pylist() == original.column(column).to_pylist()
    values = original.column(column).to_pylist()
    for row, value in zip(rows, new, strict=True):
        values[row] = Decimal(value).quantize(Decimal("0.01")) if column == "price" else value
    assert cleaned.column(column).to_pylist() == values


@pytest.mark.parametrize(("column", "value"), [("code", "cat"), ("code", 300), ("code", 1.5)])
def test_arrow_relabel_refuses_a_class_the_column_cannot_hold(
    tmp_path: Path, column: str, value: object
) -> None:
    data = tmp_path / "data.parquet"
    pq.write_table(arrow_table(6), data)
    out = tmp_path / "out.parquet"
    with pytest.raises(InputError, match=r"cannot be stored in the label column's type \(int8\)"):
        clean(data, out, RowEdits(NONE, np.array([1]), [value], column), label=column)
    assert not out.exists()


def test_parquet_to_csv_on_standard_output(tmp_path: Path, capfdbinary) -> None:
    data = tmp_path / "data.parquet"
    pq.write_table(pa.table({"id": ["007", "008"], "label": ["NA", "cat"]}), data)
    clean(data, Path("-"), RowEdits(np.array([1]), NONE, [], "label"))
    assert capfdbinary.readouterr().out == b'"id","label"\n"007","NA"\n'


def test_csv_cannot_become_parquet(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="clean writes CSV DATA as CSV"):
        rowcopy.check_formats(
            rowcopy.table_format(Path("a.csv")),
            rowcopy.table_format(Path("b.parquet")),
            Path("b.parquet"),
        )


def test_csv_relabel_stops_when_the_cell_is_not_the_parsed_label(tmp_path: Path) -> None:
    data = write(tmp_path / "data.csv", records("\n"))
    out = tmp_path / "out.csv"
    checked = RowEdits(NONE, np.array([2]), ["dog"], "label", relabel_old=["cat"])
    clean(data, out, checked)  # row 2's cell is "cat" (quoted): it matches
    assert out.read_bytes().count(b'"dog"') == 1
    wrong = RowEdits(NONE, np.array([2]), ["dog"], "label", relabel_old=["bird"])
    with pytest.raises(InputError, match=r"row 2: the label cell reads 'cat' .* 'bird'"):
        clean(data, tmp_path / "other.csv", wrong)
    assert not (tmp_path / "other.csv").exists()
