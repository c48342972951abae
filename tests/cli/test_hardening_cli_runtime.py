"""Hardening of the CLI (issue 11, items 6, 7 and 8): pipes, signals and the file system.

Broken pipes and signals are tested on the real ``python -m labelaudit``: a pipe closed by the
reader, a closed stdout, SIGTERM/SIGHUP/SIGINT sent while the output is being written. Full and
read-only disks are real small tmpfs mounts where this process may mount them (root with
CAP_SYS_ADMIN), else skipped; the same failures are also injected in-process (a monkeypatched
OSError), because as root ``chmod 0o555`` does not stop a write.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from labelaudit.cli import app
from tests.cli.test_hardening_cli import ENV, default_signals, labelaudit, noisy_dataset

# --- 6. broken pipe --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def wide(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20,000 rows: every output below is far larger than a pipe's 64 KiB buffer."""
    folder = tmp_path_factory.mktemp("wide")
    noisy_dataset(folder, ["cat", "dog", "bird"], 20_000)
    return folder


def read_then_close(folder: Path, *args: str) -> tuple[int, str]:
    """Run labelaudit with stdout into a pipe whose reader goes away after 100 bytes (| head)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "labelaudit", *args],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=ENV,
    )
    assert process.stdout is not None and process.stderr is not None
    assert len(process.stdout.read(100)) == 100
    process.stdout.close()
    stderr = process.stderr.read().decode()
    return process.wait(timeout=300), stderr


SCORE = ["score", "--labels", "y.parquet", "--probs", "p.parquet", "--top", "20000"]
FIND = ["find-issues", "--labels", "y.parquet", "--probs", "p.parquet", "--top", "20000"]


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(SCORE, id="score-table"),
        pytest.param([*SCORE, "--json"], id="score-json"),
        pytest.param([*FIND, "-o", "issues.parquet"], id="find-issues-table"),
        pytest.param([*FIND, "--json", "--fail-above", "0.9"], id="find-issues-json-check-passed"),
    ],
)
def test_a_closed_pipe_ends_quietly_with_exit_0(wide: Path, args: list[str]) -> None:
    code, stderr = read_then_close(wide, *args)
    assert (code, stderr) == (0, "")  # no traceback, no "Exception ignored", no AttributeError
    if "-o" in args:
        assert (wide / "issues.parquet").stat().st_size > 0  # the work was done


def test_a_closed_pipe_keeps_the_exit_code_of_a_failed_check(wide: Path) -> None:
    code, stderr = read_then_close(wide, *FIND, "--fail-above", "0")
    assert code == 1
    assert stderr.startswith("Error: ") and "Traceback" not in stderr


@pytest.mark.parametrize(
    "json_flag", [pytest.param(["--json"], id="json"), pytest.param([], id="table")]
)
def test_a_closed_stdout_ends_quietly_with_exit_0(wide: Path, json_flag: list[str]) -> None:
    """``labelaudit ... >&-``: Python starts with sys.stdout None (AttributeError before)."""
    result = subprocess.run(
        [sys.executable, "-m", "labelaudit", *SCORE, *json_flag, "-o", "closed.csv"],
        cwd=wide,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: os.close(1),
        env=ENV,
        timeout=300,
    )
    assert (result.returncode, result.stderr.decode()) == (0, "")
    assert (wide / "closed.csv").exists()


# --- 7. signals --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3,000,000 rows (48 MB of float32 probs): scoring them writes for more than a second."""
    folder = tmp_path_factory.mktemp("large")
    rng = np.random.default_rng(0)
    n_rows, n_classes = 3_000_000, 4
    probs = rng.random((n_rows, n_classes), dtype=np.float32)
    probs /= probs.sum(axis=1, keepdims=True)
    np.save(folder / "p.npy", probs)
    np.save(folder / "y.npy", rng.integers(0, n_classes, n_rows).astype(np.int8))
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGHUP", "SIGINT"])
def test_a_signal_during_a_write_leaves_nothing_and_says_interrupted(
    large: Path, signal_name: str
) -> None:
    out = large / f"out_{signal_name}.parquet"
    score = ["score", "--labels", "y.npy", "--probs", "p.npy", "-o", out.name, "-q"]
    process = subprocess.Popen(
        [sys.executable, "-m", "labelaudit", *score],
        cwd=large,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=default_signals,
        env=ENV,
    )
    deadline = time.monotonic() + 120
    while not list(large.glob(f".{out.name}.*.tmp")):  # the write has started
        assert process.poll() is None, "finished before the write could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.002)
    process.send_signal(getattr(signal, signal_name))
    _, stderr = process.communicate(timeout=120)
    assert (process.returncode, stderr.decode()) == (130, "Error: interrupted.\n")
    assert [p.name for p in large.iterdir() if out.name in p.name] == []  # no .tmp, no output


@pytest.mark.slow
def test_a_signal_ignored_by_the_caller_stays_ignored(large: Path) -> None:
    """Under ``nohup`` (SIGHUP ignored) a hang-up must not stop the run."""

    def ignore_hangups() -> None:
        default_signals()
        signal.signal(signal.SIGHUP, signal.SIG_IGN)

    score = ["score", "--labels", "y.npy", "--probs", "p.npy", "-o", "nohup.parquet", "-q"]
    process = subprocess.Popen(
        [sys.executable, "-m", "labelaudit", *score],
        cwd=large,
        stderr=subprocess.PIPE,
        preexec_fn=ignore_hangups,
        env=ENV,
    )
    while not list(large.glob(".nohup.parquet.*.tmp")):
        assert process.poll() is None, "finished before the write could be interrupted"
        time.sleep(0.002)
    process.send_signal(signal.SIGHUP)
    _, stderr = process.communicate(timeout=120)
    assert (process.returncode, stderr.decode()) == (0, "")
    assert (large / "nohup.parquet").stat().st_size > 0


