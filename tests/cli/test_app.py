"""The application around the commands: help, choices, start-up cost, exit codes and errors.

The bad-input catalogue holds the CLI contract for every command: exit code 2, nothing on
stdout, the whole error (one ``Error:`` line and at most one hint line) on stderr, no traceback,
and no file written or changed.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from labelaudit import __version__
from labelaudit.cli import CleanAction, FilterBy, ScoreMethod
from labelaudit.core.filtering import FILTERS
from labelaudit.core.ranking import SCORE_METHODS
from tests.conftest import Invoke, Run
from tests.datasets import N_ROWS, Dataset
from tests.messages import is_whole_error

# --- help, version, choices, start-up ----------------------------------------------------------


@pytest.mark.parametrize("command", ["find-issues", "score", "health", "clean"])
def test_command_help(command: str, invoke: Invoke) -> None:
    result = invoke(command, "--help")
    assert result.exit_code == 0
    assert "--json" in result.stdout and "--debug" in result.stdout


def test_version(invoke: Invoke) -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout == f"labelaudit {__version__}\n" and result.stderr == ""


def test_no_command_shows_the_help_and_exits_0(invoke: Invoke) -> None:
    result = invoke()
    assert result.exit_code == 0
    assert "Usage: labelaudit [OPTIONS] COMMAND" in result.stdout
    assert all(command in result.stdout for command in ("find-issues", "clean", "predict"))


def test_choices_match_the_core() -> None:
    assert tuple(choice.value for choice in FilterBy) == FILTERS
    assert tuple(choice.value for choice in ScoreMethod) == SCORE_METHODS
    assert [choice.value for choice in CleanAction] == ["remove", "relabel"]


def test_help_does_not_import_heavy_modules() -> None:
    code = (
        "import sys\nfrom labelaudit.cli import app\n"
        "assert not {'numpy', 'pandas', 'pyarrow', 'sklearn'} & set(sys.modules), sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_quiet_find_issues_on_npy_does_not_import_pandas_sklearn_or_rich(tmp_path: Path) -> None:
    # Start-up time is part of the performance targets: a pipeline run needs none of these.
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(4), size=200)
    np.save(tmp_path / "p.npy", probs)
    np.save(tmp_path / "y.npy", probs.argmax(axis=1))
    code = (
        "import sys\nfrom labelaudit.cli import main\n"
        "sys.argv = ['labelaudit', 'find-issues', '--labels', 'y.npy', '--probs', 'p.npy',"
        " '-o', 'out.parquet', '--quiet']\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    assert not exit.code, exit.code\n"
        "loaded = {name.split('.')[0] for name in sys.modules}\n"
        "assert not {'pandas', 'sklearn', 'rich'} & loaded, sorted(loaded)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path)
    assert (tmp_path / "out.parquet").exists()


# --- bad inputs: exit 2, the whole error on stderr, no traceback, nothing written --------------

Prepare = Callable[[Path], object]


@dataclass(frozen=True)
class BadInput:
    command: str
    """The command line after ``labelaudit``, split on spaces; run in the ``data`` folder."""
    error: str
    """All of stderr but its final newline; ``…`` stands for words of numpy or pyarrow."""
    prepare: Prepare | None = None
    """Writes the bad file(s) into the ``data`` folder first."""

    def is_the_whole_of(self, stderr: str, program: str = "labelaudit") -> bool:
        return is_whole_error(stderr, self.error.replace("Run 'labelaudit ", f"Run '{program} "))


def write_bytes(name: str, content: bytes) -> Prepare:
    return lambda folder: (folder / name).write_bytes(content)


def bad_probs(edit: Callable[[np.ndarray], np.ndarray]) -> Prepare:
    """``bad.npy``: the probabilities of ``p.npy`` (as float64) changed by *edit*."""

    def prepare(folder: Path) -> None:
        probs = np.load(folder / "p.npy").astype(np.float64)
        np.save(folder / "bad.npy", edit(probs))

    return prepare


def bad_cell(row: int, column: int, value: float) -> Prepare:
    """``bad.npy``: ``p.npy`` with one probability set to *value*."""

    def edit(probs: np.ndarray) -> np.ndarray:
        probs[row, column] = value
        return probs

    return bad_probs(edit)


def bad_csv(name: str, **columns: list) -> Prepare:
    return lambda folder: pd.DataFrame(columns).to_csv(folder / name, index=False)


def issues_csv(**columns: list) -> Prepare:
    """``i.csv``, an issues file for ``clean --issues`` (with pandas' index column)."""
    return lambda folder: pd.DataFrame(columns).to_csv(folder / "i.csv")


def four_classes(probs: np.ndarray) -> np.ndarray:
    """The third class split in two halves: a model of other classes than ``p.npy``'s."""
    return probs[:, [0, 1, 2, 2]] / [[1, 1, 2, 2]]


BAD_INPUTS = [
    pytest.param(
        BadInput(
            "nope --labels y.npy",
            error="Error: No such command 'nope'.\nRun 'labelaudit --help' for the options.",
        ),
        id="command-unknown",
    ),
    pytest.param(
        BadInput(
            "find-issues --labels nope.parquet --probs p.npy",
            error="Error: nope.parquet: no such file. Check the path.",
        ),
        id="labels-file-missing",
    ),
    pytest.param(
        BadInput(
            "score --labels y.npy --probs nope.npy",
            error="Error: nope.npy: no such file. Check the path.",
        ),
        id="probs-file-missing",
    ),
    pytest.param(
        BadInput(
            "health --labels bad.parquet --probs p.npy",
            error="Error: bad.parquet: not a readable Parquet file (…).",
            prepare=write_bytes("bad.parquet", b"PAR1 not really parquet"),
        ),
        id="labels-parquet-corrupt",
    ),
    pytest.param(
        BadInput(
            "find-issues --labels y.npy --probs bad.npy",
            error="Error: bad.npy: not a readable .npy file (…).",
            prepare=write_bytes("bad.npy", b"\x93NUMPY garbage"),
        ),
        id="probs-npy-corrupt",
    ),
    pytest.param(
        BadInput(
            "find-issues --labels y.npy --probs bad.npy",
            error=f"Error: bad.npy: has {N_ROWS - 3} rows but y.npy has {N_ROWS}; both must list "
            "the same rows in the same order.",
            prepare=bad_probs(lambda probs: probs[:-3]),
        ),
        id="probs-with-fewer-rows-than-labels",
    ),
    pytest.param(
        BadInput(
            "find-issues --labels bad.csv --probs p.parquet --id-column id",
            error="Error: bad.csv: column 'label': label 'emu' in row 1 is not a class of "
            "p.parquet (nor are the labels of at least 74 more rows after it); the classes are "
            "'cat', 'dog', 'bird'.\n"
            "Check that the labels and probs belong together (for .npy probs with string labels, "
            "pass --classes in column order).",
            prepare=bad_csv("bad.csv", label=["cat", "emu"] * 75),
        ),
        id="label-not-a-class",
    ),
    pytest.param(
        BadInput(
            "score --labels bad.npy --probs p.npy",
            error="Error: bad.npy: label '3' in row 0 is not a class of p.npy (nor are the labels "
            "of at least 149 more rows after it); the classes are '0', '1', '2'.\n"
            "Check that the labels and probs belong together (for .npy probs with string labels, "
            "pass --classes in column order).",
            prepare=lambda folder: np.save(folder / "bad.npy", np.full(N_ROWS, 3)),
        ),
        id="integer-label-out-of-range",
    ),
    pytest.param(
        BadInput(
            "find-issues --labels data.csv --probs p.npy",
            error="Error: data.csv: column 'label': label 'bird' in row 0 is not a class of p.npy "
            "(nor are the labels of at least 149 more rows after it); the classes are '0', '1', "
            "'2'.\n"
            "Check that the labels and probs belong together (for .npy probs with string labels, "
            "pass --classes in column order).",
        ),
        id="string-labels-with-npy-probs-without-classes",
    ),
    pytest.param(
        BadInput(
            "health --labels bad.csv --probs p.parquet --id-column id",
            error="Error: bad.csv: column 'label': row 1 has no label (nor do at least 74 more "
            "rows after it); every row needs a label.",
            prepare=bad_csv("bad.csv", label=["cat", None] * 75),
        ),
        id="label-missing",
    ),
    pytest.param(
        BadInput(
            "find-issues --labels y.npy --probs bad.npy",
            error="Error: bad.npy: row 5, column 1: probability is NaN; probabilities must be "
            "finite numbers in [0, 1].",
            prepare=bad_cell(5, 1, np.nan),
        ),
        id="nan-in-probs",
    ),
    pytest.param(
        BadInput(
            "find-issues --labels y.npy --probs bad.npy",
            error="Error: bad.npy: row 9, column 0: probability is +infinite; probabilities must "
            "be finite numbers in [0, 1].",
            prepare=bad_cell(9, 0, np.inf),
        ),
        id="infinity-in-probs",
    ),
    pytest.param(
        BadInput(
            "score --labels y.npy --probs bad.npy",
            error="Error: bad.npy: row 3, column 2: probability is -0.1, outside [0, 1]; "
            "probabilities must be finite numbers in [0, 1].",
            prepare=bad_cell(3, 2, -0.1),
        ),
        id="negative-prob",
    ),
    pytest.param(
        BadInput(
            "health --labels y.npy --probs bad.npy",
            error="Error: bad.npy: row 0: probabilities sum to 0.9, not 1 (tolerance 0.0001).\n"
            "Pass --normalize to rescale every row to sum to 1 (or --multi-label if these are "
            "per-class probabilities of label sets).",
            prepare=bad_probs(lambda probs: probs * 0.9),
        ),
        id="probs-not-summing-to-1",
    ),
    pytest.param(
        BadInput(
            "find-issues --labels y.npy --probs bad.npy",
            error="Error: bad.npy: probabilities must be a 2-D (rows, classes) array, got shape "
            "(150,). For two classes save both columns, e.g. np.column_stack([1 - p, p]).",
            prepare=bad_probs(lambda probs: probs[:, 0]),
        ),
        id="probs-1-d",
    ),
    pytest.param(
        BadInput(
            "find-issues --labels y.npy --probs bad.npy",
            error="Error: bad.npy: has 1 class column; at least two classes are needed.",
            prepare=bad_probs(lambda probs: np.ones((N_ROWS, 1))),
        ),
        id="probs-of-one-class",
    ),
    pytest.param(
        BadInput(
            "find-issues --labels bad.csv --probs p.npy",
            error="Error: bad.csv: has no rows; at least one row is needed.",
            prepare=bad_csv("bad.csv", label=[]),
        ),
        id="labels-without-rows",
    ),
    pytest.param(
        BadInput(
            "find-issues --labels bad.csv --probs p.npy",
            error="Error: bad.csv: no column 'label' and 2 columns to choose from ('a', 'b'); "
            "pass --label-column NAME.",
            prepare=bad_csv("bad.csv", a=[1], b=[2]),
        ),
        id="label-column-ambiguous",
    ),
    pytest.param(
        BadInput(
            "score --labels data.csv --label-column y --probs p.parquet",
            error="Error: data.csv: no column 'y' (--label-column); columns are 'id', 'x', "
            "'count', 'label'.",
        ),
        id="label-column-unknown",
    ),
    pytest.param(
        BadInput(
            "score --labels data.csv --probs p.parquet",
            error="Error: p.parquet: column 'id' is not numeric (large_string); every probability "
            "column must hold one class's probabilities. If it is an id column, pass --id-column "
            "id.",
        ),
        id="probs-column-not-numeric",
    ),
    pytest.param(
        BadInput(
            "score --labels data.csv --probs p.npy --classes cat,dog",
            error="Error: --classes lists 2 classes but p.npy has 3 columns.",
        ),
        id="classes-fewer-than-probs-columns",
    ),
    pytest.param(
        BadInput(
            "score --labels y.npy --probs p.npy --probs bad.npy",
            error="Error: bad.npy: classes '0', '1', '2', '3' differ from those of p.npy ('0', "
            "'1', '2'); every --probs file must cover the same classes.",
            prepare=bad_probs(four_classes),
        ),
        id="ensemble-members-of-other-classes",
    ),
    pytest.param(
        BadInput(
            "score --labels y.txt --probs p.npy",
            error="Error: y.txt: unsupported labels file type '.txt'; use .parquet, .csv, .tsv "
            "(optionally compressed), .arrow/.feather, .npy, a folder of Parquet files or '-' "
            "for stdin.",
            prepare=write_bytes("y.txt", b"label\n1\n"),
        ),
        id="labels-file-type-unsupported",
    ),
    pytest.param(
        BadInput(
            "find-issues --labels y.npy --probs p.npy --top -1",
            error="Error: Invalid value for '--top': -1 is not in the range x>=0.\n"
            "Run 'labelaudit find-issues --help' for the options.",
        ),
        id="top-negative",
    ),
    pytest.param(
        BadInput(
            "find-issues --labels y.npy --probs p.npy --frac-noise 0",
            error="Error: Invalid value for '--frac-noise': 0 is not in (0, 1].\n"
            "Run 'labelaudit find-issues --help' for the options.",
        ),
        id="frac-noise-zero",
    ),
    pytest.param(
        BadInput(
            "clean data.csv --probs p.parquet --frac-noise 1.5 -o out.csv",
            error="Error: Invalid value for '--frac-noise': 1.5 is not in (0, 1].\n"
            "Run 'labelaudit clean --help' for the options.",
        ),
        id="frac-noise-above-1",
    ),
    pytest.param(
        BadInput(
            "find-issues --labels y.npy --probs p.npy --fail-above 2",
            error="Error: Invalid value for '--fail-above': 2.0 is not in the range 0.0<=x<=1.0.\n"
            "Run 'labelaudit find-issues --help' for the options.",
        ),
        id="fail-above-above-1",
    ),
    pytest.param(
        BadInput(
            "health --labels y.npy --probs p.npy --max-noise-rate -0.1",
            error="Error: Invalid value for '--max-noise-rate': -0.1 is not in the range "
            "0.0<=x<=1.0.\n"
            "Run 'labelaudit health --help' for the options.",
        ),
        id="max-noise-rate-negative",
    ),
    pytest.param(
        BadInput(
            "health --labels y.npy --probs p.npy --max-class-noise-rate 7",
            error="Error: Invalid value for '--max-class-noise-rate': 7.0 is not in the range "
            "0.0<=x<=1.0.\n"
            "Run 'labelaudit health --help' for the options.",
        ),
        id="max-class-noise-rate-above-1",
    ),
    pytest.param(
        BadInput(
            "find-issues --labels y.npy --probs p.npy --filter-by magic",
            error="Error: Invalid value for '--filter-by': 'magic' is not one of "
            "'prune_by_noise_rate', 'prune_by_class', 'both', 'confident_learning', "
            "'predicted_neq_given', 'low_normalized_margin', 'low_self_confidence'.\n"
            "Run 'labelaudit find-issues --help' for the options.",
        ),
        id="filter-by-unknown",
    ),
    pytest.param(
        BadInput(
            "clean data.csv --probs p.parquet --action burn -o out.csv",
            error="Error: Invalid value for '--action': 'burn' is not one of 'remove', "
            "'relabel'.\n"
            "Run 'labelaudit clean --help' for the options.",
        ),
        id="action-unknown",
    ),
    pytest.param(
        BadInput(
            "find-issues --labels y.parquet --probs p.npy -o ./y.parquet",
            error="Error: y.parquet: is also an input; choose another output path.",
        ),
        id="output-overwrites-labels",
    ),
    pytest.param(
        BadInput(
            "score --labels y.npy --probs p.parquet --id-column id -o ././p.parquet",
            error="Error: p.parquet: is also an input; choose another output path.",
        ),
        id="output-overwrites-probs",
    ),
    pytest.param(
        BadInput(
            "clean data.csv --probs p.parquet --id-column id -o data.csv",
            error="Error: data.csv: is also an input; choose another output path.",
        ),
        id="clean-output-overwrites-its-data",
    ),
    pytest.param(
        BadInput(
            "find-issues --labels y.npy --probs p.npy -o out.txt",
            error="Error: -o/--output out.txt: unsupported output type '.txt'; use .parquet or "
            ".csv.",
        ),
        id="output-type-unsupported",
    ),
    pytest.param(
        BadInput(
            "health --labels y.npy --probs p.npy -o h.csv",
            error="Error: -o/--output h.csv: unsupported output type '.csv'; use .json.",
        ),
        id="health-output-not-json",
    ),
    pytest.param(
        BadInput(
            "score --labels y.npy --probs p.npy -o nowhere/s.csv",
            error="Error: -o/--output nowhere/s.csv: the folder nowhere does not exist.",
        ),
        id="output-folder-missing",
    ),
    pytest.param(
        BadInput(
            "clean data.csv -o out.csv",
            error="Error: --probs is required (or --issues, to reuse a find-issues output).",
        ),
        id="clean-without-probs-or-issues",
    ),
    pytest.param(
        BadInput(
            "clean data.csv --issues i.csv --probs p.npy -o out.csv",
            error="Error: --issues and --probs: give one of them (--issues reuses a find-issues "
            "output).",
            prepare=issues_csv(row=[1]),
        ),
        id="clean-with-issues-and-probs",
    ),
    pytest.param(
        BadInput(
            "clean data.csv --issues i.csv --label-column y --action relabel -o out.csv",
            error="Error: data.csv: no label column 'y' to relabel; pass --label-column NAME "
            "(columns are 'id', 'x', 'count', 'label').",
            prepare=issues_csv(row=[1], predicted_label=["cat"]),
        ),
        id="relabel-without-the-label-column",
    ),
]


def snapshot(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_is_exit_2_with_a_clear_message(
    data: Dataset, invoke: Invoke, case: BadInput
) -> None:
    if case.prepare is not None:
        case.prepare(data.folder)
    before = snapshot(data.folder)
    result = invoke(*case.command.split())
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("Error:") and 1 <= len(lines) <= 2, result.stderr
    assert case.is_the_whole_of(result.stderr), result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(data.folder) == before


IN_A_REAL_PROCESS = [
    "labels-parquet-corrupt",
    "nan-in-probs",
    "output-overwrites-labels",
    "frac-noise-zero",
]


@pytest.mark.parametrize("case", [param for param in BAD_INPUTS if param.id in IN_A_REAL_PROCESS])
def test_bad_input_exit_code_in_a_real_process(data: Dataset, run: Run, case: BadInput) -> None:
    if case.prepare is not None:
        case.prepare(data.folder)
    done = run(*case.command.split())
    assert done.returncode == 2
    assert done.stderr.startswith("Error:") and case.is_the_whole_of(
        done.stderr, program="python -m labelaudit"
    ), done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


# --- --debug -----------------------------------------------------------------------------------


def test_debug_shows_the_traceback(data: Dataset, run: Run) -> None:
    bad_cell(5, 1, np.nan)(data.folder)
    done = run("find-issues", "--labels", "y.npy", "--probs", "bad.npy", "--debug")
    assert done.returncode == 2  # --debug adds the traceback; the exit code stays the API's
    assert "Traceback" in done.stderr and "InputError" in done.stderr
    assert done.stderr.rstrip().splitlines()[-1].startswith("Error:")
    assert done.stderr.endswith(
        "\nError: bad.npy: row 5, column 1: probability is NaN; probabilities must be finite "
        "numbers in [0, 1].\n"
    )


def test_debug_as_root_option_shows_the_traceback_and_keeps_exit_2(data: Dataset, run: Run) -> None:
    result = run("--debug", "health", "--labels", "missing.csv", "--probs", "p.npy")
    assert result.returncode == 2
    assert "Traceback" in result.stderr
    assert result.stderr.rstrip().splitlines()[-1].startswith("Error: missing.csv")
    assert result.stderr.endswith("\nError: missing.csv: no such file. Check the path.\n")
