"""Terminal output: rich tables and summaries on stdout, progress and warnings on stderr.

rich is imported where output is drawn, so ``--quiet`` and ``--json`` runs never load it.

Data is text, never markup: every class name, id, column name, path and message from the data
goes through :func:`display`, which gives a :class:`rich.text.Text` (no markup, no emoji codes)
with control characters made visible (:func:`labelaudit.errors.printable`).
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from labelaudit.errors import printable
from labelaudit.report.documents import issues_summary, percent, to_json

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from labelaudit.core.health import HealthReport

#: The noise-matrix heatmap is drawn for at most this many classes.
MAX_HEATMAP_CLASSES = 20
_VIRIDIS = ((68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37))

# --- consoles, progress, warnings -------------------------------------------------------------


def display(value: object, style: str = "") -> Text:
    """*value* as literal text for a table cell or a message: no markup, controls made visible.

    ``[/]`` or ``[link=http://x]y[/link]`` are shown as typed, ``\\x1b[2J`` as ``\\x1b[2J``
    (see :func:`labelaudit.errors.printable`).

    Parameters
    ----------
    value
        A class name, id, column name, path or message; ``str()`` of anything else.
    style
        A rich style for the whole text (applied as a style, so never parsed from the data).
    """
    from rich.text import Text

    return Text(printable(str(value)), style=style)


@functools.cache
def _console_class() -> type[Console]:
    from rich.console import Console

    class _Console(Console):
        """A rich Console that reports a closed pipe instead of exiting with code 1."""

        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))

    return _Console


def stdout_console() -> Console:
    """Console for tables and summaries (stdout); colour follows rich's defaults.

    A closed pipe raises :class:`BrokenPipeError` (rich would exit 1, the code for a failed
    check); the CLI ends quietly (``cli/output.py``).
    """
    # rich is imported where output is drawn: --quiet and --json runs never load it.
    return _console_class()(file=sys.stdout, highlight=False)


def stderr_console() -> Console:
    """Console for progress and warnings (stderr)."""
    return _console_class()(file=sys.stderr, highlight=False)


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
        from rich.text import Text

        line = Text.assemble(("Warning:", "yellow"), " ", display(message))
        stderr_console().print(line, soft_wrap=True)


def print_json(document: dict[str, Any]) -> None:
    """Write *document* as the single JSON document on stdout."""
    sys.stdout.write(to_json(document) + "\n")
    sys.stdout.flush()


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
        header = display(headers.get(column, column))
        table.add_column(header, justify="right" if numeric else "left")
    for record in records:
        cells = []
        for column in shown:
            value = record[column]
            cells.append(display(_quality(value) if column == "label_quality" else value))
        table.add_row(*cells)
    return table


def render_find_issues(
    console: Console, document: dict[str, Any], top_rows: list[dict[str, Any]]
) -> None:
    """Summary line and the table of the most likely label errors."""
    console.print(issues_summary(document["n_label_issues"], document["n_examples"]))
    if len(top_rows):
        console.print(f"Most likely label errors (top {len(top_rows)}, lowest quality first):")
        console.print(_rows_table(top_rows))
    if document["output"]:
        console.print(display(f"Wrote {document['output']}"))


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
        console.print(display(f"Wrote {document['output']}"))


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
        header = display(index if by_index else printable(str(name))[:8])
        table.add_column(header, justify="right", no_wrap=True)
    for i, name in enumerate(classes):
        cells: list[Text | str] = [display(f"{i} {name}" if by_index else name)]
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
            display(classes[int(c.class_index)]),
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
                display(classes[int(o.class_a)]),
                display(classes[int(o.class_b)]),
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


def render_clean(console: Console, document: dict[str, Any]) -> None:
    """How many rows were removed or relabelled, per given class."""
    from rich import box
    from rich.table import Table

    verb = "Removed" if document["action"] == "remove" else "Relabelled"
    console.print(
        display(
            f"{verb} {document['n_changed']:,} of {document['n_examples']:,} rows "
            f"({percent(document['n_changed'] / document['n_examples'])}); wrote "
            f"{document['n_rows_written']:,} rows to {document['output']}"
        )
    )
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("class")
    table.add_column("rows", justify="right")
    table.add_column(verb.lower(), justify="right")
    for item in document["classes"]:
        table.add_row(display(item["class"]), f"{item['n_examples']:,}", f"{item['n_changed']:,}")
    if document["classes"]:
        console.print("Per given class:")
        console.print(table)


# --- predict ----------------------------------------------------------------------------------


@contextlib.contextmanager
def fold_progress(folds: int, *, enabled: bool) -> Iterator[Callable[[int, int], None]]:
    """A ``Fitting folds`` bar on stderr; yields the callback that advances it.

    The bar appears at the first call (once the inputs are valid: no bar above an input error).
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn("Fitting folds"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr_console(),
        disable=not enabled,
    )
    task = progress.add_task("folds", total=folds)
    started = False

    def on_fold(done: int, total: int) -> None:
        nonlocal started
        if not started:
            progress.start()
            started = True
        progress.update(task, completed=done)

    try:
        yield on_fold
    finally:
        if started:
            progress.stop()


def render_predict(err: Console, out: Console, document: dict[str, Any]) -> None:
    """Fit warnings on *err*; the summary table (and ``.npy`` column classes) on *out*."""
    from rich.table import Table

    for message in document["warnings"]:
        err.print(display(f"Warning: {message}"), highlight=False, soft_wrap=True)
    kinds = document["feature_columns"]
    table = Table(title=display(f"Out-of-fold probabilities written to {document['output']}"))
    table.show_header = False
    table.add_column(style="bold")
    table.add_column()
    table.add_row("model", display(document["model"]))
    table.add_row("rows × classes", f"{document['n_rows']} × {document['n_classes']}")
    table.add_row(
        "features",
        f"{len(kinds['numeric'])} numeric, {len(kinds['categorical'])} categorical, "
        f"{len(kinds['text'])} text",
    )
    table.add_row(
        "cross-validation", f"{document['folds']} stratified folds, seed {document['seed']}"
    )
    table.add_row(
        "accuracy",
        f"{document['accuracy']:.4f} (majority class: {document['baseline_accuracy']:.4f})",
    )
    table.add_row("log loss", f"{document['log_loss']:.4f}")
    table.add_row("time", f"{document['seconds']:.1f} s")
    out.print(table)
    if document["column_classes"]:
        mapping = ", ".join(f"{k} = {name}" for k, name in enumerate(document["classes"]))
        out.print(display(f"Columns of {document['output']}: {mapping}"), soft_wrap=True)
