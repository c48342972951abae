"""Multi-label results: JSON-ready documents and their rich rendering (DESIGN.md section 3.5).

Every string from the data (class names, ids) reaches the terminal as a :class:`rich.text.Text`
or through :func:`rich.markup.escape`, so it is shown literally, never read as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from labelaudit.report.documents import clean_summary, issues_summary, percent, plain

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from labelaudit.core.multilabel import MultilabelHealth

LIST_COLUMNS = ("given_labels", "predicted_labels", "issue_classes")


# --- documents ----------------------------------------------------------------------------------


def _document(**fields: Any) -> dict[str, Any]:
    """A multi-label JSON document: ``"multi_label": true``, then *fields* in order, made plain."""
    return plain({"multi_label": True, **fields})


def find_issues_document(
    top_rows: list[dict[str, Any]],
    *,
    n_examples: int,
    n_classes: int,
    n_label_issues: int,
    options: dict[str, Any],
    output: str | None,
    fail_above: float | None,
) -> dict[str, Any]:
    """``find-issues --multi-label --json``: counts, the options used and the top issues."""
    fraction = n_label_issues / n_examples
    return _document(
        n_examples=n_examples,
        n_classes=n_classes,
        n_label_issues=n_label_issues,
        fraction=fraction,
        **options,
        output=output,
        fail_above=fail_above,
        passed=None if fail_above is None else fraction <= fail_above,
        issues=top_rows,
    )


def score_document(
    lowest_rows: list[dict[str, Any]],
    *,
    n_examples: int,
    options: dict[str, Any],
    mean_quality: float,
    min_quality: float,
    output: str | None,
) -> dict[str, Any]:
    """``score --multi-label --json``: the options, mean and min quality, the lowest rows."""
    return _document(
        n_examples=n_examples,
        **options,
        mean_label_quality=mean_quality,
        min_label_quality=min_quality,
        output=output,
        lowest=lowest_rows,
    )


def health_document(health: MultilabelHealth, classes: Sequence[Any]) -> dict[str, Any]:
    """``health --multi-label --json``: overall score, per-class table and common issues.

    ``classes`` has the keys of single-label health's classes; ``noise_rate`` is the fraction
    of rows flagged by any class (``1 - health_score``).
    """
    return _document(
        n_examples=health.n_examples,
        n_classes=health.n_classes,
        n_label_issues=health.n_label_issues,
        noise_rate=health.n_label_issues / health.n_examples,
        health_score=health.health_score,
        classes=_by_class(health.classes, classes),
        common_issues=_by_class(health.common_issues, classes),
    )


def _by_class(items: Sequence[Any], classes: Sequence[Any]) -> list[dict[str, Any]]:
    """One record per dataclass item: its fields in order, ``class_index`` given as ``class``,
    the class's name (MultilabelClassHealth's fields are single-label ClassHealth's)."""
    from dataclasses import fields

    return [
        {
            "class": classes[item.class_index],
            **{f.name: getattr(item, f.name) for f in fields(item) if f.name != "class_index"},
        }
        for item in items
    ]


def clean_document(
    *,
    action: str,
    relabel_rule: str | None,
    n_examples: int,
    n_flagged: int,
    n_changed: int,
    class_changes: list[dict[str, Any]],
    output: str,
) -> dict[str, Any]:
    """``clean --multi-label --json``: rows removed or relabelled, and per-class tag changes."""
    n_rows_written = n_examples - n_changed if action == "remove" else n_examples
    return _document(
        action=action,
        relabel_rule=relabel_rule,
        n_examples=n_examples,
        n_flagged=n_flagged,
        n_changed=n_changed,
        n_rows_written=n_rows_written,
        output=output,
        classes=class_changes,
    )


# --- terminal -----------------------------------------------------------------------------------


def _cell(value: Any) -> Any:
    """A table cell that shows *value* literally (lists joined by ', ')."""
    from rich.text import Text

    if isinstance(value, list):
        return Text(", ".join(str(item) for item in value) if value else "(none)")
    if isinstance(value, float):
        return Text(f"{value:.4f}" if value >= 1e-3 or value == 0 else f"{value:.1e}")
    return Text(str(value))


def _rows_table(records: list[dict[str, Any]]) -> Table:
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD)
    shown = [c for c in records[0] if c != "is_label_issue"]
    headers = {
        "given_labels": "given",
        "predicted_labels": "predicted",
        "label_quality": "quality",
        "issue_classes": "looks wrong",
    }
    for column in shown:
        numeric = column in ("row", "label_quality")
        table.add_column(headers.get(column, column), justify="right" if numeric else "left")
    for record in records:
        table.add_row(*(_cell(record[column]) for column in shown))
    return table


def _wrote(console: Console, output: str | None) -> None:
    from rich.text import Text

    if output:
        console.print(Text(f"Wrote {output}"))


