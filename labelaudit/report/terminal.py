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
    summary = issues_summary(document["n_label_issues"], document["n_examples"])
    if document.get("filter_by"):
        summary += f", flagged by --filter-by {document['filter_by']}"
    console.print(summary)
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


#: Heatmap column headers are the class names when every name is at most this long, else numbers.
HEADER_NAME_WIDTH = 8


def noise_heatmap(noise_matrix: np.ndarray, classes: Sequence[Any]) -> Table:
    """The noise matrix ``P(given=i | true=j)`` in percent, as a colour heatmap table.

    Column headers are the class names when they are all short, else the numbers that prefix
    each row's full class name (names are never cut).
    """
    from rich import box
    from rich.color import Color
    from rich.style import Style
    from rich.table import Table
    from rich.text import Text

    n_classes = len(classes)
    names = [str(name) for name in classes]
    by_index = any(len(name) > HEADER_NAME_WIDTH for name in names)
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1))
    table.add_column("given \\ true", justify="left", no_wrap=True)
    for index, name in enumerate(names):
        header = display(index if by_index else name)
        table.add_column(header, justify="right", no_wrap=True)
    for i, name in enumerate(names):
        cells: list[Text | str] = [display(f"{i} {name}" if by_index else name)]
        for j in range(n_classes):
            value = float(noise_matrix[i, j])
            red, green, blue = _viridis(value)
            foreground = "black" if value >= 0.6 else "white"
            style = Style(color=foreground, bgcolor=Color.from_rgb(red, green, blue))
            cells.append(Text(f"{100 * value:3.0f}", style=style))
        table.add_row(*cells)
    return table


def _confusions_table(confusions: Sequence[dict[str, Any]]) -> Table:
    """The largest off-diagonal noise-matrix cells: given, true and ``P(given | true)``."""
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("true class")
    table.add_column("given as")
    table.add_column("% of the true class", justify="right")
    for cell in confusions:
        table.add_row(display(cell["true"]), display(cell["given"]), percent(cell["probability"]))
    return table


def _counts_lines(counts: dict[str, Any]) -> str:
    """The three label-issue counts, each named (see ``documents.counts_document``)."""
    shown = {
        name: "-" if item["value"] is None else f"{item['value']:,}"
        for name, item in counts.items()
    }
    width = max(len(text) for text in shown.values())
    return "\n".join(
        f"  {shown[name]:>{width}}  {item['description']}" for name, item in counts.items()
    )


def _per_class_table(
    report: HealthReport, classes: Sequence[Any], order: Sequence[int] | None
) -> Table:
    """One row per class: worst first, or in ``--class-order``."""
    from rich import box
    from rich.table import Table

    by_index = {int(c.class_index): c for c in report.classes}
    rows = list(report.classes) if order is None else [by_index[int(k)] for k in order]
    per_class = Table(box=box.SIMPLE_HEAD)
    for header in ("class", "rows", "issues", "inv. issues", "label noise", "inv. noise"):
        per_class.add_column(header, justify="left" if header == "class" else "right")
    per_class.add_column("quality", justify="right")
    for c in rows:
        per_class.add_row(
            display(classes[int(c.class_index)]),
            f"{int(c.n_examples):,}",
            f"{int(c.n_label_issues):,}",
            f"{int(c.n_inverse_label_issues):,}",
            percent(float(c.label_noise)),
            percent(float(c.inverse_label_noise)),
            f"{float(c.label_quality):.3f}",
        )
    return per_class


def _render_noise_matrix(
    console: Console,
    report: HealthReport,
    classes: Sequence[Any],
    *,
    top: int,
    order: Sequence[int] | None,
) -> None:
    """The heatmap (in *order*) up to :data:`MAX_HEATMAP_CLASSES`, else the top confusions."""
    from labelaudit.core.health import top_confusions

    matrix = np.asarray(report.noise_matrix)
    if report.n_classes <= MAX_HEATMAP_CLASSES:
        if order is not None:
            matrix = matrix[np.ix_(order, order)]
            classes = [classes[int(k)] for k in order]
        console.print(
            "Noise matrix: % of the rows of each true class (column) per given label (row)"
        )
        heatmap = noise_heatmap(matrix, classes)
        # At its natural width, even past the terminal's: a cut name or cell would mislead.
        natural = console.measure(heatmap, options=console.options.update(width=10_000)).maximum
        saved = console.width
        console.width = max(saved, natural)
        try:
            console.print(heatmap)
        finally:
            console.width = saved
        return
    cells = [
        {"given": classes[c.given], "true": classes[c.true], "probability": c.probability}
        for c in top_confusions(matrix, top)
    ]
    console.print(
        f"Noise matrix not drawn for {report.n_classes} classes (more than "
        f"{MAX_HEATMAP_CLASSES})" + (f"; its {len(cells)} largest confusions:" if cells else ".")
    )
    if cells:
        console.print(_confusions_table(cells))


