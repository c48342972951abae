"""clean_dataset's contract (DESIGN 3.3): exact copies, relabel only to classes, its options."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from labelaudit.core.counting import compute_label_stats
from labelaudit.core.filtering import find_label_issues
from labelaudit.errors import InputError
from labelaudit.pipeline.audit import AuditSources, find_issues
from labelaudit.pipeline.clean import clean_dataset
from labelaudit.pipeline.options import CleanOptions, ResultOptions

HEADER = b"\xef\xbb\xbfid,amount,label,note\r\n"
RECORDS = [
    b"00001,1.50,NA,plain\r\n",
    b'00002,3,None,"a, b"\r\n',
    b'00003,TRUE,"cat","multi\r\nline"\r\n',
    b"00004,-0.0,01,x\r\n",
    b"00005,1e3,cat,\r\n",
]
ISSUES_HEADER = "row,given_label,predicted_label,label_quality\n"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "data.csv"
    path.write_bytes(HEADER + b"".join(RECORDS))
    return path


def issues_file(folder: Path, lines: list[str], header: str = ISSUES_HEADER) -> Path:
    path = folder / "issues.csv"
    path.write_text(header + "".join(line + "\n" for line in lines))
    return path


def test_an_issues_file_with_no_rows_copies_data_unchanged(data: Path, tmp_path: Path) -> None:
    issues = issues_file(tmp_path, [])
    for action in ("remove", "relabel"):
        out = tmp_path / f"{action}.csv"
        document = clean_dataset(data, out, issues, CleanOptions(action))
        assert out.read_bytes() == data.read_bytes()
        assert document["n_changed"] == 0 and document["n_flagged"] == 0


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_every_find_issues_output_with_no_issues_is_accepted(tmp_path: Path, suffix: str) -> None:
    labels = np.array([0, 1, 2, 0, 1, 2] * 5)
    probs = np.eye(3, dtype=np.float32)[labels] * 0.97 + 0.01
    np.save(tmp_path / "p.npy", probs)
    data = tmp_path / "data.csv"
    data.write_text("label,x\n" + "".join(f"{y},0{i}\n" for i, y in enumerate(labels)))
    issues = tmp_path / f"issues{suffix}"
    document, _ = find_issues(AuditSources(data, [tmp_path / "p.npy"]), None, ResultOptions(issues))
    assert document["n_label_issues"] == 0
    out = tmp_path / "out.csv"
    clean_dataset(data, out, issues, CleanOptions("relabel"))
    assert out.read_bytes() == data.read_bytes()


def test_relabel_from_issues_writes_only_existing_classes_in_the_label_cell(
    data: Path, tmp_path: Path
) -> None:
    issues = issues_file(tmp_path, ["3,01,NA,0.1", "0,NA,None,0.2", "2,cat,01,0.3"])
    out = tmp_path / "out.csv"
    relabel = CleanOptions(action="relabel", keep_original="was")
    document = clean_dataset(data, out, issues, relabel)
    expected = [
        HEADER.replace(b"note\r\n", b"note,was\r\n"),
        b"00001,1.50,None,plain,NA\r\n",
        b'00002,3,None,"a, b",None\r\n',
        b'00003,TRUE,"01","multi\r\nline","cat"\r\n',
        b"00004,-0.0,NA,x,01\r\n",
        b"00005,1e3,cat,,cat\r\n",
    ]
    assert out.read_bytes() == b"".join(expected)
    assert document["n_changed"] == 3
    assert {c["class"]: c["n_changed"] for c in document["classes"]} == {
        "NA": 1,
        "None": 0,
        "cat": 1,
        "01": 1,
    }


@pytest.mark.parametrize(
    "predicted", ['"=HYPERLINK(""http://x"",""y"")"', "dog", "1", "+cat", "@SUM(A1)", '""']
)
def test_relabel_to_a_value_that_is_not_a_class_is_refused(
    data: Path, tmp_path: Path, predicted: str
) -> None:
    issues = issues_file(tmp_path, ["1,None,cat,0.5", f"3,01,{predicted},0.1"])
    out = tmp_path / "out.csv"
    with pytest.raises(InputError, match=r"issues.csv: row 3: predicted_label .* is not a class"):
        clean_dataset(data, out, issues, CleanOptions("relabel"))
    assert not out.exists()


def test_issues_of_other_data_are_refused(data: Path, tmp_path: Path) -> None:
    issues = issues_file(tmp_path, ["3,1,cat,0.1"])  # DATA says 01, not 1
    with pytest.raises(InputError, match=r"row 3 has label '01' .* issues file says '1'"):
        clean_dataset(data, tmp_path / "out.csv", issues)


def test_option_misuse_is_refused_before_writing(data: Path, tmp_path: Path) -> None:
    issues = issues_file(tmp_path, ["3,01,cat,0.1"])
    out = tmp_path / "out.csv"
    cases = [
        ({"action": "relabel", "keep_original": "note"}, "already has a column"),
        ({"action": "remove", "keep_original": "was"}, "--action relabel only"),
        ({"action": "relabel", "min_confidence": 0.5}, "pass --probs instead of --issues"),
        ({"action": "relabel", "label_column": "nope"}, "no label column 'nope' to relabel"),
    ]
    for options, message in cases:
        with pytest.raises(InputError, match=message):
            clean_dataset(data, out, issues, CleanOptions(**options))
        assert not out.exists()


def test_min_confidence_from_an_issues_probability_column(data: Path, tmp_path: Path) -> None:
    issues = issues_file(
        tmp_path,
        ["3,01,cat,0.1,0.9", "0,NA,cat,0.1,0.4"],
        header="row,given_label,predicted_label,label_quality,predicted_probability\n",
    )
    out = tmp_path / "out.csv"
    relabel = CleanOptions(action="relabel", min_confidence=0.5)
    document = clean_dataset(data, out, issues, relabel)
    expected = [HEADER, *RECORDS]
    expected[4] = b"00004,-0.0,cat,x\r\n"
    assert out.read_bytes() == b"".join(expected)
    assert document["n_changed"] == 1 and document["n_below_min_confidence"] == 1


def noisy_dataset(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    true = rng.integers(0, 3, n)
    labels = np.where(rng.random(n) < 0.2, (true + 1) % 3, true)
    logits = rng.normal(size=(n, 3))
    logits[np.arange(n), true] += rng.uniform(0.5, 4, n)
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return labels, probs.astype(np.float32)


def test_audit_relabel_with_min_confidence_on_parquet_keeps_schema(tmp_path: Path) -> None:
    labels, probs = noisy_dataset(300)
    classes = np.array(["cat", "dog", "bird"])
    ids = pa.array([9007199254740995 + i if i % 7 else None for i in range(300)], pa.int64())
    table = pa.table(
        {
            "id": ids,
            "price": pa.array([Decimal("1.25")] * 300, pa.decimal128(5, 2)),
            "label": pa.array(classes[labels]).dictionary_encode(),
        }
    ).replace_schema_metadata({"source": "survey"})
    data = tmp_path / "data.parquet"
    pq.write_table(table, data, row_group_size=64)
    np.save(tmp_path / "p.npy", probs)
    sources = AuditSources(data, [tmp_path / "p.npy"], classes="cat,dog,bird")
    out = tmp_path / "out.parquet"
    document = clean_dataset(
        data,
        out,
        sources,
        CleanOptions(action="relabel", min_confidence=0.6, keep_original="given"),
    )
    mask = find_label_issues(labels, probs)
    predicted = compute_label_stats(labels, probs).predicted_labels
    confident = probs[np.arange(300), predicted] >= 0.6
    relabel = mask & confident & (predicted != labels)
    cleaned = pq.read_table(out)
    original = pq.read_table(data)
    assert cleaned.schema.equals(
        original.schema.append(original.schema.field("label").with_name("given")),
        check_metadata=True,
    )
    assert cleaned.select(["id", "price"]).equals(original.select(["id", "price"]))
    expected = np.where(relabel, classes[predicted], classes[labels])
    assert cleaned.column("label").to_pylist() == expected.tolist()
    assert cleaned.column("given").to_pylist() == classes[labels].tolist()
    assert document["n_changed"] == int(relabel.sum()) > 0
    assert document["n_below_min_confidence"] == int((mask & ~confident).sum()) > 0


def test_audit_remove_on_csv_copies_kept_rows_exactly(tmp_path: Path) -> None:
    labels, probs = noisy_dataset(120, seed=1)
    names = np.array(["cat", "dog", "bird"])  # labels read as text (NA, 01) are the reading side's
    lines = [
        f'{i:05d},"{i}, x",{names[y]},NA,{i % 3}.50\r\n'.encode() for i, y in enumerate(labels)
    ]
    data = tmp_path / "data.csv"
    data.write_bytes(b"id,text,label,extra,amount\r\n" + b"".join(lines))
    np.save(tmp_path / "p.npy", probs)
    out = tmp_path / "out.csv"
    sources = AuditSources(data, [tmp_path / "p.npy"], classes="cat,dog,bird")
    clean_dataset(data, out, sources)
    mask = find_label_issues(labels, probs)
    kept = [line for line, flagged in zip(lines, mask, strict=True) if not flagged]
    assert out.read_bytes() == b"id,text,label,extra,amount\r\n" + b"".join(kept)
    assert len(pd.read_csv(out)) == int((~mask).sum())
