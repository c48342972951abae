"""Partitioned Parquet datasets for the Dask engine's tests, and the same rows as local inputs.

The partitions include an empty one, one-row ones and ones without some class; the
probabilities are rounded to 0.05, so margins and scores tie at almost every cut.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

# Partition boundaries over 2400 rows: an empty partition first, one-row partitions, a
# partition of only class 0 (rows 3-40 are relabelled below), uneven sizes.
BOUNDS = (0, 0, 1, 2, 3, 40, 40, 700, 701, 1500, 2400)
N_ROWS = BOUNDS[-1]
N_CLASSES = 4


def tie_heavy(seed: int = 0, dtype: type = np.float32) -> tuple[np.ndarray, np.ndarray]:
    """Labels with a rare class (3) and noisy probabilities rounded to 0.05."""
    rng = np.random.default_rng(seed)
    labels = rng.choice(N_CLASSES, size=N_ROWS, p=[0.45, 0.35, 0.17, 0.03])
    labels[3:40] = 0
    logits = rng.normal(size=(N_ROWS, N_CLASSES))
    logits[np.arange(N_ROWS), labels] += 1.2
    flip = rng.random(N_ROWS) < 0.15
    logits[flip, (labels[flip] + 1) % N_CLASSES] += 2.5
    probs = np.exp(logits)
    probs /= probs.sum(axis=1, keepdims=True)
    probs = np.round(probs / 0.05) * 0.05
    top = probs.argmax(axis=1)
    probs[np.arange(N_ROWS), top] += 1 - probs.sum(axis=1)
    return labels, probs.astype(dtype)


def write_dataset(
    folder: Path, labels: np.ndarray, probs: np.ndarray, bounds: tuple[int, ...] = BOUNDS
) -> Path:
    """The rows as local inputs (``labels.parquet``, ``probs.parquet``) and as a dataset
    ``ds/`` of one file per partition (label column ``label``, one column per class)."""
    folder.mkdir(parents=True, exist_ok=True)
    columns = {str(k): probs[:, k] for k in range(probs.shape[1])}
    ids = np.array([f"id{n}" for n in range(labels.shape[0])])
    pq.write_table(pa.table({"label": labels, "key": ids}), folder / "labels.parquet")
    pq.write_table(pa.table({"key": ids, **columns}), folder / "probs.parquet")
    dataset = folder / "ds"
    dataset.mkdir(exist_ok=True)
    for index in range(len(bounds) - 1):
        part = slice(bounds[index], bounds[index + 1])
        table = {"label": labels[part], "key": ids[part]}
        table.update({name: values[part] for name, values in columns.items()})
        pq.write_table(pa.table(table), dataset / f"part{index:03d}.parquet")
    return dataset


@pytest.fixture(scope="session")
def scheduler() -> Iterator[str]:
    """A LocalCluster of 2 single-threaded worker processes, one per test process (it is
    registered in tests/conftest.py, so every Dask test module shares it): its address."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            processes=True,
            n_workers=2,
            threads_per_worker=1,
            dashboard_address=":0",  # its HTTP routes on a free port, no dashboard
            scheduler_kwargs={"dashboard": False},
        ) as cluster,
        Client(cluster, set_as_default=False) as client,  # the engine must not need one
    ):
        client.wait_for_workers(2)
        yield cluster.scheduler_address
