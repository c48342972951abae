"""Fixtures shared across the test packages: running the ``labelaudit`` command.

Builders of input data are plain functions in ``tests/datasets.py`` (and ``core/``,
``predict/datasets.py``); the fixtures that write them to a folder live next to their users.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from labelaudit.cli import app
from tests.dask_datasets import scheduler  # noqa: F401 (one Dask cluster per test process)

Invoke = Callable[..., Result]
Run = Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture
def invoke() -> Invoke:
    """``invoke(*args)``: run ``labelaudit ARGS`` in-process (typer's CliRunner), in the cwd."""
    runner = CliRunner()

    def invoke(*args: Any) -> Result:
        return runner.invoke(app, [str(arg) for arg in args])

    return invoke


@pytest.fixture
def run() -> Run:
    """``run(*args, cwd=None)``: the real ``python -m labelaudit ARGS``, as a shell would run it."""

    def run(*args: Any, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "labelaudit", *map(str, args)],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    return run
