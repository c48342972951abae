"""Every source of DESIGN.md 3.1 through the CLI: the same flags, scores and health as ``.npy``.

One small noisy dataset is written as ``.npy`` (the reference) and in every other source kind;
find-issues, score and health must give exactly the ``.npy`` results from each. Bad sources exit
2 with one ``Error:`` line and write nothing.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from labelaudit.cli import app

CLASSES = ["cat", "dog", "bird"]
N_ROWS = 240


@dataclass
class Data:
    folder: Path
    labels: np.ndarray
    probs: np.ndarray

    def path(self, name: str) -> str:
        return str(self.folder / name)

    def table(
        self, *, prefix: str = "", with_ids: bool = True, dtype: type = np.float32
    ) -> pa.Table:
        """Labels (class names), ids and one float32 column per class, in one table.

        Text formats hold float64 (a float32 written as text reads back as another float64).
        """
        columns: dict[str, pa.Array] = {}
        if with_ids:
            columns["id"] = pa.array([f"r{i:04d}" for i in range(N_ROWS)])
        columns["label"] = pa.array(np.array(CLASSES)[self.labels])
        for k, name in enumerate(CLASSES):
            columns[prefix + name] = pa.array(self.probs[:, k].astype(dtype))
        return pa.table(columns)


@pytest.fixture
def data(tmp_path: Path) -> Data:
    rng = np.random.default_rng(3)
    true = rng.integers(0, 3, N_ROWS)
    labels = true.copy()
    flipped = rng.random(N_ROWS) < 0.15
    labels[flipped] = (true[flipped] + 1) % 3
    logits = rng.normal(size=(N_ROWS, 3))
    logits[np.arange(N_ROWS), true] += 2.0
    probs = np.exp(logits)
    probs = (probs / probs.sum(axis=1, keepdims=True)).astype(np.float32)
    found = Data(tmp_path, labels, probs)
    np.save(tmp_path / "y.npy", np.array(CLASSES)[labels])
    np.save(tmp_path / "p.npy", probs)
    np.save(tmp_path / "p64.npy", probs.astype(np.float64))
    return found


def invoke(*args: str, stdin: bytes | None = None) -> object:
    return CliRunner().invoke(app, list(args), input=stdin)


def audit_json(command: str, labels: str, *extra: str, stdin: bytes | None = None) -> dict:
    result = invoke(command, "--labels", labels, *extra, "--json", stdin=stdin)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


TEXT_FORMATS = ("csv", "tsv", "csv.gz", "stdin-csv")


def reference(data: Data, command: str, kind: str = "parquet") -> dict:
    """The ``.npy`` result, with the class names the tables use (float64 for text formats)."""
    probs = "p64.npy" if kind in TEXT_FORMATS else "p.npy"
    return audit_json(
        command, data.path("y.npy"), "--probs", data.path(probs), "--classes", ",".join(CLASSES)
    )


def same_result(document: dict, expected: dict) -> None:
    """Everything but the output path and the id column is the same."""
    for doc in (document, expected):
        doc.pop("output", None)
        for row in doc.get("issues", []) + doc.get("lowest", []):
            row.pop("id", None)
    assert document == expected


def write_dataset(data: Data, folder: Path, parts: int = 4, *, hive: bool = False) -> Path:
    table = data.table()
    bounds = np.linspace(0, N_ROWS, parts + 1).astype(int)
    for index in range(parts):
        part = table.slice(bounds[index], bounds[index + 1] - bounds[index])
        target = folder / (f"batch={index:02d}" if hive else "") / f"part-{index:03d}.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(part, target)
    return folder


SAME_TABLE_FORMATS = ["parquet", "feather", "arrow", "csv", "tsv", "csv.gz", "dataset", "glob"]


def write_format(data: Data, kind: str) -> str:
    table = data.table(dtype=np.float64 if kind in TEXT_FORMATS else np.float32)
    if kind == "parquet":
        pq.write_table(table, data.path("t.parquet"))
        return data.path("t.parquet")
    if kind in ("feather", "arrow"):
        feather.write_feather(table, data.path(f"t.{kind}"))
        return data.path(f"t.{kind}")
    if kind in ("csv", "tsv"):
        options = pacsv.WriteOptions(delimiter="\t" if kind == "tsv" else ",")
        pacsv.write_csv(table, data.path(f"t.{kind}"), options)
        return data.path(f"t.{kind}")
    if kind == "csv.gz":
        sink = pa.BufferOutputStream()
        pacsv.write_csv(table, sink)
        Path(data.path("t.csv.gz")).write_bytes(gzip.compress(sink.getvalue().to_pybytes()))
        return data.path("t.csv.gz")
    folder = write_dataset(data, data.folder / "ds", hive=True)
    return str(folder) if kind == "dataset" else f"{folder}/*/*.parquet"


@pytest.mark.parametrize("kind", SAME_TABLE_FORMATS)
@pytest.mark.parametrize("command", ["find-issues", "score", "health"])
def test_same_table_in_every_format_gives_the_npy_result(
    data: Data, kind: str, command: str
) -> None:
    source = write_format(data, kind)
    document = audit_json(command, source, "--probs", source, "--id-column", "id")
    same_result(document, reference(data, command, kind))


def test_prob_columns_glob_names_the_classes(data: Data) -> None:
    pq.write_table(data.table(prefix="prob_"), data.path("t.parquet"))
    document = audit_json("find-issues", data.path("t.parquet"), "--prob-columns", "prob_*")
    same_result(document, reference(data, "find-issues"))


def test_separate_label_and_probs_tables_match_npy(data: Data) -> None:
    table = data.table()
    pq.write_table(table.select(["id", "label"]), data.path("y.parquet"))
    pq.write_table(table.select(["id", *CLASSES]), data.path("p.parquet"))
    document = audit_json(
        "find-issues",
        data.path("y.parquet"),
        "--probs",
        data.path("p.parquet"),
        "--id-column",
        "id",
    )
    same_result(document, reference(data, "find-issues"))
    assert document["issues"] and "id" not in document["issues"][0]  # popped: it was there


def test_ids_are_written_to_the_output(data: Data) -> None:
    source = write_format(data, "parquet")
    out = data.path("issues.parquet")
    result = invoke(
        "find-issues", "--labels", source, "--probs", source, "--id-column", "id", "-o", out
    )
    assert result.exit_code == 0, result.output
    written = pq.read_table(out)
    rows = written.column("row").to_numpy()
    assert written.column("id").to_pylist() == [f"r{r:04d}" for r in rows]
    assert written.column_names[:3] == ["row", "id", "given_label"]


@pytest.mark.parametrize("kind", ["csv", "arrow"])
def test_stdin_is_one_table_for_labels_and_probs(data: Data, kind: str) -> None:
    table = data.table(dtype=np.float64 if kind == "csv" else np.float32)
    sink = pa.BufferOutputStream()
    if kind == "csv":
        pacsv.write_csv(table, sink)
    else:
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table, max_chunksize=50)
    stdin = sink.getvalue().to_pybytes()
    document = audit_json("find-issues", "-", "--probs", "-", "--id-column", "id", stdin=stdin)
    same_result(document, reference(data, "find-issues"))


def test_stdin_labels_with_npy_probs(data: Data) -> None:
    stdin = ("label\n" + "\n".join(np.array(CLASSES)[data.labels]) + "\n").encode()
    document = audit_json(
        "find-issues",
        "-",
        "--probs",
        data.path("p.npy"),
        "--classes",
        ",".join(CLASSES),
        stdin=stdin,
    )
    same_result(document, reference(data, "find-issues"))


# --- bad sources: exit 2, one Error: line, nothing written -------------------------------------


def expect_error(args: list[str], message: str, stdin: bytes | None = None) -> None:
    result = invoke(*args, stdin=stdin)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("Error:") and len(lines) <= 2, result.stderr
    assert message in result.stderr, result.stderr


def test_glob_matching_nothing(data: Data) -> None:
    out = data.path("o.parquet")
    expect_error(
        [
            "find-issues",
            "--labels",
            data.path("none/*.parquet"),
            "--probs",
            data.path("p.npy"),
            "-o",
            out,
        ],
        "no file matches this pattern",
    )
    assert not Path(out).exists()


def test_folder_without_parquet(data: Data) -> None:
    (data.folder / "empty").mkdir()
    (data.folder / "empty" / "notes.txt").write_text("x")
    expect_error(
        ["find-issues", "--labels", data.path("empty"), "--probs", data.path("p.npy")],
        "is a folder with no .parquet file",
    )


def test_mismatched_schemas_across_partitions(data: Data) -> None:
    folder = write_dataset(data, data.folder / "ds")
    part = pq.read_table(folder / "part-002.parquet")
    part = part.set_column(2, "cat", part.column("cat").cast(pa.float64()))
    pq.write_table(part, folder / "part-002.parquet")
    expect_error(
        ["find-issues", "--labels", str(folder), "--probs", str(folder), "--id-column", "id"],
        "part-002.parquet: column 'cat' is double, not float",
    )


def test_prob_columns_matching_nothing(data: Data) -> None:
    source = write_format(data, "parquet")
    expect_error(
        ["find-issues", "--labels", source, "--prob-columns", "p_*"],
        "--prob-columns 'p_*' matches no column",
    )


def test_prob_columns_matching_a_text_column(data: Data) -> None:
    source = write_format(data, "parquet")
    expect_error(
        ["find-issues", "--labels", source, "--prob-columns", "*", "--label-column", "label"],
        "column 'id' is not numeric",
    )


def test_classes_json_that_disagrees_with_the_array(data: Data) -> None:
    Path(data.path("p.classes.json")).write_text(json.dumps({"classes": ["a", "b"]}))
    expect_error(
        ["find-issues", "--labels", data.path("y.npy"), "--probs", data.path("p.npy")],
        "p.classes.json: lists 2 classes but",
    )


def test_bad_probability_names_the_row_across_batches(data: Data) -> None:
    table = data.table()
    probs = data.probs.copy()
    probs[201, 1] = np.nan
    table = table.set_column(3, "dog", pa.array(probs[:, 1]))
    pq.write_table(table, data.path("t.parquet"), row_group_size=64)
    expect_error(
        [
            "find-issues",
            "--labels",
            data.path("t.parquet"),
            "--probs",
            data.path("t.parquet"),
            "--id-column",
            "id",
        ],
        "row 201, column 'dog': probability is NaN",
    )


def test_unsupported_suffix(data: Data) -> None:
    Path(data.path("y.txt")).write_text("label\ncat\n")
    expect_error(
        ["find-issues", "--labels", data.path("y.txt"), "--probs", data.path("p.npy")],
        "unsupported labels file type '.txt'",
    )


def test_stdin_empty(data: Data) -> None:
    expect_error(
        ["find-issues", "--labels", "-", "--probs", data.path("p.npy")],
        "standard input is empty",
        stdin=b"",
    )


# --- predict's outputs read back without repeating options --------------------------------------


@pytest.fixture
def features(tmp_path: Path) -> Path:
    rng = np.random.default_rng(5)
    n_rows = 90
    label = rng.choice(["cat", "dog", "bird, the small one"], n_rows)
    frame = pa.table(
        {
            "id": [f"x{i}" for i in range(n_rows)],
            "f1": rng.normal(size=n_rows) + (label == "cat"),
            "f2": rng.normal(size=n_rows) + (label == "dog"),
            "label": label,
        }
    )
    pq.write_table(frame, tmp_path / "features.parquet")
    return tmp_path / "features.parquet"


@pytest.mark.parametrize("suffix", [".parquet", ".arrow", ".npy"])
def test_predict_output_is_read_back_without_id_or_classes(features: Path, suffix: str) -> None:
    out = features.with_name("probs" + suffix)
    result = invoke(
        "predict",
        str(features),
        "--label-column",
        "label",
        "--id-column",
        "id",
        "-o",
        str(out),
        "--quiet",
    )
    assert result.exit_code == 0, result.output
    if suffix == ".npy":
        described = json.loads(out.with_name("probs.classes.json").read_text())
        assert described["classes"] == ["bird, the small one", "cat", "dog"]
    document = audit_json("find-issues", str(features), "--probs", str(out))
    assert document["n_classes"] == 3
    if suffix != ".npy":  # the id column came from predict's metadata
        assert all("id" in row for row in document["issues"])


def test_predict_integral_float_labels_are_integer_classes(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    labels = rng.choice([1.0, 3.0, 7.0], 90)
    frame = pa.table({"f1": rng.normal(size=90) + labels, "label": labels})
    pq.write_table(frame, tmp_path / "features.parquet")
    out = tmp_path / "probs.parquet"
    result = invoke(
        "predict",
        str(tmp_path / "features.parquet"),
        "--label-column",
        "label",
        "-o",
        str(out),
        "--quiet",
    )
    assert result.exit_code == 0, result.output
    assert pq.read_schema(out).names == ["1", "3", "7"]
    document = audit_json("health", str(tmp_path / "features.parquet"), "--probs", str(out))
    assert sorted(c["class"] for c in document["classes"]) == [1, 3, 7]
