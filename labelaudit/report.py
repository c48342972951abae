"""Presentation: result tables (DataFrames), rich terminal output and JSON documents.

Nothing here computes label statistics; it arranges what the core returned, with class names put
back in place of class indices. Human output goes to stdout, progress and warnings to stderr.
"""

from __future__ import annotations

import contextlib
import json
import math
import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from labelaudit.core.health import HealthReport

#: The noise-matrix heatmap is drawn for at most this many classes.
MAX_HEATMAP_CLASSES = 20
_VIRIDIS = ((68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37))


# --- consoles, progress, warnings -------------------------------------------------------------


def stdout_console() -> Console:
    """Console for tables and summaries (stdout); colour follows rich's defaults."""
    # rich is imported where output is drawn: --quiet and --json runs never load it.
    from rich.console import Console

    return Console(file=sys.stdout, highlight=False)


def stderr_console() -> Console:
    """Console for progress and warnings (stderr)."""
    from rich.console import Console

    return Console(file=sys.stderr, highlight=False)


@contextlib.contextmanager
def progress(message: str, *, enabled: bool) -> Iterator[None]:
    """Show a spinner with *message* on stderr while the block runs (only on a terminal)."""
    if not enabled or not sys.stderr.isatty():
        yield
        return
    with stderr_console().status(message):
        yield


def warn(message: str, *, quiet: bool) -> None:
    """Print ``Warning: message`` on stderr unless *quiet*."""
    if not quiet:
        stderr_console().print(f"[yellow]Warning:[/yellow] {message}", markup=True, soft_wrap=True)


def print_json(document: dict[str, Any]) -> None:
    """Write *document* as the single JSON document on stdout."""
    sys.stdout.write(to_json(document) + "\n")
    sys.stdout.flush()


def to_json(document: dict[str, Any]) -> str:
    """Serialise a report document (numpy scalars included) as indented JSON."""
    return json.dumps(_plain(document), indent=2, allow_nan=False)