# --- 8. full and read-only disks --------------------------------------------------------------


@pytest.fixture
def mount_tmpfs(tmp_path: Path) -> Iterator[object]:
    """``mount_tmpfs(options)``: a small real tmpfs in tmp_path (skip where mount is refused)."""
    mounted: list[Path] = []

    def mount(options: str) -> Path:
        point = tmp_path / f"mnt{len(mounted)}"
        point.mkdir()
        command = ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)]
        if os.geteuid() != 0 or subprocess.run(command, capture_output=True).returncode != 0:
            pytest.skip("cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN)")
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", "-l", str(point)], check=False)


@pytest.mark.parametrize("name", ["out.parquet", "out.csv"])
def test_a_full_disk_is_one_plain_error_and_leaves_nothing(
    wide: Path, mount_tmpfs, name: str
) -> None:
    disk = mount_tmpfs("size=16k")  # the outputs are 100 kB and more
    result = labelaudit(
        wide, "score", "--labels", "y.parquet", "--probs", "p.parquet", "-o", disk / name
    )
    stderr = result.stderr.decode()
    assert result.returncode == 2, stderr
    assert stderr == f"Error: {disk / name}: no space left on device; nothing was written.\n"
    assert list(disk.iterdir()) == []


def test_a_read_only_folder_is_refused_before_any_work(wide: Path, mount_tmpfs) -> None:
    disk = mount_tmpfs("ro,size=64k")
    result = labelaudit(
        wide, "score", "--labels", "y.parquet", "--probs", "p.parquet", "-o", disk / "o.csv"
    )
    assert result.returncode == 2
    assert result.stderr.decode() == (
        f"Error: -o/--output {disk / 'o.csv'}: cannot write in the folder {disk} "
        "(read-only file system).\n"
    )


runner = CliRunner()


def invoke(folder: Path, *args: str) -> tuple[int, str]:
    """Run labelaudit in-process in *folder*: (exit code, everything printed)."""
    with pytest.MonkeyPatch.context() as patch:  # the working directory comes back after
        patch.chdir(folder)
        result = runner.invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture
def small(tmp_path: Path) -> Path:
    noisy_dataset(tmp_path, ["cat", "dog", "bird"], 200)
    return tmp_path


AUDIT = ["score", "--labels", "y.parquet", "--probs", "p.parquet"]


def _raise(exc: BaseException):
    def fail(*args: object, **kwargs: object) -> None:
        raise exc

    return fail


@pytest.mark.parametrize(
    ("target", "exc", "message"),
    [
        pytest.param(
            "pyarrow.parquet.ParquetWriter.write_table",
            # what pyarrow raises on a full disk: an errno, no file name
            OSError(errno.ENOSPC, "Error writing bytes to file. Detail: [errno 28] No space left"),
            "Error: out.parquet: no space left on device; nothing was written.",
            id="enospc-parquet",
        ),
        pytest.param(
            "labelaudit.io.paths._create_new",
            PermissionError(errno.EACCES, "Permission denied"),
            "Error: out.parquet: permission denied; nothing was written.",
            id="eacces-folder",
        ),
        pytest.param(
            "labelaudit.io.paths._create_new",
            OSError(errno.EROFS, "Read-only file system"),
            "Error: out.parquet: read-only file system; nothing was written.",
            id="erofs-folder",
        ),
        pytest.param(
            "os.replace",
            OSError(errno.EDQUOT, "Disk quota exceeded"),
            "Error: out.parquet: disk quota exceeded; nothing was written.",
            id="edquot-rename",
        ),
    ],
)
def test_a_failed_write_is_one_plain_error_and_leaves_nothing(
    small: Path, monkeypatch: pytest.MonkeyPatch, target: str, exc: OSError, message: str
) -> None:
    """In-process: as root, chmod 0o555 does not stop a write, so the OSError is injected."""
    monkeypatch.setattr(target, _raise(exc))
    code, output = invoke(small, *AUDIT, "-o", "out.parquet")
    assert (code, output.strip()) == (2, message)
    assert not [p for p in small.iterdir() if "out.parquet" in p.name]


def test_an_unwritable_folder_is_refused_before_any_work(
    small: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As root every folder is writable; a non-root user's os.access answer is simulated."""
    access = os.access
    monkeypatch.setattr(
        "labelaudit.io.paths.os.access",
        lambda path, mode: not mode & os.W_OK and access(path, mode),
    )
    monkeypatch.setattr("labelaudit.pipeline.audit.AuditSources.load", _raise(AssertionError()))
    code, output = invoke(small, *AUDIT, "-o", "out.parquet")
    assert (code, output.strip()) == (
        2,
        "Error: -o/--output out.parquet: cannot write in the folder . (permission denied).",
    )


@pytest.mark.parametrize(
    ("exc", "message"),
    [
        pytest.param(
            OSError(errno.EIO, "Input/output error", "y.parquet"),
            "Error: y.parquet: input/output error (a failing disk or network file system?).",
            id="eio",
        ),
        pytest.param(
            OSError(errno.EMFILE, "Too many open files"),
            "Error: too many open files.",
            id="emfile",
        ),
        pytest.param(
            MemoryError("Unable to allocate 745. GiB"),
            "Error: out of memory (Unable to allocate 745. GiB); the inputs are too large to "
            "process.",
            id="memory",
        ),
    ],
)
def test_environment_failures_are_not_called_bugs(
    small: Path, monkeypatch: pytest.MonkeyPatch, exc: BaseException, message: str
) -> None:
    monkeypatch.setattr("labelaudit.pipeline.audit.score_labels", _raise(exc))
    assert invoke(small, *AUDIT) == (2, message + "\n")
