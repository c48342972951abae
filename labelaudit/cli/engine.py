"""``--engine dask``: check the options and build the Dask engine's sources."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from labelaudit.errors import InputError

if TYPE_CHECKING:
    from labelaudit.pipeline.dask_audit import DaskSources


def dask_sources(
    engine: str,
    scheduler: str | None,
    labels: Path,
    probs: list[Path],
    label_column: str | None,
    id_column: str | None,
    *,
    classes: str | None = None,
    normalize: bool = False,
) -> DaskSources | None:
    """The Dask engine's sources for ``--engine dask``, ``None`` for the local engine.

    Raises
    ------
    InputError
        Without the ``dask`` extra; or with options the Dask engine does not take.
    """
    if engine != "dask":
        if scheduler is not None:
            raise InputError("--scheduler: only used with --engine dask.")
        return None
    from labelaudit.pipeline.dask_engine import INSTALL_HINT

    try:
        import distributed  # noqa: F401
    except ImportError:
        raise InputError(INSTALL_HINT) from None
    if len(probs) != 1 or Path(probs[0]) != Path(labels):
        raise InputError(
            "--engine dask reads the labels and the probabilities from one partitioned Parquet "
            "dataset: pass the same folder or glob to --labels and --probs."
        )
    for given, option in ((classes, "--classes"), (normalize or None, "--normalize")):
        if given is not None:
            raise InputError(f"{option}: not available with --engine dask.")
    from labelaudit.pipeline.dask_audit import DaskSources

    return DaskSources(Path(labels), label_column, id_column, scheduler)
