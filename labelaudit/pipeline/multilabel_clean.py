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
    data: Path,
    output: Path,
    *,
    sources: MultilabelSources,
    label_column: str | None = None,
    action: str = "remove",
    filter_by: str = "prune_by_noise_rate",
    frac_noise: float = 1.0,
    min_examples_per_class: int = 1,
) -> dict[str, Any]:
    """Write DATA without (or with relabelled) multi-label issues to *output*; the document.

    *sources* read the label sets (DATA's label column by default) and the probabilities; the
    column relabelled is *label_column*, else the one the labels came from, else ``label``.
    """
    import numpy as np

    from labelaudit.core.multilabel import find_multilabel_issues
    from labelaudit.io import check_output, check_readable
    from labelaudit.io.multilabel import TABLE_SUFFIXES
    from labelaudit.io.multilabel_write import OUTPUT_SUFFIXES, read_data, write_arrow
    from labelaudit.io.paths import check_suffix
    from labelaudit.report import multilabel_view

    check_output(output, OUTPUT_SUFFIXES, [data, *sources.paths()])
    check_readable(data)
    check_suffix(data, TABLE_SUFFIXES, "data")
    table = read_data(data)
    inputs = sources.load()
    if inputs.n_examples != table.num_rows:
        raise InputError(
            f"{data}: has {table.num_rows} rows but {sources.labels} has {inputs.n_examples}; "
            "both must list the same rows in the same order."
        )
    mask, per_class = find_multilabel_issues(
        inputs.labels,
        inputs.pred_probs,
        filter_by=filter_by,
        frac_noise=frac_noise,
        min_examples_per_class=min_examples_per_class,
        return_per_class=True,
    )
    rows = np.flatnonzero(mask)
    if action == "remove":
        result, after, changed = _removed(table, mask), None, len(rows)
    else:
        column = label_column or inputs.label_column or "label"
        result, after, changed = _relabelled(table, column, inputs, per_class, rows, sources, data)
    write_arrow(result, output, sources.separator)
    return multilabel_view.clean_document(
        action=action,
        relabel_rule=RELABEL_RULE if action == "relabel" else None,
        n_examples=inputs.n_examples,
        n_flagged=len(rows),
        n_changed=changed,
        class_changes=_class_changes(inputs.labels, rows, after, inputs.classes),
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
