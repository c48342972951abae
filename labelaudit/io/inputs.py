"""The audit inputs: labels and every ``--probs`` file, read, validated and class-mapped."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labelaudit.errors import InputError
from labelaudit.io.dims import InputDims
from labelaudit.io.ids import check_no_missing_ids
from labelaudit.io.input_plan import (
    _class_values,
    _id_column,
    _label_column,
    _metadata,
    _plan,
    _probs_sources,
    _ProbsPlan,
    _reference_classes,
)
from labelaudit.io.labels import ClassMatcher, integer_names, parse_classes
from labelaudit.io.probs import probs_dtype, read_probs, stream_table, validate_probs
from labelaudit.io.sources import Source, resolve_source

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class AuditInputs(InputDims):
    """Everything the audit commands need, validated and mapped to class indices.

    Attributes
    ----------
    labels
        ``(N,)`` class indices ``0..K-1`` in the smallest integer dtype.
    pred_probs
        ``(N, K)`` float32/float64 probabilities: the single ``--probs`` array (possibly a
        memory map) or the row-wise mean of several.
    pred_probs_list
        One ``(N, K)`` array per ``--probs`` file, columns in class order.
    classes
        The class of each column, as shown and written: ints when the labels are integers and
        every class name is an integer, else strings.
    ids, id_column
        The ``--id-column`` values and name, or ``None``.
    label_column
        The name of the label column of a table, ``None`` for ``.npy`` labels.
    """

    labels: np.ndarray
    pred_probs: np.ndarray
    pred_probs_list: list[np.ndarray]
    classes: list[Any]
    ids: Any
    id_column: str | None
    label_column: str | None
    labels_path: Path
    probs_paths: list[Path]
    sources: tuple[Source, ...] = ()


def load_audit_inputs(
    labels_path: Path | str,
    probs_paths: Sequence[Path | str],
    *,
    label_column: str | None = None,
    id_column: str | None = None,
    classes: str | None = None,
    normalize: bool = False,
    release_pages: bool = True,
    prob_columns: str | None = None,
) -> AuditInputs:
    """Read, validate and class-map the labels and every ``--probs`` source (all commands).

    Sources are files, Parquet folders or globs, or ``-`` (see :mod:`labelaudit.io.sources`).
    With *prob_columns* (a glob such as ``'prob_*'``) and no *probs_paths*, or a ``--probs``
    equal to the labels, the probabilities are read from the labels' table in the same pass.
    With *release_pages*, validation drops the pages of a memory-mapped ``.npy`` as it goes
    (see :func:`~labelaudit.io.npy.page_releaser`); a command that re-reads every row right
    away passes False.

    Raises
    ------
    InputError
        Naming the source, column or first bad row and the fix, for any input that cannot be
        used. Nothing is written before every input has been read and checked.
    """
    from labelaudit.core.ranking import mean_pred_probs

    class_option = parse_classes(classes)
    labels_src = resolve_source(labels_path, "labels")
    probs_srcs = _probs_sources(labels_src, probs_paths, prob_columns)
    if class_option is not None and all(src.kind != "npy" for src in probs_srcs):
        raise InputError(
            "--classes: only used with .npy probs; the columns of a probs table name the classes."
        )
    meta = _metadata([labels_src, *probs_srcs])
    label_name = _label_column(labels_src, label_column, id_column, meta)
    id_name = _id_column(id_column, meta, [labels_src, *probs_srcs])
    exclude = [name for name in (label_name, id_name) if name]
    plans = [
        _plan(src, labels_src, exclude, prob_columns, class_option, meta) for src in probs_srcs
    ]
    reference = _reference_classes(plans)
    where = f"{labels_src}" + (f": column {label_name!r}" if label_name else "")
    matcher = ClassMatcher(reference, where, str(plans[0].source))
    codes, arrays, ids = _read_all(
        labels_src, plans, matcher, label_name, id_name, normalize, release_pages
    )
    return AuditInputs(
        labels=codes,
        pred_probs=mean_pred_probs(arrays),
        pred_probs_list=arrays,
        classes=_class_values(plans, reference, labels_src, label_name),
        ids=ids,
        id_column=id_name,
        label_column=label_name,
        labels_path=Path(str(labels_path)),
        probs_paths=[Path(str(p)) for p in probs_paths],
        sources=(labels_src, *probs_srcs),
    )


def _read_all(
    labels_src: Source,
    plans: Sequence[_ProbsPlan],
    matcher: ClassMatcher,
    label: str | None,
    id_name: str | None,
    normalize: bool,
    release_pages: bool,
) -> tuple[np.ndarray, list[np.ndarray], Any]:
    """Read every source once: label codes, probabilities in reference column order, ids."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        # A labels table that no probabilities pass reads is read alongside them: pyarrow
        # decodes without the GIL. Its errors are still raised after the probabilities' ones.
        apart = labels_src.kind not in ("npy", "stdin") and all(
            plan.source is not labels_src or plan.columns is None for plan in plans
        )
        later = pool.submit(_read_labels, labels_src, matcher, label, id_name) if apart else None
        codes, arrays, ids_by_source = _read_probs(
            plans, (labels_src, label, matcher), id_name, normalize, release_pages
        )
        label_ids = None
        if later is not None:
            codes, label_ids = later.result()
        elif codes is None:
            codes, label_ids = _read_labels(labels_src, matcher, label, id_name)
    if label_ids is not None:
        ids_by_source.append((labels_src, label_ids))
    _check_rows(labels_src, codes, plans[0].source, arrays[0])
    return (
        codes,
        arrays,
        _shared_ids(ids_by_source, id_name, [labels_src, *(p.source for p in plans)]),
    )


