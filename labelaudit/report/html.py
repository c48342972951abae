"""The HTML report: one self-contained file from the report document.

Rendered by Jinja2 with autoescape on, so every value from the data (class names, ids, text,
DATA's columns) is escaped; control and direction characters are shown as visible escapes
(:func:`~labelaudit.report.escape.visible`). Styles are inline and the charts are inline SVG
(:mod:`~labelaudit.report.charts`): the page requests nothing from any network when opened.

Jinja2 and matplotlib are the ``report`` extra, imported inside the functions.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labelaudit.errors import InputError
from labelaudit.report.escape import hidden_characters, visible

if TYPE_CHECKING:
    from markupsafe import Markup

TEMPLATES = Path(__file__).resolve().parent / "templates"
MISSING_EXTRA = "the report needs the 'report' extra: pip install 'labelaudit[report]'"
MAX_DATA_COLUMNS = 6
"""DATA columns shown as table columns; more go into a collapsible list in each row."""
MAX_CLASS_ROWS = 200
"""Classes listed in the per-class table (lowest label quality first); the rest are counted."""


def require_report_extra() -> None:
    """Raise :class:`InputError` (exit 2) naming the extra when Jinja2 or matplotlib is missing."""
    try:
        import jinja2  # noqa: F401
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise InputError(MISSING_EXTRA) from exc


def render_report(document: dict[str, Any]) -> str:
    """The report document as a complete HTML page."""
    import jinja2

    from labelaudit.report import charts

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(show=show, pct=pct, num=num, quality=quality)
    matrix = document["noise_matrix"]
    histograms = document["quality_histograms"]
    svg = {
        "heatmap": charts.noise_heatmap(matrix["matrix"], matrix["classes"]),
        "histograms": charts.quality_histograms(
            [(c["class"], c["kept"], c["flagged"]) for c in histograms["classes"]],
            edges=histograms["edges"],
            columns=5,
        ),
    }
    template = environment.get_template("report.html.j2")
    return template.render(
        doc=document,
        charts={name: _trusted(value) for name, value in svg.items()},
        max_data_columns=MAX_DATA_COLUMNS,
        max_class_rows=MAX_CLASS_ROWS,
    )


def _trusted(svg: str) -> Markup:
    """SVG that matplotlib wrote (it escapes the text it draws), inserted as markup."""
    from markupsafe import Markup

    return Markup(svg)


def show(value: Any) -> Markup:
    """Jinja filter: a data value as text: escaped, hidden characters as marked escapes."""
    from markupsafe import Markup, escape

    if value is None:
        return Markup('<span class="missing">(missing)</span>')
    if isinstance(value, float):
        return escape(num(value))
    parts = [
        Markup('<span class="ctl" title="control character">{}</span>').format(piece)
        if hidden
        else escape(piece)
        for hidden, piece in hidden_characters(str(value))
    ]
    return Markup("").join(parts)


def pct(value: float | None, digits: int = 1) -> str:
    """Jinja filter: ``0.0734`` -> ``'7.3%'``."""
    if value is None or not math.isfinite(value):
        return "–"
    return f"{100 * value:.{digits}f}%"


def num(value: float | int | None) -> str:
    """Jinja filter: an integer with thousands separators, a float with 4 significant digits."""
    if value is None:
        return "–"
    if isinstance(value, bool) or not isinstance(value, float):
        return f"{value:,}" if isinstance(value, int) else str(value)
    return f"{value:.4g}"


def quality(value: float | None) -> str:
    """Jinja filter: a label quality score, 4 decimals (2 significant digits when tiny)."""
    if value is None:
        return "–"
    return f"{value:.4f}" if value >= 1e-3 or value == 0 else f"{value:.1e}"


def written_summary(document: dict[str, Any], output: Path) -> str:
    """The line ``report`` prints: where the page is and its headline numbers."""
    health = document["health"]
    n_flagged = document["issues"]["n_flagged"]
    return (
        f"Wrote {visible(output, one_line=True)}: {n_flagged:,} flagged rows of "
        f"{health['n_examples']:,} ({pct(n_flagged / health['n_examples'])}), health score "
        f"{pct(health['health_score'])}."
    )
