"""``clean --multi-label``: a copy of DATA without its label issues, or with suggested label sets.

**Relabel rule.** A flagged row gets its *given* label set with the classes flagged in that row
flipped: a given tag that looks wrong is removed, a missing tag that looks present is added.
The other tags keep the annotator's choice. This is the smallest change the audit supports:
confident learning judged those classes, not the rest, and replacing the whole set by the
model's ``p >= 0.5`` guess would overwrite tags nobody questioned (and copy the model's own
mistakes into the data). With the ``low_*`` filters a flagged row can have no flagged class;
such a row flips the classes where its tag disagrees with ``p >= 0.5``.

DATA's other columns are copied as they are: Parquet/Arrow keep their schema and metadata; CSV
is read and written as text. The label column keeps its type (a list column stays a list of
the same type, a text column is joined with ``--label-separator``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from labelaudit.errors import InputError, listing
from labelaudit.pipeline.options import CleanOptions

if TYPE_CHECKING:
    import numpy as np

    from labelaudit.pipeline.multilabel import MultilabelSources

RELABEL_RULE = (
    "Relabelled rows got their given label set with the classes flagged in that row flipped "
    "(a flagged row with no flagged class: the classes where the tag disagrees with p >= 0.5)."
)


def suggested_label_sets(
    labels: np.ndarray, pred_probs: np.ndarray, per_class: np.ndarray, rows: np.ndarray
) -> np.ndarray:
    """The suggested (n, K) bool label sets of *rows*: given, with the flagged classes flipped.

    A row with no flagged class flips the classes where its tag disagrees with ``p >= 0.5``.
    """
    import numpy as np

    given = labels[rows] == 1
    flip = per_class[rows].copy()
    none = ~flip.any(axis=1)
    if none.any():
        flip[none] = (np.asarray(pred_probs[rows[none]]) >= 0.5) != given[none]
    return given ^ flip


def _class_changes(
    labels: np.ndarray, rows: np.ndarray, after: np.ndarray | None, classes: list[Any]
) -> list[dict[str, Any]]:
    """Per class: rows with the tag, tags removed and added (remove: rows removed with it)."""
    import numpy as np

    before = labels[rows] == 1
    removed = np.count_nonzero(before if after is None else before & ~after, axis=0)
    added = np.zeros_like(removed) if after is None else np.count_nonzero(after & ~before, axis=0)
    totals = np.count_nonzero(labels, axis=0)
    changes = [
        {
            "class": classes[k],
            "n_examples": int(totals[k]),
            "n_removed": int(removed[k]),
            "n_added": int(added[k]),
        }
        for k in range(len(classes))
    ]
    changes.sort(key=lambda c: (-(c["n_removed"] + c["n_added"]), str(c["class"])))
    return changes


def clean_multilabel(
    data: Path, output: Path, *, sources: MultilabelSources, options: CleanOptions | None = None
) -> dict[str, Any]:
    """Write DATA without (or with relabelled) multi-label issues to *output*; the document.

    *sources* read the label sets (DATA's label column by default) and the probabilities; the
    rows are flagged with ``options.issues``; the column relabelled is
    ``options.label_column``, else the one the labels came from, else ``label``.
    """
    import numpy as np

    from labelaudit.pipeline.multilabel import flag_multilabel_issues

    options = options or CleanOptions()
    action = options.action
    table = _read_data(data, output, sources.paths())
    inputs = sources.load()
    if inputs.n_examples != table.num_rows:
        raise InputError(
            f"{data}: has {table.num_rows} rows but {sources.labels} has {inputs.n_examples}; "
            "both must list the same rows in the same order."
        )
    mask, per_class = flag_multilabel_issues(inputs, options.issues)
    rows = np.flatnonzero(mask)
    if action == "remove":
        cleaned = _removed(table, mask), None, len(rows)
    else:
        column = options.label_column or inputs.label_column or "label"
        cleaned = _relabelled(table, column, inputs, per_class, rows, sources, data)
    return _written(cleaned, output, sources.separator, action, inputs.labels, inputs.classes, rows)


def _read_data(data: Path, output: Path, inputs: list[Path]) -> Any:
    """DATA as an Arrow table, once *output* (none of DATA and *inputs*) and DATA are checked."""
    from labelaudit.io import check_output, check_readable
    from labelaudit.io.multilabel import TABLE_SUFFIXES
    from labelaudit.io.multilabel_write import OUTPUT_SUFFIXES, read_data
    from labelaudit.io.paths import check_suffix

    check_output(output, OUTPUT_SUFFIXES, [data, *inputs])
    check_readable(data)
    check_suffix(data, TABLE_SUFFIXES, "data")
    return read_data(data)


def _written(
    cleaned: tuple[Any, np.ndarray | None, int],
    output: Path,
    separator: str,
    action: str,
    labels: np.ndarray,
    classes: list[Any],
    rows: np.ndarray,
) -> dict[str, Any]:
    """Write the cleaned table to *output*; the ``clean --multi-label`` document.

    *cleaned* is the table, the new label sets of *rows* (``None`` when removed) and the
    number of rows changed; *labels* are DATA's label sets over *classes*.
    """
    from labelaudit.io.multilabel_write import write_arrow
    from labelaudit.report import multilabel_view

    result, after, changed = cleaned
    write_arrow(result, output, separator)
    return multilabel_view.clean_document(
        action=action,
        relabel_rule=RELABEL_RULE if action == "relabel" else None,
        n_examples=int(labels.shape[0]),
        n_flagged=len(rows),
        n_changed=changed,
        class_changes=_class_changes(labels, rows, after, classes),
        output=str(output),
    )


def _removed(table: Any, mask: np.ndarray) -> Any:
    from labelaudit.io.multilabel_write import cleaned_table

    return cleaned_table(table, keep=~mask)


def _relabelled(
    table: Any,
    column: str,
    inputs: Any,
    per_class: np.ndarray,
    rows: np.ndarray,
    sources: MultilabelSources,
    data: Path,
) -> tuple[Any, np.ndarray, int]:
    """DATA with the suggested label sets at *rows*; the sets and how many rows changed."""
    import numpy as np

    from labelaudit.io.multilabel_write import cleaned_table, label_sets_like

    if column not in table.column_names:
        raise InputError(
            f"{data}: no label column {column!r} to relabel; pass --label-column NAME "
            f"(columns are {listing(table.column_names)})."
        )
    after = suggested_label_sets(inputs.labels, inputs.pred_probs, per_class, rows)
    changed = int(np.count_nonzero((after != (inputs.labels[rows] == 1)).any(axis=1)))
    like = table.schema.field(column).type
    new_labels = label_sets_like(after, inputs.classes, like, sources.separator)
    result = cleaned_table(table, label_column=column, rows=rows, new_labels=new_labels)
    return result, after, changed


def clean_from_issues(
    data: Path,
    output: Path,
    *,
    issues: Path,
    separator: str = ",",
    options: CleanOptions | None = None,
) -> dict[str, Any]:
    """``clean --multi-label --issues``: reuse a find-issues output instead of recomputing.

    Relabel applies the same rule from the file's ``issue_classes`` (and, for flagged rows with
    none, its ``predicted_labels``); its ``given_labels`` must match DATA's label sets. Of
    *options*, only ``action`` and ``label_column`` apply.
    """
    import numpy as np

    from labelaudit.io.multilabel_issues import read_multilabel_issues

    options = options or CleanOptions()
    action = options.action
    table = _read_data(data, output, [issues])
    found = read_multilabel_issues(issues, table.num_rows, separator)
    column = options.label_column or "label"
    if column not in table.column_names:
        raise InputError(
            f"{data}: no label column {column!r}; pass --label-column NAME (columns are "
            f"{listing(table.column_names)})."
        )
    labels, classes = _data_label_sets(table, column, found, data, separator)
    rows = found.rows
    if action == "remove":
        keep = np.ones(table.num_rows, dtype=bool)
        keep[rows] = False
        cleaned = _removed(table, ~keep), None, len(rows)
    else:
        cleaned = _relabelled_from(table, column, labels, classes, found, data)
    return _written(cleaned, output, separator, action, labels, classes, rows)


def _data_label_sets(
    table: Any, column: str, found: Any, data: Path, separator: str
) -> tuple[np.ndarray, list[Any]]:
    """DATA's label sets over the classes of DATA and of the issues file together."""
    from labelaudit.io.multilabel import LabelSource, label_names, label_sets_to_indicator

    source = LabelSource(data, column, separator)
    sources = [(table.column(column), source)]
    sources += [
        (values, LabelSource(found.path, name, separator)) for name, values in found.columns.items()
    ]
    names = label_names(sources)
    if not names:
        raise InputError(f"{data}: column {column!r}: no row has any label.")
    return label_sets_to_indicator(table.column(column), names, source)