def render_health(
    console: Console,
    report: HealthReport,
    classes: Sequence[Any],
    *,
    top: int,
    counts: dict[str, Any] | None = None,
    order: Sequence[int] | None = None,
    all_pairs: bool = False,
) -> None:
    """Overall panel, the three counts, per-class table, top overlapping pairs, noise matrix.

    *counts* is the document's ``counts`` (each count named); *order* the ``--class-order``;
    *all_pairs* lists every pair the report holds, not just the *top* ones.
    """
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
    if counts:
        console.print("Label-issue counts, and which is which:")
        console.print(_counts_lines(counts), markup=False, highlight=False, soft_wrap=True)

    console.print("Per class (worst first):" if order is None else "Per class (--class-order):")
    console.print(_per_class_table(report, classes, order))

    pairs = list(report.overlapping_classes)[: None if all_pairs else top]
    if pairs:
        shown = "all pairs" if all_pairs else f"top {len(pairs)}"
        console.print(f"Most overlapping classes ({shown}):")
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
    _render_noise_matrix(console, report, classes, top=top, order=order)


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
    """A ``Fitting fold k of n`` bar with a spinner and elapsed time on stderr.

    Yields the callback that advances it. The bar appears at the first call (once the inputs
    are valid: no bar above an input error) and keeps moving during a long first fold.
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    progress = Progress(
        SpinnerColumn(),
        TextColumn("Fitting folds ({task.description})"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr_console(),
        disable=not enabled,
    )
    task = progress.add_task(f"fold 1 of {folds}", total=folds)
    started = False

    def on_fold(done: int, total: int) -> None:
        nonlocal started
        current = f"fold {min(done + 1, total)} of {total}" if done < total else "done"
        progress.update(task, completed=done, description=current)
        if not started:
            progress.start()
            started = True
        progress.refresh()

    try:
        yield on_fold
    finally:
        if started:
            progress.stop()


def _encodable(text: str, console: Console) -> str:
    """*text* as the console's stream can write it (``\\xd7`` for what it cannot encode)."""
    encoding = getattr(console.file, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return text.encode(encoding, "backslashreplace").decode(encoding)
    except LookupError:
        pass
    return text


def _column_names(names: Sequence[str], limit: int = 6) -> str:
    """``a, b, c`` or ``a, b, … (12 more)``: some of the columns of one kind."""
    shown = ", ".join(str(name) for name in names[:limit])
    return shown + (f", … ({len(names) - limit} more)" if len(names) > limit else "")


def _feature_lines(kinds: dict[str, list[str]]) -> str:
    """Which columns were used as numeric / categorical / text, and which were ignored."""
    lines = [
        f"{len(kinds[kind])} {kind}" + (f": {_column_names(kinds[kind])}" if kinds[kind] else "")
        for kind in ("numeric", "categorical", "text")
    ]
    if kinds.get("ignored"):
        lines.append(f"ignored: {_column_names(kinds['ignored'])}")
    return "\n".join(lines)


def render_predict(err: Console, out: Console, document: dict[str, Any]) -> None:
    """Fit warnings and notes on *err*; the summary table (and ``.npy`` legend) on *out*.

    Whatever *out*'s encoding cannot write (an ASCII locale) is backslash-escaped rather than
    failing after the output file was written.
    """
    from rich.table import Table
    from rich.text import Text

    for message in document.get("notes", []):
        err.print(display(_encodable(f"Note: {message}", err)), highlight=False, soft_wrap=True)
    for message in document["warnings"]:
        err.print(display(_encodable(f"Warning: {message}", err)), highlight=False, soft_wrap=True)
    table = Table(
        title=display(_encodable(f"Out-of-fold probabilities written to {document['output']}", out))
    )
    table.show_header = False
    table.add_column(style="bold")
    table.add_column()
    rows = [
        ("model", document["model"]),
        ("rows x classes", f"{document['n_rows']} x {document['n_classes']}"),
        ("features", _feature_lines(document["feature_columns"])),
        ("cross-validation", f"{document['folds']} stratified folds, seed {document['seed']}"),
        (
            "accuracy",
            f"{document['accuracy']:.4f} (majority class: {document['baseline_accuracy']:.4f})",
        ),
        ("log loss", f"{document['log_loss']:.4f}"),
        ("time", f"{document['seconds']:.1f} s"),
    ]
    for name, value in rows:
        lines = _encodable(str(value), out).split("\n")  # one visible line per feature kind
        table.add_row(name, Text("\n").join(display(line) for line in lines))
    out.print(table)
    if document["column_classes"]:
        mapping = ", ".join(f"{k} = {name}" for k, name in enumerate(document["classes"]))
        out.print(
            display(_encodable(f"Columns of {document['output']}: {mapping}", out)), soft_wrap=True
        )
