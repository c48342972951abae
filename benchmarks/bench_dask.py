"""``make bench`` (Dask part): ``find-issues --engine dask`` on 50M x 10 in 50 partitions.

Writes a seeded partitioned Parquet dataset (float32 probabilities, label column ``label``)
into a temporary folder beside this file, starts a 2-worker LocalCluster (one thread each),
runs ``labelaudit find-issues --engine dask --scheduler ADDRESS -o FOLDER`` as a child process
and reports its wall time and peak RSS (``os.wait4``), each worker's peak RSS (read in the
worker) and the scheduler's. Deletes the data afterwards.

    .venv/bin/python benchmarks/bench_dask.py                      # 50M x 10, 50 partitions
    .venv/bin/python benchmarks/bench_dask.py --rows 1000000 --partitions 8   # a smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def write_partition(folder: Path, index: int, rows: int, n_classes: int, seed: int) -> int:
    """One partition: labels with 10% noise and softmax probabilities, float32."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng([seed, index])
    true = rng.integers(0, n_classes, rows)
    logits = rng.standard_normal((rows, n_classes), dtype=np.float32)
    logits[np.arange(rows), true] += 2.5
    probs = np.exp(logits)
    probs /= probs.sum(axis=1, keepdims=True)
    labels = true.copy()
    noisy = rng.random(rows) < 0.1
    labels[noisy] = rng.integers(0, n_classes, int(noisy.sum()))
    columns = {"label": pa.array(labels.astype(np.int16))}
    columns.update({str(k): pa.array(probs[:, k]) for k in range(n_classes)})
    pq.write_table(pa.table(columns), folder / f"part-{index:05d}.parquet")
    return rows


def generate(folder: Path, rows: int, n_classes: int, partitions: int) -> None:
    """The dataset, written by two processes (the bench's own memory stays small)."""
    sizes = [rows // partitions + (i < rows % partitions) for i in range(partitions)]
    folder.mkdir(parents=True)
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(write_partition, [folder] * partitions, range(partitions), sizes,
                      [n_classes] * partitions, [0] * partitions))  # fmt: skip


def worker_peak_mb() -> float:
    """Peak RSS of the calling process in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(dataset: Path, output: Path, address: str) -> tuple[float, float, str]:
    """find-issues as a child process: wall seconds, peak RSS in MiB, its stdout."""
    command = [
        sys.executable, "-m", "labelaudit", "find-issues", "--labels", str(dataset),
        "--probs", str(dataset), "--engine", "dask", "--scheduler", address,
        "-o", str(output), "--json",
    ]  # fmt: skip
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    stdout, stderr = child.stdout.read(), child.stderr.read()  # type: ignore[union-attr]
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"find-issues failed:\n{stderr}")
    return seconds, usage.ru_maxrss / 1024, stdout


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000_000)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--partitions", type=int, default=50)
    parser.add_argument("--dataset", type=Path, help="reuse this dataset folder (kept afterwards)")
    args = parser.parse_args(argv)
    from distributed import Client, LocalCluster

    work = Path(tempfile.mkdtemp(prefix="dask-bench-", dir=HERE))
    try:
        started = time.perf_counter()
        dataset = args.dataset or work / "ds"
        if args.dataset is None:
            generate(dataset, args.rows, args.classes, args.partitions)
        input_mb = sum(p.stat().st_size for p in dataset.iterdir()) / 2**20
        table_mb = args.rows * args.classes * 4 / 2**20
        print(f"generated {args.rows:,} x {args.classes} in {args.partitions} partitions "
              f"({input_mb:,.0f} MiB Parquet, {table_mb:,.0f} MiB as float32) "
              f"in {time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip
        with (
            LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",  # its HTTP routes on a free port, no dashboard
                scheduler_kwargs={"dashboard": False},
            ) as cluster,
            Client(cluster) as client,
        ):
            idle = client.run(worker_peak_mb)
            seconds, driver_mb, stdout = run(dataset, work / "out", cluster.scheduler_address)
            peaks = client.run(worker_peak_mb)
        document = json.loads(stdout)
        print(f"{document['n_label_issues']:,} label issues in {document['n_examples']:,} rows")
        print(f"wall time: {seconds:.1f} s")
        print(f"driver (find-issues process) peak RSS: {driver_mb:,.0f} MiB")
        for name, peak in sorted(peaks.items()):
            print(f"worker {name} peak RSS: {peak:,.0f} MiB (idle: {idle[name]:,.0f} MiB)")
        print(f"scheduler (bench process) peak RSS: {worker_peak_mb():,.0f} MiB")
        print(f"input: {table_mb:,.0f} MiB of float32 probabilities")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