def _relabelled_from(
    table: Any, column: str, labels: np.ndarray, classes: list[Any], found: Any, data: Path
) -> tuple[Any, np.ndarray, int]:
    """DATA with the issues file's suggested label sets at its flagged rows."""
    import numpy as np

    from labelaudit.io.multilabel_write import cleaned_table, label_sets_like

    names = [str(name) for name in classes]
    rows = found.rows
    given = labels[rows] == 1
    recorded = found.indicator("given_labels", names)
    if recorded is not None and (recorded != given).any():
        at = int(rows[np.flatnonzero((recorded != given).any(axis=1))[0]])
        raise InputError(
            f"{data}: row {at}'s labels in column {column!r} differ from the issues file's "
            "given_labels; was it made for other data?"
        )
    flip = found.indicator("issue_classes", names)
    if flip is None:
        raise InputError(f"{found.path}: no 'issue_classes' column, which --action relabel needs.")
    predicted = found.indicator("predicted_labels", names)
    none = ~flip.any(axis=1)
    if predicted is not None and none.any():
        flip[none] = predicted[none] != given[none]
    after = given ^ flip
    changed = int(np.count_nonzero((after != given).any(axis=1)))
    like = table.schema.field(column).type
    new_labels = label_sets_like(after, classes, like, found.separator)
    return (
        cleaned_table(table, label_column=column, rows=rows, new_labels=new_labels),
        after,
        changed,
    )
