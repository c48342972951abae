"""``labelaudit clean`` from the installed command: exact copies, ``-o -``, new options, memory.

Also ``--csv-safe`` of find-issues and score (issue 11 item 5).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from labelaudit.cli import app

runner = CliRunner()

HEADER = b"id,amount,label,note\r\n"
RECORDS = [
    b"00001,1.50,cat,NA\r\n",
    b'00002,3,dog,"a, ""b"""\r\n',
    b'00003,TRUE,cat,"multi\nline"\r\n',
    b"00004,-0.0,bird,\r\n",
]


def run(folder: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """The real ``python -m labelaudit ARGS`` in *folder*, bytes in and out."""
    return subprocess.run(
        [sys.executable, "-m", "labelaudit", *args],
        cwd=folder,
        input=stdin,
        capture_output=True,
        timeout=120,
    )


def invoke(folder: Path, *args: str):
    with pytest.MonkeyPatch.context() as patch:  # the working directory comes back after
        patch.chdir(folder)
        return runner.invoke(app, list(args))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "data.csv").write_bytes(HEADER + b"".join(RECORDS))
    (tmp_path / "issues.csv").write_text(
        "row,given_label,predicted_label,label_quality\n1,dog,bird,0.1\n2,cat,dog,0.2\n"
    )
    return tmp_path


def test_clean_to_standard_output_is_the_exact_csv(folder: Path) -> None:
    result = run(folder, "clean", "data.csv", "--issues", "issues.csv", "-o", "-")
    assert result.returncode == 0, result.stderr
    assert result.stdout == HEADER + RECORDS[0] + RECORDS[3]
    relabel = run(
        folder, "clean", "data.csv", "--issues", "issues.csv", "--action", "relabel", "-o", "-"
    )
    assert relabel.returncode == 0, relabel.stderr
    expected = [HEADER, RECORDS[0], RECORDS[1].replace(b"dog", b"bird"), RECORDS[2], RECORDS[3]]
    expected[3] = RECORDS[2].replace(b"TRUE,cat", b"TRUE,dog")
    assert relabel.stdout == b"".join(expected)


def test_clean_reads_data_from_standard_input(folder: Path) -> None:
    data = (folder / "data.csv").read_bytes()
    result = run(folder, "clean", "-", "--issues", "issues.csv", "-o", "-", stdin=data)
    assert result.returncode == 0, result.stderr
    assert result.stdout == HEADER + RECORDS[0] + RECORDS[3]
    np.save(folder / "p.npy", np.full((4, 2), 0.5))  # so that the stdin rule is what fails
    once = run(folder, "clean", "-", "--probs", "p.npy", "-o", "out.csv", stdin=data)
    assert once.returncode == 2 and b"can be read only once" in once.stderr


def test_clean_to_standard_output_refuses_json(folder: Path) -> None:
    result = run(folder, "clean", "data.csv", "--issues", "issues.csv", "-o", "-", "--json")
    assert result.returncode == 2
    assert result.stderr.decode().startswith("Error: -o - writes the cleaned rows")
    assert result.stdout == b""


def test_keep_original_and_json_document(folder: Path) -> None:
    result = invoke(folder, "clean", "data.csv", "--issues", "issues.csv", "--action", "relabel",
                    "--keep-original", "given", "-o", "out.csv", "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["n_changed"] == 2 and document["n_rows_written"] == 4
    lines = (folder / "out.csv").read_bytes()
    assert lines.startswith(b"id,amount,label,note,given\r\n")
    assert b'00002,3,bird,"a, ""b""",dog\r\n' in lines


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--action", "relabel", "--min-confidence", "nan"], "--min-confidence"),
        (["--action", "relabel", "--min-confidence", "1.5"], "--min-confidence"),
        (["--action", "relabel", "--keep-original", "note"], "already has a column"),
        (["-o", "out.parquet"], "clean writes CSV DATA as CSV"),
    ],
)
def test_bad_clean_options_exit_2_and_write_nothing(
    folder: Path, args: list[str], message: str
) -> None:
    output = [] if "-o" in args else ["-o", "out.csv"]
    result = run(folder, "clean", "data.csv", "--issues", "issues.csv", *args, *output)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr.decode()
    assert not (folder / "out.csv").exists() and not (folder / "out.parquet").exists()