def _plain(value: Any) -> Any:
    """Convert numpy and pandas values into JSON-serialisable Python values."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, np.ndarray):
        return [_plain(item) for item in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    pandas = sys.modules.get("pandas")  # only present if something already needed it
    if pandas is not None and (value is pandas.NA or value is pandas.NaT):
        return None
    return value


# --- result tables ----------------------------------------------------------------------------


def class_values(classes: Sequence[Any], codes: np.ndarray) -> np.ndarray:
    """The class of each index in *codes* (ints stay ints, names stay strings)."""
    if list(classes) == list(range(len(classes))):
        return codes.astype(np.int64)  # classes 0..K-1: the codes are the classes
    lookup = np.asarray(classes) if all(isinstance(c, int) for c in classes) else None
    if lookup is None:
        lookup = np.empty(len(classes), dtype=object)
        lookup[:] = list(classes)
    return lookup[codes]


def label_rows_columns(
    rows: np.ndarray | slice,
    *,
    classes: Sequence[Any],
    labels: np.ndarray,
    predicted: np.ndarray,
    scores: np.ndarray,
    ids: pd.Series | None = None,
    id_column: str | None = None,
    is_label_issue: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """One output row per position in *rows*: ``row``, id, given/predicted class, quality.

    Returned as named numpy columns, so large outputs can be written without a DataFrame.

    Parameters
    ----------
    rows
        Row positions (0-based) to include, in the order to write them, or a slice of
        consecutive rows (no index array is built).
    labels, predicted
        ``(N,)`` class indices of every row (given, argmax of the probabilities).
    scores
        ``(N,)`` label quality of every row.
    is_label_issue
        ``(N,)`` flags; adds an ``is_label_issue`` column when given.
    """
    if isinstance(rows, slice):
        positions: np.ndarray = np.arange(rows.start, rows.stop, dtype=np.int64)
    else:
        positions = rows = np.asarray(rows, dtype=np.int64)
    columns: dict[str, Any] = {"row": positions}
    if ids is not None and id_column is not None:
        columns[id_column] = ids.to_numpy()[rows]
    columns["given_label"] = class_values(classes, labels[rows])
    columns["predicted_label"] = class_values(classes, predicted[rows])
    columns["label_quality"] = np.asarray(scores)[rows].astype(np.float64)
    if is_label_issue is not None:
        columns["is_label_issue"] = np.asarray(is_label_issue, dtype=bool)[rows]
    return columns


def label_rows_records(rows: np.ndarray, **kwargs: Any) -> list[dict[str, Any]]:
    """:func:`label_rows_columns` as JSON-ready dicts, one per row (for the few rows shown)."""
    columns = label_rows_columns(rows, **kwargs)
    names = list(columns)
    values = [columns[name].tolist() for name in names]
    return [_plain(dict(zip(names, record, strict=True))) for record in zip(*values, strict=True)]


def percent(fraction: float) -> str:
    """``0.0734`` -> ``'7.3%'``."""
    return f"{100 * fraction:.1f}%"


def _quality(value: float) -> str:
    """Label quality for a table cell: 4 decimals, or 2 significant digits when tiny."""
    return f"{value:.4f}" if value >= 1e-3 or value == 0 else f"{value:.1e}"


def _rows_table(records: list[dict[str, Any]]) -> Table:
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD)
    shown = [c for c in records[0] if c not in ("is_label_issue",)]
    headers = {"given_label": "given", "predicted_label": "predicted", "label_quality": "quality"}
    for column in shown:
        numeric = column in ("row", "label_quality")
        table.add_column(headers.get(column, column), justify="right" if numeric else "left")
    for record in records:
        cells = []
        for column in shown:
            value = record[column]
            cells.append(_quality(value) if column == "label_quality" else str(value))
        table.add_row(*cells)
    return table


# --- find-issues ------------------------------------------------------------------------------


def issues_summary(n_issues: int, n_examples: int) -> str:
    """``'N label issues in M rows (x%)'``."""
    noun = "label issue" if n_issues == 1 else "label issues"
    return f"{n_issues:,} {noun} in {n_examples:,} rows ({percent(n_issues / n_examples)})"


def find_issues_document(
    top_rows: list[dict[str, Any]],
    *,
    n_examples: int,
    n_classes: int,
    n_label_issues: int,
    filter_by: str,
    rank_by: str,
    output: str | None,
    fail_above: float | None,
) -> dict[str, Any]:
    """The ``find-issues --json`` document; ``issues`` holds the ``--top`` most likely errors."""
    fraction = n_label_issues / n_examples
    return {
        "n_examples": n_examples,
        "n_classes": n_classes,
        "n_label_issues": n_label_issues,
        "fraction": fraction,
        "filter_by": filter_by,
        "rank_by": rank_by,
        "output": output,
        "fail_above": fail_above,
        "passed": None if fail_above is None else fraction <= fail_above,
        "issues": top_rows,
    }


def render_find_issues(
    console: Console, document: dict[str, Any], top_rows: list[dict[str, Any]]
) -> None:
    """Summary line and the table of the most likely label errors."""
    console.print(issues_summary(document["n_label_issues"], document["n_examples"]))
    if len(top_rows):
        console.print(f"Most likely label errors (top {len(top_rows)}, lowest quality first):")
        console.print(_rows_table(top_rows))
    if document["output"]:
        console.print(f"Wrote {document['output']}")


# --- score ------------------------------------------------------------------------------------


def score_document(
    lowest_rows: list[dict[str, Any]],
    *,
    n_examples: int,
    method: str,
    adjust_pred_probs: bool,
    scores: np.ndarray,
    output: str | None,
) -> dict[str, Any]:
    """The ``score --json`` document; ``lowest`` holds the ``--top`` lowest-quality rows."""
    return {
        "n_examples": n_examples,
        "method": method,
        "adjust_pred_probs": adjust_pred_probs,
        "mean_label_quality": float(np.mean(scores)),
        "min_label_quality": float(np.min(scores)),
        "output": output,
        "lowest": lowest_rows,
    }


def render_score(
    console: Console, document: dict[str, Any], lowest_rows: list[dict[str, Any]]
) -> None:
    """Summary line and the table of the lowest-quality labels."""
    console.print(
        f"Scored {document['n_examples']:,} rows with {document['method']}"
        f"{' (adjusted)' if document['adjust_pred_probs'] else ''}: "
        f"mean label quality {document['mean_label_quality']:.4f}"
    )
    if len(lowest_rows):
        console.print(f"Lowest label quality (top {len(lowest_rows)}):")
        console.print(_rows_table(lowest_rows))
    if document["output"]:
        console.print(f"Wrote {document['output']}")


# --- health -----------------------------------------------------------------------------------


def health_document(report: HealthReport, classes: Sequence[Any]) -> dict[str, Any]:
    """The ``health --json`` document (DESIGN.md section 3), with class names for indices."""
    return _plain(
        {
            "n_examples": int(report.n_examples),
            "n_classes": int(report.n_classes),
            "n_label_issues": int(report.n_label_issues),
            "noise_rate": float(report.noise_rate),
            "health_score": float(report.health_score),
            "classes": [
                {
                    "class": classes[int(c.class_index)],
                    "n_examples": int(c.n_examples),
                    "n_label_issues": int(c.n_label_issues),
                    "n_inverse_label_issues": int(c.n_inverse_label_issues),
                    "label_noise": float(c.label_noise),
                    "inverse_label_noise": float(c.inverse_label_noise),
                    "label_quality": float(c.label_quality),
                }
                for c in report.classes
            ],
            "overlapping_classes": [
                {
                    "class_a": classes[int(o.class_a)],
                    "class_b": classes[int(o.class_b)],
                    "n_overlapping": int(o.n_overlapping),
                    "joint_probability": float(o.joint_probability),
                }
                for o in report.overlapping_classes
            ],
        }
    )


def _viridis(value: float) -> tuple[int, int, int]:
    value = min(max(value, 0.0), 1.0) * (len(_VIRIDIS) - 1)
    low = min(int(value), len(_VIRIDIS) - 2)
    frac = value - low
    a, b = _VIRIDIS[low], _VIRIDIS[low + 1]
    return tuple(round(a[i] + (b[i] - a[i]) * frac) for i in range(3))  # type: ignore[return-value]


def noise_heatmap(noise_matrix: np.ndarray, classes: Sequence[Any]) -> Table:
    """The noise matrix ``P(given=i | true=j)`` in percent, as a colour heatmap table."""
    from rich import box
    from rich.color import Color
    from rich.style import Style
    from rich.table import Table
    from rich.text import Text

    n_classes = len(classes)
    by_index = n_classes > 8
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1))
    table.add_column("given \\ true", justify="left", no_wrap=True)
    for index, name in enumerate(classes):
        header = str(index) if by_index else str(name)[:8]
        table.add_column(header, justify="right", no_wrap=True)
    for i, name in enumerate(classes):
        cells: list[Text | str] = [f"{i} {name}" if by_index else str(name)]
        for j in range(n_classes):
            value = float(noise_matrix[i, j])
            red, green, blue = _viridis(value)
            foreground = "black" if value >= 0.6 else "white"
            style = Style(color=foreground, bgcolor=Color.from_rgb(red, green, blue))
            cells.append(Text(f"{100 * value:3.0f}", style=style))
        table.add_row(*cells)
    return table


def render_health(
    console: Console, report: HealthReport, classes: Sequence[Any], *, top: int
) -> None:
    """Overall panel, per-class table, top overlapping pairs and the noise-matrix heatmap."""
    from rich import box
    from rich.panel import Panel
    from rich.table import Table

    overall = (
        f"Health score [bold]{report.health_score:.3f}[/bold]   "
        f"estimated noise rate [bold]{percent(report.noise_rate)}[/bold]\n"
        f"{issues_summary(report.n_label_issues, report.n_examples)}, "
        f"{report.n_classes} classes"
    )
    console.print(Panel(overall, title="Label health", expand=False))

    console.print("Per class (worst first):")
    per_class = Table(box=box.SIMPLE_HEAD)
    for header in ("class", "rows", "issues", "inv. issues", "label noise", "inv. noise"):
        per_class.add_column(header, justify="left" if header == "class" else "right")
    per_class.add_column("quality", justify="right")
    for c in report.classes:
        per_class.add_row(
            str(classes[int(c.class_index)]),
            f"{int(c.n_examples):,}",
            f"{int(c.n_label_issues):,}",
            f"{int(c.n_inverse_label_issues):,}",
            percent(float(c.label_noise)),
            percent(float(c.inverse_label_noise)),
            f"{float(c.label_quality):.3f}",
        )
    console.print(per_class)

    pairs = list(report.overlapping_classes)[:top]
    if pairs:
        console.print(f"Most overlapping classes (top {len(pairs)}):")
        overlap = Table(box=box.SIMPLE_HEAD)
        for header in ("class a", "class b", "rows", "joint probability"):
            overlap.add_column(header, justify="right" if header[0] in "rj" else "left")
        for o in pairs:
            overlap.add_row(
                str(classes[int(o.class_a)]),
                str(classes[int(o.class_b)]),
                f"{int(o.n_overlapping):,}",
                f"{float(o.joint_probability):.4f}",
            )
        console.print(overlap)

    if report.n_classes <= MAX_HEATMAP_CLASSES:
        heatmap = noise_heatmap(np.asarray(report.noise_matrix), classes)
        console.print(
            "Noise matrix: % of the rows of each true class (column) per given label (row)"
        )
        console.print(heatmap, width=max(console.width, 20 + 5 * report.n_classes))
    else:
        console.print(
            f"Noise matrix not drawn for {report.n_classes} classes "
            f"(more than {MAX_HEATMAP_CLASSES})."
        )


# --- clean ------------------------------------------------------------------------------------


def clean_document(
    *,
    action: str,
    given: Sequence[Any] | None,
    changed: np.ndarray,
    n_flagged: int,
    output: str,
) -> dict[str, Any]:
    """The ``clean --json`` document: rows removed or relabelled, overall and per given class.

    Parameters
    ----------
    given
        The given label of every row of DATA, or ``None`` when unknown (no per-class counts).
    changed
        ``(N,)`` bool: rows removed, or rows whose label was changed.
    """
    changed = np.asarray(changed, dtype=bool)
    n_changed = int(changed.sum())
    per_class: list[dict[str, Any]] = []
    if given is not None:
        import pandas as pd

        given_series = pd.Series(np.asarray(given, dtype=object))
        totals = given_series.value_counts(sort=False)
        changed_counts = given_series[changed].value_counts(sort=False)
        per_class = [
            {
                "class": value,
                "n_examples": int(count),
                "n_changed": int(changed_counts.get(value, 0)),
            }
            for value, count in totals.items()
        ]
        per_class.sort(key=lambda item: (-item["n_changed"], str(item["class"])))
    n_examples = len(changed)
    return _plain(
        {
            "action": action,
            "n_examples": n_examples,
            "n_flagged": n_flagged,
            "n_changed": n_changed,
            "n_rows_written": n_examples - n_changed if action == "remove" else n_examples,
            "output": output,
            "classes": per_class,
        }
    )


def render_clean(console: Console, document: dict[str, Any]) -> None:
    """How many rows were removed or relabelled, per given class."""
    from rich import box
    from rich.table import Table

    verb = "Removed" if document["action"] == "remove" else "Relabelled"
    console.print(
        f"{verb} {document['n_changed']:,} of {document['n_examples']:,} rows "
        f"({percent(document['n_changed'] / document['n_examples'])}); wrote "
        f"{document['n_rows_written']:,} rows to {document['output']}"
    )
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("class")
    table.add_column("rows", justify="right")
    table.add_column(verb.lower(), justify="right")
    for item in document["classes"]:
        table.add_row(str(item["class"]), f"{item['n_examples']:,}", f"{item['n_changed']:,}")
    if document["classes"]:
        console.print("Per given class:")
        console.print(table)
