"""pyarrow imports pandas on its first conversion (0.2-0.3 s warm, more cold): the find-issues
Parquet path must not trigger it, nor import pyarrow.compute. Checked in a fresh interpreter,
where nothing else has."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

CLASSES = [f"class_{k}" for k in range(4)]


@pytest.fixture
def parquet_inputs(tmp_path: Path) -> tuple[Path, Path]:
    """labels.parquet (class names) and probs.parquet (one float32 column per class)."""
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(len(CLASSES)), 3000).astype(np.float32)
    labels = np.where(rng.random(3000) < 0.2, rng.integers(0, 4, 3000), probs.argmax(axis=1))
    labels_path, probs_path = tmp_path / "labels.parquet", tmp_path / "probs.parquet"
    pq.write_table(pa.table({"label": [CLASSES[k] for k in labels]}), labels_path)
    pq.write_table(
        pa.table({name: probs[:, k] for k, name in enumerate(CLASSES)}),
        probs_path,
        row_group_size=1000,
    )
    return labels_path, probs_path


def run_fresh(code: str, *args: object, module: str = "pandas") -> str:
    """Run *code* in a new interpreter (argv: *args*); its last line says whether *module*
    was imported."""
    code += f"\nimport sys\nprint({module!r} in sys.modules)\n"
    done = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


def test_reading_and_writing_parquet_imports_no_pandas(
    parquet_inputs: tuple[Path, Path], tmp_path: Path
) -> None:
    labels, probs = parquet_inputs
    code = """
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa

from labelaudit.io import load_audit_inputs
from labelaudit.io.arrownp import from_numpy, text_array
from labelaudit.io.tables import write_rows

inputs = load_audit_inputs(sys.argv[1], [sys.argv[2]])
assert inputs.pred_probs.shape == (3000, 4) and inputs.classes[0] == "class_0"
names = text_array([str(c) for c in inputs.classes])


def columns(rows):
    codes = from_numpy(inputs.labels[rows].astype(np.int32))
    given = pa.DictionaryArray.from_arrays(codes, names).cast(pa.string())
    return {"row": np.arange(3000)[rows], "given_label": given, "ok": inputs.labels[rows] > 0}


write_rows(Path(sys.argv[3]), len(inputs.labels), columns, dictionary_columns=["given_label"])
"""
    assert run_fresh(code, labels, probs, tmp_path / "out.parquet") == "False"


def test_find_issues_cli_on_parquet_imports_no_pandas(
    parquet_inputs: tuple[Path, Path], tmp_path: Path
) -> None:
    labels, probs = parquet_inputs
    code = """
import sys
from labelaudit.cli import main

out = sys.argv[3]
sys.argv = ["labelaudit", "find-issues", "--labels", sys.argv[1], "--probs", sys.argv[2],
            "-o", out, "--quiet"]
try:
    main()
except SystemExit as exc:
    assert exc.code in (0, None), exc.code
"""
    out = tmp_path / "issues.parquet"
    assert run_fresh(code, labels, probs, out) == "False"
    assert pq.read_table(out).num_rows > 0
    # Nor Arrow compute (0.1-0.2 s to import): Parquet class names come dictionary-encoded.
    assert run_fresh(code, labels, probs, out, module="pyarrow.compute") == "False"
