"""Terminal output of ``labelaudit evaluate``: its progress bar and its rich tables.

Every string that comes from the data or the command line (class and model names) is shown as
a :class:`rich.text.Text` or escaped, never read as markup.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from labelaudit.report.documents import percent

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

#: The filter find-issues and clean use unless told otherwise (marked in the filter table).
DEFAULT_FILTER = "prune_by_noise_rate"
#: The injected noise matrix is drawn for at most this many classes.
MAX_MATRIX_CLASSES = 12


@contextlib.contextmanager
def fit_progress(*, enabled: bool) -> Iterator[Callable[[str, int, int], None]]:
    """A progress bar on stderr; yields ``on_progress(what, done, total)`` that advances it.

    The bar appears at the first call (once the inputs are valid: no bar above an input error).
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from labelaudit.report.terminal import stderr_console

    progress = Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr_console(),
        disable=not enabled,
    )
    task = progress.add_task("", total=None)
    started = False

    def on_progress(what: str, done: int, total: int) -> None:
        nonlocal started
        if not started:
            progress.start()
            started = True
        progress.update(task, description=what, completed=done, total=total)

    try:
        yield on_progress
    finally:
        if started:
            progress.stop()


def _value(entry: dict[str, Any], key: str, digits: int = 3) -> str:
    """``0.841`` or, over several repeats, ``0.841±0.020``; ``-`` when undefined."""
    value = entry[key]
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if key.startswith("n_"):
        digits = 0 if isinstance(value, int) and "std" not in entry else 1
    text = f"{value:,.{digits}f}"
    spread = entry.get("std", {}).get(key)
    if spread is not None and not math.isnan(spread):
        text += f"±{spread:.{digits}f}"
    return text


def _table(*headers: str) -> Table:
    """A table with the first column left-aligned and the others right-aligned."""
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1), show_edge=False)
    for index, header in enumerate(headers):
        table.add_column(header, justify="left" if index == 0 else "right", no_wrap=True)
    return table


def render_noise(console: Console, document: dict[str, Any]) -> None:
    """What was injected, then per model its filters' and scores' detection of the flips."""
    from rich.text import Text

    flipped = document["n_flipped"]
    repeats = document["repeats"]
    console.print(
        f"Injected noise: rate {document['noise_rate']:g}, sparsity {document['sparsity']:g}, "
        f"seed {document['seed']}: {flipped:,} of {document['n_examples']:,} labels flipped "
        f"({percent(flipped / document['n_examples'])})"
        + (f", mean of {repeats} repeats" if repeats > 1 else "")
        + f"; {document['folds']} folds."
    )
    _print_matrix(console, document)
    for entry in document["models"]:
        console.print()
        title = Text("Model ", style="bold")
        title.append(str(entry["model"]), style="bold")
        title.append(
            f": out-of-fold accuracy {_value(entry, 'accuracy')} on the noisy labels, "
            f"{_value(entry, 'accuracy_true_labels')} on the true ones"
        )
        console.print(title)
        filters = _table("filter", "flagged", "precision", "recall", "F1")
        for item in entry["filters"]:
            name = item["filter_by"] + (" *" if item["filter_by"] == DEFAULT_FILTER else "")
            cells = [_value(item, key) for key in ("n_flagged", "precision", "recall", "f1")]
            filters.add_row(name, *cells)
        console.print(filters)
        scores = _table("score", "AUROC", "AUPRC", "lift@k")
        for item in entry["scores"]:
            name = item["method"] + (" (adjusted)" if item["adjust_pred_probs"] else "")
            scores.add_row(name, *(_value(item, key) for key in ("auroc", "auprc", "lift_at_k")))
        console.print(scores)
    console.print(
        f"* the default filter. Adjusted: --adjust-pred-probs. k = {flipped:,} (the flipped "
        "rows); lift@k = share of flips among the k lowest scores over their share of all "
        "rows. '-' = undefined (nothing flagged or nothing flipped)."
    )


def _print_matrix(console: Console, document: dict[str, Any]) -> None:
    """The injected noise matrix (the first repeat's), as health draws its estimate."""
    import numpy as np

    from labelaudit.report.terminal import noise_heatmap

    classes = list(document["classes"])  # the heatmap shows names as text (terminal.display)
    if document["noise_rate"] == 0 or len(classes) > MAX_MATRIX_CLASSES:
        return
    which = " (the first repeat's)" if document["repeats"] > 1 else ""
    console.print(
        f"Injected noise matrix{which}: % of each true class (column) given each label (row)"
    )
    console.print(noise_heatmap(np.asarray(document["noise_matrix"]), classes))


def render_clean(console: Console, document: dict[str, Any]) -> None:
    """The audit's flags, then each training variant's test metrics and difference to "all"."""
    from rich.text import Text

    summary = Text(f"Audit with {document['model']}")
    summary.append(
        f" ({document['filter_by']}, {document['folds']} folds): flagged "
        f"{document['n_flagged']:,} of {document['n_train']:,} training rows"
    )
    if document["inject_noise"] is not None:
        summary.append(
            f" after {document['n_flipped']:,} labels were flipped "
            f"(--inject-noise {document['inject_noise']:g}, sparsity {document['sparsity']:g})"
        )
    console.print(summary)
    console.print(
        f"Test set: {document['n_test']:,} rows; 95% intervals from {document['n_bootstrap']:,} "
        f"bootstrap resamples (seed {document['seed']})."
    )
    injected = document["inject_noise"] is not None
    for key, title in (("accuracy", "Accuracy on TEST"), ("log_loss", "Log loss on TEST")):
        headers = ["trained on", "rows"] + (["wrong"] if injected else [])
        table = _table(*headers, key.replace("_", " "), "95% CI", "vs all", "95% CI")
        for variant in document["variants"]:
            cells = [variant["name"], f"{variant['n_train']:,}"]
            if injected:
                cells.append(f"{variant['n_label_errors']:,}")
            cells += [f"{variant[key]:.3f}", _interval(variant, key)]
            if variant["name"] == "all":
                cells += ["-", "-"]
            else:
                diff = f"{key}_diff"
                cells += [f"{variant[diff]:+.3f}", _interval(variant, diff, signed=True)]
            table.add_row(*cells)
        console.print(f"{title} ({'higher' if key == 'accuracy' else 'lower'} is better):")
        console.print(table)
    if injected:
        console.print("wrong: training labels that are not the true ones (before the injection).")


def _interval(entry: dict[str, Any], key: str, *, signed: bool = False) -> str:
    """``0.813–0.912`` (``+0.035–+0.105`` when *signed*)."""
    sign = "+" if signed else ""
    return f"{entry[key + '_low']:{sign}.3f}–{entry[key + '_high']:{sign}.3f}"