def render_find_issues(console: Console, document: dict[str, Any]) -> None:
    """Summary line and the most likely label errors."""
    console.print(issues_summary(document["n_label_issues"], document["n_examples"]))
    rows = document["issues"]
    if rows:
        console.print(f"Most likely label errors (top {len(rows)}, lowest quality first):")
        console.print(_rows_table(rows))
    _wrote(console, document["output"])


def render_score(console: Console, document: dict[str, Any]) -> None:
    """Summary line and the lowest-quality label sets."""
    console.print(
        f"Scored {document['n_examples']:,} rows with {document['method']} per class, "
        f"{document['aggregator']}: mean label quality {document['mean_label_quality']:.4f}"
    )
    rows = document["lowest"]
    if rows:
        console.print(f"Lowest label quality (top {len(rows)}):")
        console.print(_rows_table(rows))
    _wrote(console, document["output"])


def render_health(console: Console, document: dict[str, Any], *, top: int) -> None:
    """Overall panel, the per-class table and the most common issues."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from labelaudit.report.terminal import health_panel

    health_panel(
        console,
        document["health_score"],
        f"rows with a flagged tag [bold]{percent(document['noise_rate'])}[/bold]",
        issues_summary(document["n_label_issues"], document["n_examples"]),
        f"{document['n_classes']} classes (multi-label)",
    )
    console.print("Per class (worst first); noise is over all rows:")
    per_class = Table(box=box.SIMPLE_HEAD)
    headers = ("class", "rows with tag", "tag given, looks wrong", "tag missing, looks present")
    for header in (*headers, "quality"):
        per_class.add_column(header, justify="left" if header == "class" else "right")
    for c in document["classes"]:
        per_class.add_row(
            Text(str(c["class"])),
            f"{c['n_examples']:,}",
            f"{c['n_label_issues']:,} ({percent(c['label_noise'])})",
            f"{c['n_inverse_label_issues']:,} ({percent(c['inverse_label_noise'])})",
            f"{c['label_quality']:.3f}",
        )
    console.print(per_class)
    issues = [i for i in document["common_issues"] if i["n_examples"] > 0][:top]
    if issues:
        console.print(f"Most common issues (top {len(issues)}):")
        table = Table(box=box.SIMPLE_HEAD)
        for header in ("class", "issue", "rows", "probability"):
            table.add_column(
                header, justify="right" if header in ("rows", "probability") else "left"
            )
        for item in issues:
            issue = (
                "given, probably absent" if item["in_given_label"] else "missing, probably present"
            )
            table.add_row(
                Text(str(item["class"])),
                issue,
                f"{item['n_examples']:,}",
                f"{item['issue_probability']:.4f}",
            )
        console.print(table)


def render_clean(console: Console, document: dict[str, Any]) -> None:
    """How many rows were removed or relabelled, and which tags changed."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    console.print(Text(clean_summary(document)))
    if document["relabel_rule"]:
        console.print(Text(document["relabel_rule"]))
    changes = [c for c in document["classes"] if c["n_removed"] or c["n_added"]]
    if changes:
        table = Table(box=box.SIMPLE_HEAD)
        relabel = document["action"] == "relabel"
        headers = ("tag removed", "tag added") if relabel else ("removed rows with tag",)
        for header in ("class", "rows with tag", *headers):
            table.add_column(header, justify="left" if header == "class" else "right")
        for c in changes:
            counts = [c["n_removed"], c["n_added"]] if relabel else [c["n_removed"]]
            table.add_row(
                Text(str(c["class"])), f"{c['n_examples']:,}", *(f"{n:,}" for n in counts)
            )
        console.print(table)


def render_predict(err: Console, out: Console, document: dict[str, Any]) -> None:
    """Fit warnings on *err*; the summary table on *out*."""
    from rich.table import Table
    from rich.text import Text

    for message in document["warnings"]:
        err.print(Text(f"Warning: {message}"), soft_wrap=True)
    kinds = document["feature_columns"]
    table = Table(
        title=Text(f"Out-of-fold per-class probabilities written to {document['output']}")
    )
    table.show_header = False
    table.add_column(style="bold")
    table.add_column()
    table.add_row("model", Text(f"{document['model']} (one-vs-rest)"))
    table.add_row("rows × classes", f"{document['n_rows']} × {document['n_classes']}")
    table.add_row(
        "features",
        f"{len(kinds['numeric'])} numeric, {len(kinds['categorical'])} categorical, "
        f"{len(kinds['text'])} text",
    )
    table.add_row("cross-validation", f"{document['folds']} folds, seed {document['seed']}")
    table.add_row(
        "tag accuracy (p ≥ 0.5)",
        f"{document['tag_accuracy']:.4f} (majority per class: "
        f"{document['baseline_tag_accuracy']:.4f})",
    )
    table.add_row("exact set match", f"{document['exact_match']:.4f}")
    table.add_row("time", f"{document['seconds']:.1f} s")
    out.print(table)
    if document["column_classes"]:
        mapping = ", ".join(f"{k} = {name}" for k, name in enumerate(document["classes"]))
        out.print(Text(f"Columns of {document['output']}: {mapping}"), soft_wrap=True)