def test_relabel_to_a_formula_is_refused_naming_the_row(folder: Path) -> None:
    (folder / "evil.csv").write_text('row,predicted_label\n3,"=HYPERLINK(""http://x"",""y"")"\n')
    result = run(folder, "clean", "data.csv", "--issues", "evil.csv", "--action", "relabel",
                 "-o", "out.csv")  # fmt: skip
    assert result.returncode == 2
    stderr = result.stderr.decode()
    assert "evil.csv: row 3: predicted_label '=HYPERLINK" in stderr and "not a class" in stderr
    assert not (folder / "out.csv").exists()


def formula_dataset(folder: Path) -> None:
    rng = np.random.default_rng(0)
    names = np.array(["=1+1", "-cat", "@dog"])
    labels = rng.integers(0, 3, 90)
    pd.DataFrame({"label": names[labels], "id": [f"@r{i}" for i in range(90)]}).to_csv(
        folder / "y.csv", index=False
    )
    np.save(folder / "p.npy", rng.dirichlet([1, 1, 1], 90).astype(np.float32))


@pytest.mark.parametrize("command", ["find-issues", "score"])
def test_csv_safe_prefixes_formula_cells_only_when_asked(tmp_path: Path, command: str) -> None:
    formula_dataset(tmp_path)
    common = [command, "--labels", "y.csv", "--probs", "p.npy", "--id-column", "id",
              "--classes", "=1+1,-cat,@dog", "-q"]  # fmt: skip
    assert invoke(tmp_path, *common, "-o", "plain.csv").exit_code == 0
    assert invoke(tmp_path, *common, "-o", "safe.csv", "--csv-safe").exit_code == 0
    plain = pd.read_csv(tmp_path / "plain.csv", dtype=str, keep_default_na=False)
    safe = pd.read_csv(tmp_path / "safe.csv", dtype=str, keep_default_na=False)
    assert set(plain["given_label"]) <= {"=1+1", "-cat", "@dog"}  # verbatim by default
    assert set(safe["given_label"]) <= {"'=1+1", "'-cat", "'@dog"}
    assert safe["id"].str.startswith("'@r").all() and plain["id"].str.startswith("@r").all()
    assert (safe["row"] == plain["row"]).all() and (
        safe["label_quality"] == plain["label_quality"]
    ).all()


MEMORY_SCRIPT = """
import resource, sys
from pathlib import Path
import labelaudit.cli, numpy, pandas, pyarrow, pyarrow.csv, pyarrow.compute, pyarrow.parquet
from labelaudit.pipeline.clean import clean_dataset
from labelaudit.pipeline.options import CleanOptions
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
relabel = CleanOptions(action="relabel")
clean_dataset(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), relabel)
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) * 1024)
"""


def test_a_2m_row_csv_cleans_in_bounded_memory(tmp_path: Path) -> None:
    n = 2_000_000
    padding = "x" * 60
    line = f"{{:08d}},1.50,{{}},NA,{padding}\n"
    data = tmp_path / "big.csv"
    labels = np.array(["cat", "dog", "bird"])[np.arange(n) % 3]
    with open(data, "w") as handle:
        handle.write("id,amount,label,extra,note\n")
        for start in range(0, n, 200_000):
            handle.write("".join(line.format(i, labels[i]) for i in range(start, start + 200_000)))
    rows = np.arange(0, n, 97)
    issues = tmp_path / "issues.csv"
    issues.write_text("row,predicted_label\n" + "".join(f"{r},bird\n" for r in rows.tolist()))
    out = tmp_path / "out.csv"
    result = subprocess.run(
        [sys.executable, "-c", MEMORY_SCRIPT, str(data), str(out), str(issues)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    growth = int(result.stdout.strip())
    size = data.stat().st_size
    relabelled = int((labels[rows] != "bird").sum())  # cat/dog -> bird: one byte longer each
    assert out.stat().st_size == size + relabelled
    with open(out) as handle:
        head = [next(handle) for _ in range(200)]
    expected = [
        line.format(i, "bird" if i % 97 == 0 else labels[i]) for i in range(199)
    ]  # the header is line 0
    assert head[1:] == expected
    # A pandas copy holds the whole table (several times the file); this stays well under it.
    assert growth < size, (growth, size)
