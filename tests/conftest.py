"""Fixtures shared across the test packages: running the ``labelaudit`` command.

Builders of input data are plain functions in ``tests/datasets.py`` (and ``core/``,
``predict/datasets.py``); the fixtures that write them to a folder live next to their users.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from labelaudit.cli import app

Invoke = Callable[..., Result]
Run = Callable[..., "subprocess.CompletedProcess[str]"]


def is_whole_error(stderr: str, expected: str) -> bool:
    """Whether *stderr* is exactly *expected* and a newline.

    ``…`` in *expected* stands for words labelaudit quotes from a library (numpy, pandas,
    scikit-learn, the json module), which a new version of it may put differently.
    """
    pattern = ".+".join(re.escape(part) for part in expected.split("…"))
    return re.fullmatch(pattern + "\n", stderr) is not None


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
