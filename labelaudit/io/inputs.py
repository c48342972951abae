"""The audit inputs: labels and every ``--probs`` file, read, validated and class-mapped."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labelaudit.errors import InputError, listing
from labelaudit.io.labels import (
    LABEL_SUFFIXES,
    LabelsFile,
    map_labels,
    parse_classes,
    read_labels,
)
from labelaudit.io.paths import check_readable, check_suffix, suffix_of
from labelaudit.io.probs import PROBS_SUFFIXES, ProbsFile, read_probs, validate_probs

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


@dataclass(frozen=True)
class AuditInputs:
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
    ids: pd.Series | None
    id_column: str | None
    label_column: str | None
    labels_path: Path
    probs_paths: list[Path]

    @property
    def n_examples(self) -> int:
        """Number of rows."""
        return int(self.labels.shape[0])

    @property
    def n_classes(self) -> int:
        """Number of classes."""
        return len(self.classes)


def _check_same_ids(
    first: tuple[Path, pd.Series], other: tuple[Path, pd.Series], name: str
) -> None:
    import numpy as np

    (path_a, ids_a), (path_b, ids_b) = first, other
    text_a = ids_a.astype(str).to_numpy()
    text_b = ids_b.astype(str).to_numpy()
    differ = text_a != text_b
    if differ.any():
        row = int(np.argmax(differ))
        raise InputError(
            f"{path_b}: --id-column {name!r} differs from {path_a} at row {row} "
            f"({text_b[row]!r} vs {text_a[row]!r}); the inputs must list the same rows in the "
            "same order."
        )


def load_audit_inputs(
    labels_path: Path,
    probs_paths: Sequence[Path],
    *,
    label_column: str | None = None,
    id_column: str | None = None,
    classes: str | None = None,
    normalize: bool = False,
    release_pages: bool = True,
) -> AuditInputs:
    """Read, validate and class-map the labels and every ``--probs`` file (all commands use this).

    With *release_pages*, validation drops the pages of a memory-mapped ``.npy`` as it goes
    (see :func:`~labelaudit.io.npy.page_releaser`); a command that re-reads every row right
    away passes False.

    Raises
    ------
    InputError
        Naming the file, column or first bad row and the fix, for any input that cannot be used.
    """
    from labelaudit.core.ranking import mean_pred_probs

    class_option = _check_paths(labels_path, probs_paths, classes)
    labels = read_labels(labels_path, label_column=label_column, id_column=id_column)
    n_rows = len(labels.values)
    if n_rows == 0:
        raise InputError(f"{labels_path}: has no rows; at least one row is needed.")
    probs_files = [read_probs(path, id_column=id_column) for path in probs_paths]
    reference, arrays = _aligned_probs(
        probs_files, n_rows, labels_path, class_option, normalize, release_pages
    )
    ids = _shared_ids(labels, probs_files, id_column)
    codes, class_values = map_labels(labels, reference, probs_files[0].path)
    return AuditInputs(
        labels=codes,
        pred_probs=mean_pred_probs(arrays),
        pred_probs_list=arrays,
        classes=class_values,
        ids=ids,
        id_column=id_column,
        label_column=labels.column,
        labels_path=labels_path,
        probs_paths=list(probs_paths),
    )


def _check_paths(
    labels_path: Path, probs_paths: Sequence[Path], classes: str | None
) -> list[str] | None:
    """Check every input path and ``--classes`` before reading anything; the parsed classes."""
    if not probs_paths:
        raise InputError("--probs: at least one probabilities file is needed.")
    for path in [labels_path, *probs_paths]:
        check_readable(path)
    check_suffix(labels_path, LABEL_SUFFIXES, "labels")
    for path in probs_paths:
        check_suffix(path, PROBS_SUFFIXES, "probs")
    class_option = parse_classes(classes)
    if class_option is not None and all(suffix_of(p) != ".npy" for p in probs_paths):
        raise InputError(
            "--classes: only used with .npy probs; the columns of a probs table name the classes."
        )
    return class_option


def _aligned_probs(
    probs_files: Sequence[ProbsFile],
    n_rows: int,
    labels_path: Path,
    class_option: list[str] | None,
    normalize: bool,
    release_pages: bool,
) -> tuple[list[str], list[np.ndarray]]:
    """Validate every probs file; the class names and the arrays, columns in one class order."""
    import numpy as np

    reference: list[str] | None = None
    reference_path = probs_files[0].path
    arrays: list[np.ndarray] = []
    for probs in probs_files:
        n_probs_rows, n_columns = probs.array.shape
        if n_probs_rows != n_rows:
            raise InputError(
                f"{probs.path}: has {n_probs_rows} rows but {labels_path} has {n_rows}; both "
                "must list the same rows in the same order."
            )
        names = probs.class_names
        if names is None:  # .npy: classes come from --classes, else 0..K-1
            if class_option is not None and len(class_option) != n_columns:
                raise InputError(
                    f"--classes lists {len(class_option)} classes but {probs.path} has "
                    f"{n_columns} columns."
                )
            names = class_option or [str(index) for index in range(n_columns)]
        if reference is None:
            reference = names
        elif sorted(names) != sorted(reference):
            raise InputError(
                f"{probs.path}: classes {listing(names)} differ from those of {reference_path} "
                f"({listing(reference)}); every --probs file must cover the same classes."
            )
        array = validate_probs(probs, normalize=normalize, release_pages=release_pages)
        if names != reference:  # same classes, other column order: reorder to the reference
            order = [names.index(name) for name in reference]
            array = np.ascontiguousarray(array[:, order])
        arrays.append(array)
    assert reference is not None
    return reference, arrays


def _shared_ids(
    labels: LabelsFile, probs_files: Sequence[ProbsFile], id_column: str | None
) -> pd.Series | None:
    """The ``--id-column`` values, checked equal in every input that has the column."""
    if id_column is None:
        return None
    sources = [(p.path, p.ids) for p in probs_files if p.ids is not None]
    if labels.ids is not None:
        sources.append((labels.path, labels.ids))
    if not sources:
        paths = ", ".join(str(p.path) for p in probs_files)
        raise InputError(f"--id-column {id_column!r}: no such column in {paths} or {labels.path}.")
    for other in sources[1:]:
        _check_same_ids(sources[0], other, id_column)
    return sources[0][1].reset_index(drop=True)
