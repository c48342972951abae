"""The plan of the audit inputs: what each source holds, known before any data is read.

Predict's stored metadata (or a ``.classes.json``), the label and id columns, and the classes
of each ``--probs`` source's columns, from schemas and ``.npy`` headers only;
:mod:`labelaudit.io.inputs` then reads every source once along this plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labelaudit.errors import InputError, listing
from labelaudit.io.labels import integer_names, resolve_label_column
from labelaudit.io.probs import ProbsColumns, probability_columns
from labelaudit.io.sources import Source, resolve_source


@dataclass(frozen=True)
class _ProbsPlan:
    """One ``--probs`` source and the class of each of its columns (known before any read)."""

    source: Source
    class_names: list[str]
    columns: ProbsColumns | None  # None for .npy
    class_values: list[Any] | None  # typed classes from predict's metadata or classes.json


def _probs_sources(
    labels_src: Source, probs_paths: Sequence[Path | str], prob_columns: str | None
) -> list[Source]:
    """The ``--probs`` sources; the labels' own table when only ``--prob-columns`` is given."""
    if not probs_paths:
        if prob_columns is not None and labels_src.kind != "npy":
            return [labels_src]
        raise InputError(
            "--probs: at least one probabilities source is needed (or --prob-columns GLOB to "
            "read them from the labels table)."
        )
    sources = []
    for spec in probs_paths:
        source = resolve_source(spec, "probs")
        sources.append(labels_src if source.same_as(labels_src) else source)
    return sources


def _metadata(sources: Sequence[Source]) -> dict[str, Any]:
    """What predict stored with its output (the first source that has it), else ``{}``."""
    for source in sources:
        if source.kind == "npy":
            document = _classes_json(source)
        else:
            document = source.metadata()
        if document:
            return document
    return {}


def _classes_json(source: Source) -> dict[str, Any]:
    """``x.classes.json`` beside a predicted ``x.npy``, when there is one."""
    import json

    path = source.path.with_name(source.path.stem + ".classes.json")
    if not path.is_file():
        return {}
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a readable classes file ({exc}).") from exc
    if not isinstance(document, dict) or not isinstance(document.get("classes"), list):
        raise InputError(f"{path}: must be a JSON object with a 'classes' list.")
    return {**document, "classes_file": str(path), "for": str(source.path)}


def _label_column(
    source: Source, option: str | None, id_column: str | None, meta: dict[str, Any]
) -> str | None:
    """The label column of a table source (``None`` for ``.npy`` labels)."""
    if source.kind == "npy":
        if option is not None:
            raise InputError(f"--label-column {option!r}: {source} is a .npy array, not a table.")
        return None
    names = [n for n in source.schema().names if n != "__index_level_0__"]
    stored = meta.get("label_column")
    if option is None and isinstance(stored, str) and stored in names:
        return stored
    return resolve_label_column(
        Path(source.name), names, option, id_column or meta.get("id_column")
    )


def _id_column(option: str | None, meta: dict[str, Any], sources: Sequence[Source]) -> str | None:
    """``--id-column``, else the id column predict stored, when some input has it."""
    if option is not None:
        return option
    stored = meta.get("id_column")
    if isinstance(stored, str):
        for source in sources:
            if source.kind != "npy" and stored in source.schema().names:
                return stored
    return None


def _plan(
    source: Source,
    labels_src: Source,
    exclude: list[str],
    prob_columns: str | None,
    class_option: list[str] | None,
    meta: dict[str, Any],
) -> _ProbsPlan:
    """The classes of one probs source's columns, from its schema or its ``.npy`` header."""
    stored = meta.get("classes") if isinstance(meta.get("classes"), list) else None
    if source.kind == "npy":
        return _npy_plan(source, class_option, meta)
    schema = source.schema()
    same = source is labels_src
    columns = probability_columns(
        source,
        schema,
        exclude=exclude if same else [n for n in exclude if n in schema.names],
        pattern=prob_columns,
        strict=not same and prob_columns is None,
    )
    typed = None
    if stored is not None and [str(c) for c in stored] == columns.class_names:
        typed = list(stored)
    return _ProbsPlan(source, columns.class_names, columns, typed)


def _npy_plan(source: Source, class_option: list[str] | None, meta: dict[str, Any]) -> _ProbsPlan:
    """A ``.npy`` source: classes from --classes, else its classes.json, else 0..K-1."""
    from labelaudit.io.npy import load_npy

    array = load_npy(source.path, mmap=True)
    n_columns = array.shape[1] if array.ndim == 2 else 0
    typed = None
    if class_option is not None:
        names = class_option
    elif meta.get("for") == str(source.path):
        typed = list(meta["classes"])
        names = [str(c) for c in typed]
        if n_columns and len(names) != n_columns:
            raise InputError(
                f"{meta['classes_file']}: lists {len(names)} classes but {source} has "
                f"{n_columns} columns; it does not belong to this array (re-run predict, or "
                "delete it and pass --classes)."
            )
    else:
        names = [str(index) for index in range(n_columns)]
    if class_option is not None and n_columns and len(class_option) != n_columns:
        raise InputError(
            f"--classes lists {len(class_option)} classes but {source} has {n_columns} columns."
        )
    return _ProbsPlan(source, names, None, typed)


def _reference_classes(plans: Sequence[_ProbsPlan]) -> list[str]:
    """The first source's classes; every other source must cover the same ones."""
    reference = plans[0].class_names
    for plan in plans[1:]:
        if sorted(plan.class_names) != sorted(reference) and plan.class_names:
            raise InputError(
                f"{plan.source}: classes {listing(plan.class_names)} differ from those of "
                f"{plans[0].source} ({listing(reference)}); every --probs file must cover the "
                "same classes."
            )
    return reference


def _class_values(
    plans: Sequence[_ProbsPlan], reference: list[str], labels_src: Source, label: str | None
) -> list[Any]:
    """Classes as shown and written: predict's typed classes, ints for integer names, or text.

    Integer names are shown as ints unless the labels are text stored as such (a Parquet or
    Arrow string column, or string ``.npy`` labels): then they stay text, as given.
    """
    import pyarrow as pa

    if plans[0].class_values is not None:
        return list(plans[0].class_values)
    integers = integer_names(reference)
    if integers is None:
        return list(reference)
    if labels_src.kind == "npy":
        from labelaudit.io.npy import load_npy

        text = load_npy(labels_src.path, mmap=True).dtype.kind in "US"
        return list(reference) if text else integers
    if label is not None and labels_src.kind in ("parquet", "ipc"):
        kind = labels_src.schema().field(label).type
        if pa.types.is_dictionary(kind):
            kind = kind.value_type
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            return list(reference)
    return integers