def _read_probs(
    plans: Sequence[_ProbsPlan],
    labels: tuple[Source, str | None, ClassMatcher],
    id_name: str | None,
    normalize: bool,
    release_pages: bool,
) -> tuple[np.ndarray | None, list[np.ndarray], list[tuple[Source, Any]]]:
    """Every probabilities source in reference column order, the label codes when one of them
    is the labels table (*labels*: its source, label column and matcher), and the ids found."""
    import numpy as np

    labels_src, label, matcher = labels
    reference = plans[0].class_names
    codes = None
    arrays: list[np.ndarray] = []
    ids_by_source: list[tuple[Source, Any]] = []
    for plan in plans:
        if plan.columns is None:
            array = _npy_probs(plan, normalize, release_pages)
        else:
            schema = plan.source.schema()
            read_label = plan.source is labels_src and codes is None
            streamed = stream_table(
                plan.source,
                probs=plan.columns,
                dtype=probs_dtype(schema, plan.columns.columns),
                label=(label, matcher) if read_label and label else None,
                id_column=id_name if id_name in schema.names else None,
                normalize=normalize,
            )
            array = streamed.probs
            codes = streamed.codes if read_label else codes
            if streamed.ids is not None:
                ids_by_source.append((plan.source, streamed.ids))
        if arrays and array.shape[0] != arrays[0].shape[0]:
            raise InputError(
                f"{plan.source}: has {array.shape[0]} rows but {plans[0].source} has "
                f"{arrays[0].shape[0]}; every input must list the same rows in the same order."
            )
        if plan.class_names != reference:  # same classes, other column order
            order = [plan.class_names.index(name) for name in reference]
            array = np.ascontiguousarray(array[:, order])
        arrays.append(array)
    return codes, arrays, ids_by_source


LARGE_MAP_BYTES = 1 << 30
"""A memory map larger than this has its pages released as it is validated, whatever the
caller asked: keeping them would hold the whole file in resident memory."""


def _npy_probs(plan: _ProbsPlan, normalize: bool, release_pages: bool) -> np.ndarray:
    """A memory-mapped ``.npy`` of probabilities, validated."""
    probs = read_probs(plan.source.path)
    release = release_pages or probs.array.nbytes > LARGE_MAP_BYTES
    return validate_probs(probs, normalize=normalize, release_pages=release)


def _refuse_label_lists(kind: Any, matcher: ClassMatcher) -> None:
    """Raise the ``--multi-label`` hint for a list-typed label column (label sets)."""
    import pyarrow as pa

    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
        from labelaudit.io.multilabel import multilabel_hint

        raise InputError(
            f"{matcher.where}: every row holds a list of labels ({kind}), not one label.\n"
            f"{multilabel_hint([], matcher.class_names)}"
        )


