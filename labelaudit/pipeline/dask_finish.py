"""The Dask engine's last pass and its outputs.

Each partition's task flags and scores its rows and writes its part file; its result (the
flagged rows' facts) stays on its worker. The driver fetches only what it needs: the flagged
rows' scores (for the exact global ranking, as ``order_label_issues`` sorts them), per-class
counts, and the few top rows. A folder ``-o`` is the part files; a one-file ``-o`` is
assembled from them by the driver: in partition order one part at a time, or (find-issues'
ranked rows) in the global ranking of the flagged rows.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from labelaudit.errors import InputError
from labelaudit.pipeline.dask_tasks import FinishPlan, PartitionSpec, PartitionWork


def part_name(index: int) -> str:
    """``part-00000.parquet`` for the first partition."""
    return f"part-{index:05d}.parquet"


@contextmanager
def output_folder(path: Path) -> Iterator[Path]:
    """A temporary folder beside *path*, renamed onto it only when everything is written."""
    if path.exists():
        raise InputError(f"-o/--output {path}: already exists; remove it or name a new folder.")
    with _scratch_folder(path) as tmp:
        yield tmp
        _drop_unfinished_writes(tmp)
        os.rename(tmp, path)


def _drop_unfinished_writes(folder: Path) -> None:
    """Remove the temporary files of part writes that never finished.

    A worker that dies while writing its part leaves the hidden temporary file of
    :func:`~labelaudit.io.paths.atomic_path` behind (nothing in a killed process cleans up);
    Dask then runs the task again elsewhere, which writes the part itself.
    """
    for leftover in folder.glob(".*.tmp"):
        leftover.unlink(missing_ok=True)


@contextmanager
def _scratch_folder(path: Path) -> Iterator[Path]:
    """A hidden temporary folder beside *path*, removed on exit (if still there)."""
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"-o/--output {path}: the folder {parent} does not exist.")
    # Absolute: the workers write into it, and their working folder is not ours.
    tmp = parent.resolve() / f".{path.name}.partial-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        yield tmp
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def last_pass(
    client: Any,
    specs: list[PartitionSpec],
    plan: FinishPlan,
    works: list[PartitionWork],
    output: Path | None,
) -> Iterator[tuple[list[Any], Path | None]]:
    """Run :func:`finish_task` on every partition, writing the part files of *output*.

    Yields the results' futures (left on the workers) and the folder of part files. A folder
    output is renamed into place when the block ends without error; a one-file output's parts
    are in a temporary folder, removed on exit, that the block assembles the file from.
    """
    from labelaudit.pipeline.dask_tasks import finish_task

    if output is None:
        folders: Any = _no_folder()
    elif output.suffix:
        folders = _scratch_folder(output)
    else:
        folders = output_folder(output)
    with folders as folder:
        tasks = [
            replace(work, part_path=None if folder is None else folder / part_name(p))
            for p, work in enumerate(works)
        ]
        futures = client.map(finish_task, specs, [plan] * len(specs), tasks, pure=False)
        # Wait for every task to end (none may still write into the folder when it goes).
        errors = [future.exception() for future in futures]
        for future, error in zip(futures, errors, strict=True):
            if error is not None:
                future.result()  # raises the task's error
        yield futures, folder


@contextmanager
def _no_folder() -> Iterator[None]:
    yield None


def fetch(client: Any, futures: list[Any], name: str) -> list[Any]:
    """One field of every partition's result, in partition order."""
    from labelaudit.pipeline.dask_tasks import result_field

    return client.gather(client.map(result_field, futures, name=name, pure=False))


def top_rows(
    client: Any, futures: list[Any], counts: list[int], positions: np.ndarray
) -> dict[str, Any]:
    """The facts of the flagged rows at *positions* (indices of all flagged rows in row
    order), in the order given; fetched from the partitions that hold them."""
    import pyarrow as pa

    from labelaudit.pipeline.dask_tasks import result_rows

    starts = np.concatenate(([0], np.cumsum(counts)))
    wanted = np.sort(positions)
    owner = np.searchsorted(starts, wanted, side="right") - 1
    parts = [
        client.submit(result_rows, futures[p], wanted[owner == p] - starts[p], pure=False)
        for p in np.unique(owner)
    ]
    picked = client.gather(parts)
    order = np.searchsorted(wanted, positions)
    names = ("rows", "scores", "labels", "predicted")
    if not picked:
        return {**{name: np.zeros(0, dtype=np.int64) for name in names}, "ids": None}
    facts: dict[str, Any] = {
        name: np.concatenate([part[name] for part in picked])[order] for name in names
    }
    ids = [part["ids"] for part in picked if part["ids"] is not None]
    facts["ids"] = None
    if ids:
        chunks = pa.chunked_array([c for i in ids for c in i.chunks], ids[0].type)
        facts["ids"] = chunks.take(pa.array(order))
    return facts


def assemble_file(
    output: Path, folder: Path, n_parts: int, order: np.ndarray | None = None
) -> None:
    """Write the one-file output from the part files: in partition order, one part at a time,
    or the rows of every part (concatenated) taken in *order*. Written atomically."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from labelaudit.io.paths import atomic_path
    from labelaudit.pipeline.audit import LABEL_COLUMNS

    paths = [folder / part_name(p) for p in range(n_parts)]
    full = [path for path in paths if pq.ParquetFile(path).metadata.num_rows] or paths[:1]
    schema = pq.read_schema(full[0])
    with atomic_path(output) as tmp:
        writer = pq.ParquetWriter(tmp, schema, use_dictionary=list(LABEL_COLUMNS))
        try:
            if order is None:
                for path in full:
                    writer.write_table(pq.read_table(path).cast(schema))
            else:
                tables = [pq.read_table(path).cast(schema) for path in full]
                writer.write_table(pa.concat_tables(tables).take(pa.array(order)))
        finally:
            writer.close()
