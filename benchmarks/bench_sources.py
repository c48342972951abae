"""Issue 10's benchmark modes for ``run_bench.py --sizes``: sources other than ``.npy``.

A size may carry a mode prefix:

- ``parquet10Mx10``: ``labels.parquet`` (a ``label`` column of class names ``class_0``...) and
  ``probs.parquet`` (one float32 column per class), written from the seeded ``.npy`` inputs;
  labelaudit find-issues (Parquet out) against the pandas + cleanlab script
  (``cleanlab_baseline.py find-issues-parquet``). Targets: time <= 0.1x, peak RSS <= 0.25x.
- ``npy100Mx10``: the ``.npy`` inputs; labelaudit's exact find-issues against cleanlab's
  approximate large-data path (``find-issues-batched``: ``find_label_issues_batched`` on memory
  maps, batch_size 1M). Targets: time <= 0.25x, peak RSS <= 0.25x; rows that differ reported.
- ``dataset100Mx10``: the same rows as a partitioned Parquet dataset of 100 files (label and
  probability columns in one table), audited by labelaudit alone; target: peak RSS under 3 GB,
  and the same flagged rows as labelaudit on the ``.npy`` inputs when those were run.

All three are in ``make bench``'s default sizes; 100M-row inputs take 4-5 GB of disk per copy.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MODES = ("parquet", "npy", "dataset")
TIME_TARGETS = {"parquet": 0.1, "npy": 0.25}
RSS_TARGETS = {"parquet": 0.25, "npy": 0.25}
DATASET_RSS_LIMIT_MIB = 3 * 1024
DATASET_FILES = 100
ROWS_PER_GROUP = 1 << 20
SOURCES_VERSION = 1


def split_mode(spec: str) -> tuple[str, str]:
    """``"parquet10Mx10"`` -> ``("parquet", "10Mx10")``; no prefix -> ``("", spec)``."""
    match = re.fullmatch(r"(parquet|npy|dataset)?(.+)", spec.strip(), flags=re.IGNORECASE)
    assert match is not None
    return (match.group(1) or "").lower(), match.group(2)


def class_names(k: int) -> list[str]:
    """The class names written to the Parquet inputs."""
    return [f"class_{index}" for index in range(k)]


@dataclass(frozen=True)
class TableInputs:
    """Paths of the Parquet forms of one generated input."""

    labels: Path
    probs: Path


def _done(folder: Path, params: dict) -> bool:
    sidecar = folder / "sources.json"
    return sidecar.is_file() and json.loads(sidecar.read_text()) == params


def _mark(folder: Path, params: dict) -> None:
    (folder / "sources.json").write_text(json.dumps(params, indent=2) + "\n")


def _batch(labels: np.ndarray, probs: np.ndarray, names: list[str], start: int, stop: int):
    """One record batch: ``label`` (class names) and one float32 column per class."""
    import pyarrow as pa

    dictionary = pa.array(names)
    label = pa.DictionaryArray.from_arrays(
        pa.array(labels[start:stop].astype(np.int32)), dictionary
    ).cast(pa.string())
    chunk = np.asarray(probs[start:stop])
    columns = [label] + [pa.array(np.ascontiguousarray(chunk[:, k])) for k in range(chunk.shape[1])]
    return pa.RecordBatch.from_arrays(columns, names=["label", *names])


def write_parquet_inputs(labels_npy: Path, probs_npy: Path, folder: Path) -> TableInputs:
    """``labels.parquet`` and ``probs.parquet`` beside the ``.npy`` inputs (reused when made)."""
    import pyarrow.parquet as pq

    inputs = TableInputs(folder / "labels.parquet", folder / "probs.parquet")
    params = {"version": SOURCES_VERSION, "kind": "parquet"}
    if _done(folder, params) and inputs.labels.is_file() and inputs.probs.is_file():
        return inputs
    labels = np.load(labels_npy, mmap_mode="r")
    probs = np.load(probs_npy, mmap_mode="r")
    names = class_names(probs.shape[1])
    first = _batch(labels, probs, names, 0, min(1, len(labels)))
    with (
        pq.ParquetWriter(inputs.labels, first.select(["label"]).schema) as label_writer,
        pq.ParquetWriter(inputs.probs, first.select(names).schema) as probs_writer,
    ):
        for start in range(0, len(labels), ROWS_PER_GROUP):
            batch = _batch(labels, probs, names, start, start + ROWS_PER_GROUP)
            label_writer.write_batch(batch.select(["label"]))
            probs_writer.write_batch(batch.select(names))
    _mark(folder, params)
    return inputs


def write_dataset(labels_npy: Path, probs_npy: Path, folder: Path) -> Path:
    """A partitioned Parquet dataset (``part=NNN/`` folders, one file each) of labels + probs."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    target = folder / "dataset"
    params = {"version": SOURCES_VERSION, "kind": "dataset", "files": DATASET_FILES}
    if _done(target, params):
        return target
    labels = np.load(labels_npy, mmap_mode="r")
    probs = np.load(probs_npy, mmap_mode="r")
    names = class_names(probs.shape[1])
    n_rows = len(labels)
    bounds = np.linspace(0, n_rows, DATASET_FILES + 1).astype(np.int64)
    for index in range(DATASET_FILES):
        path = target / f"part={index:03d}" / "data.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        start, stop = int(bounds[index]), int(bounds[index + 1])
        batch = _batch(labels, probs, names, start, stop)
        pq.write_table(pa.Table.from_batches([batch]), path, row_group_size=ROWS_PER_GROUP)
    _mark(target, params)
    return target


def labelaudit_argv(labelaudit: Path, mode: str, labels: Path, probs: Path, out: Path) -> list[str]:
    """labelaudit find-issues on a mode's inputs (one table for a dataset)."""
    if mode == "dataset":
        return [str(labelaudit), "find-issues", "--labels", str(labels), "--probs", str(labels),
                "-o", str(out), "--quiet"]  # fmt: skip
    return [str(labelaudit), "find-issues", "--labels", str(labels), "--probs", str(probs),
            "-o", str(out), "--quiet"]  # fmt: skip


def baseline_mode(mode: str) -> str | None:
    """The cleanlab_baseline.py mode a mode is compared with (None: labelaudit alone)."""
    return {"parquet": "find-issues-parquet", "npy": "find-issues-batched"}.get(mode)