def _read_labels(
    source: Source, matcher: ClassMatcher, label: str | None, id_name: str | None
) -> tuple[np.ndarray, Any]:
    """Class codes of the labels (and the ids of a labels table)."""
    import numpy as np
    import pyarrow as pa

    from labelaudit.core._arrays import compact_int_dtype

    if source.kind != "npy":
        assert label is not None
        schema = source.schema()
        names = schema.names
        if label in names:
            _refuse_label_lists(schema.field(label).type, matcher)
        streamed = stream_table(
            source, label=(label, matcher), id_column=id_name if id_name in names else None
        )
        return streamed.codes, streamed.ids
    from labelaudit.io.labels import read_labels

    n_classes = len(matcher.class_names)
    if integer_names(matcher.class_names) == list(range(n_classes)):
        codes = _npy_integer_codes(source, matcher)
        if codes is not None:
            return codes, None
    values = read_labels(source.path).values
    if values.dtype.kind in "US":
        values = values.astype(str)
    code_dtype = compact_int_dtype(len(matcher.class_names))
    n_classes = len(matcher.class_names)
    if values.dtype.kind in "iu" and integer_names(matcher.class_names) == list(range(n_classes)):
        # Integer labels 0..K-1 are their own codes: a range check, no lookup (100M rows).
        if values.size and (values.min() < 0 or values.max() >= n_classes):
            matcher.encode(pa.array(values))  # raises naming the first label that is not a class
        return values.astype(code_dtype), None
    return np.asarray(matcher.encode(pa.array(values)), dtype=code_dtype), None


def _check_rows(labels_src: Source, codes: np.ndarray, probs_src: Source, probs: Any) -> None:
    """Labels and probabilities must have the same (non-zero) number of rows."""
    n_rows = int(codes.shape[0])
    if n_rows == 0:
        raise InputError(f"{labels_src}: has no rows; at least one row is needed.")
    if probs.shape[0] != n_rows:
        raise InputError(
            f"{probs_src}: has {probs.shape[0]} rows but {labels_src} has {n_rows}; both "
            "must list the same rows in the same order."
        )


def _shared_ids(
    found: Sequence[tuple[Source, Any]], id_name: str | None, sources: Sequence[Source]
) -> Any:
    """The id column's values, checked equal in every input that has the column."""
    if id_name is None:
        return None
    import pyarrow.compute as pc

    if not found:
        names = ", ".join(dict.fromkeys(str(s) for s in sources))
        raise InputError(f"--id-column {id_name!r}: no such column in {names}.")
    check_no_missing_ids(sorted(found, key=lambda item: item[0] is not sources[0]), id_name)
    first_src, first = found[0]
    text = pc.cast(first, "string")
    for other_src, other in found[1:]:
        if other is first:
            continue
        other_text = pc.cast(other, "string")
        differ = pc.fill_null(pc.not_equal(text, other_text), True)
        if pc.any(differ).as_py():
            row = pc.index(differ, True).as_py()
            raise InputError(
                f"{other_src}: --id-column {id_name!r} differs from {first_src} at row {row} "
                f"({other_text[row].as_py()!r} vs {text[row].as_py()!r}); the inputs must list "
                "the same rows in the same order."
            )
    return first


LABEL_CHUNK_ROWS = 1 << 22
"""Integer ``.npy`` labels are converted to codes this many rows at a time."""


def _npy_integer_codes(source: Source, matcher: ClassMatcher) -> np.ndarray | None:
    """Integer ``.npy`` labels 0..K-1 as codes, read a chunk at a time from a memory map.

    Neither the int64 labels nor their pages stay in memory (100M labels are 800 MB).
    ``None`` when the file does not hold a 1-D integer array (read as any other labels).
    """
    import numpy as np
    import pyarrow as pa

    from labelaudit.core._arrays import compact_int_dtype
    from labelaudit.io.npy import load_npy, page_releaser

    mapped = load_npy(source.path, mmap=True)
    if mapped.ndim == 2 and mapped.shape[1] == 1:
        mapped = mapped[:, 0]
    if mapped.ndim != 1 or mapped.dtype.kind not in "iu":
        return None
    n_classes = len(matcher.class_names)
    codes = np.empty(mapped.shape[0], dtype=compact_int_dtype(n_classes))
    release = page_releaser(mapped.reshape(-1, 1))
    for start in range(0, mapped.shape[0], LABEL_CHUNK_ROWS):
        part = np.asarray(mapped[start : start + LABEL_CHUNK_ROWS])
        if part.min() < 0 or part.max() >= n_classes:
            matcher.encode(pa.array(part), start)  # raises naming the first label not a class
        codes[start : start + part.shape[0]] = part
        if release is not None:
            release(slice(start, start + part.shape[0]))
    return codes
