"""The dataset every audit command test runs on, and the working directory it runs in."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.datasets import Dataset, write_dataset


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Dataset:
    """The inputs of :func:`tests.datasets.write_dataset` in *tmp_path*, now the working directory.

    Commands name their inputs relatively (``--labels y.npy``), as a user would.
    """
    monkeypatch.chdir(tmp_path)
    return write_dataset(tmp_path)
