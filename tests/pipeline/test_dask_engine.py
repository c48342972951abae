"""The Dask engine equals the local engine bit for bit (documents and written rows), on a
2-process LocalCluster, over many partitions (empty, one-row, missing classes) and tie-heavy
probabilities; and it fails cleanly on bad input or a lost worker. Whole documents and files of
every filter, score and health: tests/cli/test_dask_parity.py."""

from __future__ import annotations

import threading
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from labelaudit.errors import InputError
from labelaudit.pipeline import audit, dask_audit
from labelaudit.pipeline import health as health_module
from labelaudit.pipeline.options import IssueOptions, ResultOptions, ScoreOptions
from tests.dask_datasets import N_CLASSES, tie_heavy, write_dataset

pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("dask")
    labels, probs = tie_heavy()
    write_dataset(folder, labels, probs)
    return folder


def sources(folder: Path, address: str) -> tuple[audit.AuditSources, dask_audit.DaskSources]:
    local = audit.AuditSources(
        folder / "labels.parquet", [folder / "probs.parquet"], id_column="key"
    )
    return local, dask_audit.DaskSources(folder / "ds", id_column="key", scheduler=address)


def quietly(function: Any, *args: Any, **kwargs: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


def same_table(a: Path, b: Path) -> None:
    left, right = pq.read_table(a), pq.read_table(b)
    assert left.schema.names == right.schema.names
    pd.testing.assert_frame_equal(left.to_pandas(), right.to_pandas(), check_exact=True)


@pytest.mark.parametrize("rank_by", ["normalized_margin", "confidence_weighted_entropy"])
def test_rank_by_equals_local(data: Path, scheduler: str, rank_by: str) -> None:
    local, remote = sources(data, scheduler)
    options, results = IssueOptions(rank_by=rank_by), ResultOptions(top=10_000)
    expected, _ = quietly(audit.find_issues, local, options, results)
    got, _ = quietly(dask_audit.find_issues, remote, options, results)
    assert got == expected


def test_partitioned_output_holds_the_local_rows(data: Path, scheduler: str, tmp_path: Path):
    local, remote = sources(data, scheduler)
    every_row = IssueOptions(), ResultOptions(all_rows=True, output=tmp_path / "all.parquet")
    quietly(audit.find_issues, local, *every_row)
    every_row = IssueOptions(), ResultOptions(all_rows=True, output=tmp_path / "all")
    quietly(dask_audit.find_issues, remote, *every_row)
    parts = sorted((tmp_path / "all").iterdir())
    assert [p.name for p in parts] == [f"part-{i:05d}.parquet" for i in range(10)]
    expected = pd.read_parquet(tmp_path / "all.parquet")
    got = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]

    quietly(dask_audit.find_issues, remote, None, ResultOptions(output=tmp_path / "issues"))
    flagged = pd.concat([pd.read_parquet(p) for p in sorted((tmp_path / "issues").iterdir())])
    expected_issues = expected[expected["is_label_issue"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(
        flagged.sort_values("row").reset_index(drop=True), expected_issues, check_exact=True
    )


@pytest.mark.parametrize(
    ("method", "adjust"),
    [
        # With --adjust-pred-probs: tests/cli/test_dask_parity.py.
        ("self_confidence", False),
        ("normalized_margin", False),
        ("confidence_weighted_entropy", False),
    ],
)
def test_score_equals_local(data: Path, scheduler: str, method: str, adjust: bool, tmp_path):
    local, remote = sources(data, scheduler)
    options = ScoreOptions(method=method, adjust_pred_probs=adjust)
    expected = audit.score_labels(local, options, ResultOptions(tmp_path / "a.parquet", top=50))
    got = dask_audit.score_labels(remote, options, ResultOptions(tmp_path / "b.parquet", top=50))
    expected.pop("output"), got.pop("output")
    assert got == expected
    same_table(tmp_path / "a.parquet", tmp_path / "b.parquet")


def test_float64_and_another_seed(scheduler: str, tmp_path: Path) -> None:
    labels, probs = tie_heavy(seed=7, dtype=np.float64)
    write_dataset(tmp_path, labels, probs, bounds=(0, 5, 5, 6, 1000, 2400))
    local, remote = sources(tmp_path, scheduler)
    for filter_by in ("prune_by_noise_rate", "both"):
        options, results = IssueOptions(filter_by=filter_by), ResultOptions(top=10_000)
        expected, _ = quietly(audit.find_issues, local, options, results)
        got, _ = quietly(dask_audit.find_issues, remote, options, results)
        assert got == expected
    expected_health = quietly(health_module.health, local).document
    assert quietly(dask_audit.health, remote).document == expected_health


class Spy:
    """Checks everything the driver receives: no (rows, K) table, only N-vectors and K x K."""

    def __init__(self) -> None:
        self.largest = 0
        self.checked = 0

    def check(self, value: Any) -> Any:
        self.checked += 1
        for item in value.values() if isinstance(value, dict) else [value]:
            if isinstance(item, list | tuple):
                [self.check(inner) for inner in item]
            elif isinstance(item, np.ndarray):
                assert item.ndim == 1 or item.shape == (N_CLASSES, N_CLASSES), item.shape
                self.largest = max(self.largest, item.size)
            elif hasattr(item, "joint_counts"):
                assert item.joint_counts.shape == (N_CLASSES, N_CLASSES)
        return value


def test_the_driver_never_holds_the_table(data, scheduler, monkeypatch, tmp_path) -> None:
    from distributed import Client, Future

    spy = Spy()
    result, gather = Future.result, Client.gather
    monkeypatch.setattr(Future, "result", lambda self, *a, **k: spy.check(result(self, *a, **k)))
    monkeypatch.setattr(Client, "gather", lambda self, *a, **k: spy.check(gather(self, *a, **k)))
    _, remote = sources(data, scheduler)
    # Every kind of driver decision: cut-offs and tied cells, prune-by-class picks, low_* picks.
    for filter_by in ("both", "low_normalized_margin"):
        options = IssueOptions(filter_by=filter_by)
        quietly(dask_audit.find_issues, remote, options, ResultOptions(tmp_path / filter_by))
    dask_audit.score_labels(remote, ScoreOptions("normalized_margin", adjust_pred_probs=True))
    quietly(dask_audit.health, remote)
    assert spy.checked > 100
    assert 0 < spy.largest <= 2400


def test_unreachable_scheduler_fails_fast(data: Path, monkeypatch) -> None:
    monkeypatch.setattr("labelaudit.pipeline.dask_engine.CONNECT_TIMEOUT", 1)
    remote = dask_audit.DaskSources(data / "ds", id_column="key", scheduler="tcp://127.0.0.1:9")
    started = time.monotonic()
    with pytest.raises(InputError, match="no Dask scheduler answered"):
        dask_audit.health(remote)
    assert time.monotonic() - started < 15


def test_mismatched_schemas_name_the_partition(tmp_path: Path) -> None:
    labels, probs = tie_heavy()
    dataset = write_dataset(tmp_path, labels, probs)
    table = pq.read_table(dataset / "part006.parquet")
    table = table.set_column(2, "0", pa.array(probs[40:700, 0].astype(np.float64)))
    pq.write_table(table, dataset / "part006.parquet")
    remote = dask_audit.DaskSources(dataset, id_column="key", scheduler="tcp://127.0.0.1:9")
    with pytest.raises(InputError, match=r"part006\.parquet: column .0. is double, not float"):
        dask_audit.health(remote)


def test_a_killed_worker_leaves_no_partial_output(data, scheduler, tmp_path) -> None:
    """Dask retries the lost tasks (the result is then exact) or the run fails; either way
    no output folder and no temporary folder is left half-written."""
    import os

    from distributed import Client

    _, remote = sources(data, scheduler)
    target = tmp_path / "out"
    with Client(scheduler, set_as_default=False) as client:
        victim = sorted(client.scheduler_info()["workers"])[0]

        def kill() -> None:
            time.sleep(0.5)
            try:
                client.run(os._exit, 1, workers=[victim])
            except Exception:  # the worker dies before it answers
                pass

        killer = threading.Thread(target=kill)
        killer.start()
        try:
            document, _ = quietly(dask_audit.find_issues, remote, None, ResultOptions(target))
        except Exception:
            assert not target.exists()
        else:
            expected, _ = quietly(audit.find_issues, sources(data, scheduler)[0])
            assert document["n_label_issues"] == expected["n_label_issues"]
            assert len(list(target.iterdir())) == 10
        finally:
            killer.join()
            client.wait_for_workers(2, timeout=60)
            assert victim not in client.scheduler_info()["workers"]  # it was killed
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_cluster_failure_is_one_error_line() -> None:
    """What Dask raises when a task's workers keep dying (past its retries) becomes an
    ``InputError`` (exit 2, one ``Error:`` line); a task's own InputError passes unchanged."""
    from types import SimpleNamespace

    from distributed.scheduler import KilledWorker

    from labelaudit.pipeline.dask_engine import cluster_errors

    with pytest.raises(InputError, match=r"^the Dask cluster failed \(KilledWorker: .*\); nothing"):
        with cluster_errors():
            raise KilledWorker("finish_task-1", SimpleNamespace(address="tcp://127.0.0.1:1"), 3)
    with pytest.raises(InputError, match=r"part003\.parquet: bad row"):
        with cluster_errors():
            raise InputError("part003.parquet: bad row")
    with pytest.raises(ZeroDivisionError):  # not the cluster's: a bug, shown as one
        with cluster_errors():
            raise ZeroDivisionError


def test_an_output_folder_keeps_no_unfinished_part_write(tmp_path: Path) -> None:
    """What a worker killed mid-write leaves (atomic_path's hidden temporary file) is not
    renamed into the output with the parts the retried tasks wrote."""
    from labelaudit.pipeline.dask_finish import output_folder, part_name

    target = tmp_path / "out"
    with output_folder(target) as folder:
        (folder / part_name(0)).write_bytes(b"part")
        (folder / f".{part_name(1)}.0123456789ab.tmp").write_bytes(b"half a part")
        (folder / part_name(1)).write_bytes(b"part, written again")
    assert sorted(p.name for p in target.iterdir()) == [part_name(0), part_name(1)]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
