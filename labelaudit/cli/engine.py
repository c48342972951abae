"""``--engine dask``: check the options and pick the pipeline that runs the audit."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from labelaudit.errors import InputError

if TYPE_CHECKING:
    from labelaudit.pipeline.audit import AuditSources
    from labelaudit.pipeline.engines import Engine


def pipeline_for(
    engine: str, scheduler: str | None, sources: AuditSources, *, multi_label: bool = False
) -> tuple[Engine, Any]:
    """The engine (:func:`labelaudit.pipeline.engines.local` or ``dask``) and the sources it
    takes.

    Both engines have the same use cases (``find_issues``, ``score_labels``, ``health``,
    ``report``) with the same options, and build their documents with the same functions.

    Raises
    ------
    InputError
        Without the ``dask`` extra; or with options the Dask engine does not take.
    """
    if engine != "dask":
        if scheduler is not None:
            raise InputError("--scheduler: only used with --engine dask.")
        from labelaudit.pipeline import engines

        return engines.local(), sources
    from labelaudit.pipeline.dask_engine import INSTALL_HINT

    try:
        import distributed  # noqa: F401
    except ImportError:
        raise InputError(INSTALL_HINT) from None
    if multi_label:
        raise InputError("--engine dask: not available with --multi-label.")
    if sources.probs and (len(sources.probs) != 1 or Path(sources.probs[0]) != sources.labels):
        raise InputError(
            "--engine dask reads the labels and the probabilities from one partitioned Parquet "
            "dataset: pass it as --labels (and omit --probs, or pass the same folder or glob)."
        )
    for given, option in ((sources.classes, "--classes"), (sources.normalize, "--normalize")):
        if given:
            raise InputError(f"{option}: not available with --engine dask.")
    from labelaudit.pipeline import dask_audit, engines

    return engines.dask(), dask_audit.DaskSources(
        Path(sources.labels),
        sources.label_column,
        sources.id_column,
        scheduler,
        sources.prob_columns,
        tuple(Path(path) for path in sources.probs),
    )
