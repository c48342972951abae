"""The report's charts, drawn with matplotlib and returned as inline SVG.

Text stays text (``svg.fonttype = "none"``): it is sharp at any zoom and in print, selectable,
and drawn by the browser in a sans-serif font the page names (no font file is needed, none is
fetched). Math-text parsing is off, so a class named ``$x$`` is shown as typed. The SVG is made
fit to sit inside an HTML page: no XML prolog, no DOCTYPE or namespace URLs, no metadata, and
element ids prefixed per chart so that two charts never share one.

matplotlib is imported inside the functions (it is the ``report`` extra). Figures get an Agg
canvas of their own and the style is applied in an ``rc_context``: no display is needed, and
neither pyplot's global backend nor the caller's rcParams are touched.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import re
import warnings
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from labelaudit.report.escape import visible

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_RC = {
    "svg.fonttype": "none",
    "svg.hashsalt": "labelaudit",  # stable ids: the same report, the same file
    "text.parse_math": False,
    "font.family": "sans-serif",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
_NO_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}
_CHART_IDS = itertools.count(1)
LABEL_CHARS = 24
"""Class names longer than this are cut (with ``…``) in chart labels; tables show them whole."""


def short_label(value: Any) -> str:
    """A class name for a chart axis: visible escapes, one line, at most :data:`LABEL_CHARS`."""
    text = visible(value, one_line=True)
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def to_svg(figure: Figure, *, tight: bool = True) -> str:
    """*figure* as an ``<svg>`` element for an HTML page (*tight*: crop to what is drawn, at
    the cost of a second draw)."""
    buffer = io.StringIO()
    with warnings.catch_warnings():
        # Glyphs missing from matplotlib's font only affect its size estimates; the browser
        # draws the text with its own fonts.
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        figure.savefig(
            buffer, format="svg", metadata=_NO_METADATA, bbox_inches="tight" if tight else None
        )
    return inline_svg(buffer.getvalue(), prefix=f"c{next(_CHART_IDS)}-")


def inline_svg(svg: str, *, prefix: str) -> str:
    """matplotlib's SVG file as an element for inline use in HTML (see the module docstring)."""
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg, count=2)
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}{m.group(1)}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m.group(1)})", svg)
    return re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}{m.group(1)}"', svg)


@contextlib.contextmanager
def _style() -> Iterator[None]:
    """The report's matplotlib settings while a chart is drawn and saved."""
    import matplotlib

    with matplotlib.rc_context(_RC):
        yield


def _figure(width: float, height: float) -> Figure:
    """A figure on its own Agg canvas (no pyplot, no global backend)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height))
    FigureCanvasAgg(figure)
    return figure


def noise_heatmap(matrix: np.ndarray, classes: Sequence[Any]) -> str:
    """Heatmap of the noise matrix ``P(given | true)`` (rows given, columns true), as SVG.

    Off-diagonal cells are the confusions; each cell shows its percentage when the matrix is
    small enough to read.
    """
    with _style():
        return to_svg(_heatmap_figure(np.asarray(matrix, dtype=np.float64), classes))


def _heatmap_figure(shown: np.ndarray, classes: Sequence[Any]) -> Figure:
    n = len(classes)
    size = max(3.6, min(9.0, 0.45 * n + 1.6))
    figure = _figure(size + 1.0, size)
    axes = figure.add_subplot()
    image = axes.pcolormesh(shown, cmap="Blues", vmin=0.0, vmax=1.0, edgecolors="white")
    axes.set_xlim(0, n)
    axes.set_ylim(n, 0)
    labels = [short_label(c) for c in classes]
    longest = max((len(label) for label in labels), default=0)
    if n > 12:
        axes.set_xticks(np.arange(n) + 0.5, labels, rotation=90)
    elif n * longest > 40:  # names that would run into each other: slanted
        axes.set_xticks(np.arange(n) + 0.5, labels, rotation=40, ha="right",
                        rotation_mode="anchor")  # fmt: skip
    else:
        axes.set_xticks(np.arange(n) + 0.5, labels)
    axes.set_yticks(np.arange(n) + 0.5, labels)
    axes.set_xlabel("true class (estimated)")
    axes.set_ylabel("given label")
    axes.tick_params(length=0)
    for spine in axes.spines.values():
        spine.set_visible(False)
    if n <= 20:
        font = 8 if n <= 12 else 6
        for (i, j), value in np.ndenumerate(shown):
            if value >= 0.005:
                colour = "white" if value > 0.55 else "#1f2937"
                text = f"{100 * value:.0f}" if value >= 0.095 else f"{100 * value:.1f}"
                axes.text(j + 0.5, i + 0.5, text, ha="center", va="center", color=colour,
                          fontsize=font)  # fmt: skip
    colorbar = figure.colorbar(image, ax=axes, fraction=0.046, pad=0.03)
    colorbar.set_label("P(given label | true class)")
    return figure


def quality_histograms(
    counts_by_class: Sequence[tuple[Any, Sequence[int], Sequence[int]]],
    *,
    edges: Sequence[float],
    columns: int = 4,
) -> str:
    """Small multiples: each class's rows by label quality, flagged rows stacked in red, as SVG.

    Parameters
    ----------
    counts_by_class
        ``(class, kept, flagged)`` per class to draw: row counts per bin of the rows given that
        class, not flagged and flagged.
    edges
        The bins' edges (one more than the counts).
    """
    with _style():
        return to_svg(_histograms_figure(counts_by_class, np.asarray(edges), columns), tight=False)


def _histograms_figure(
    counts_by_class: Sequence[tuple[Any, Sequence[int], Sequence[int]]],
    edges: np.ndarray,
    columns: int,
) -> Figure:
    n = max(len(counts_by_class), 1)
    columns = max(1, min(columns, n))
    rows = -(-n // columns)
    figure = _figure(2.3 * columns, 1.5 * rows + 0.5)
    # Fixed margins, not tight_layout: laying out a grid of axes costs seconds per draw.
    figure.subplots_adjust(left=0.06, right=0.99, bottom=0.5 / (1.5 * rows + 0.5) + 0.08 / rows,
                           top=1 - 0.3 / (1.5 * rows + 0.5), wspace=0.3, hspace=0.55)  # fmt: skip
    axes_grid = figure.subplots(rows, columns, sharex=True, squeeze=False)
    for index, axes in enumerate(axes_grid.flat):
        if index >= len(counts_by_class):
            axes.set_visible(False)
            continue
        name, kept, flagged = counts_by_class[index]
        kept = np.asarray(kept, dtype=np.float64)
        total = kept + np.asarray(flagged, dtype=np.float64)
        # One artist per series (stairs, not one bar per bin): flagged rows stacked on top.
        axes.stairs(kept, edges, fill=True, color="#93c5fd", label="not flagged")
        axes.stairs(total, edges, baseline=kept, fill=True, color="#dc2626", label="flagged")
        axes.set_title(f"{short_label(name)}  (n={int(total.sum()):,})", fontsize=8, loc="left")
        axes.tick_params(labelsize=7)
        axes.set_xlim(edges[0], edges[-1])
        axes.set_ylim(0, max(1.0, float(total.max())) * 1.05)
    axes_grid.flat[0].legend(fontsize=7, frameon=False, loc="upper left")
    figure.supxlabel("label quality (low = given label probably wrong)", fontsize=8)
    figure.supylabel("rows", fontsize=8)
    return figure
