"""The HTML report's pieces: escaping, inline SVG, the heatmap for many classes, the document."""

from __future__ import annotations

import re

import numpy as np
import pytest

from labelaudit.core.health import health_report
from labelaudit.pipeline import report as pipeline_report
from labelaudit.report import charts, html
from labelaudit.report.escape import markdown_text, visible

HOSTILE = ["<script>alert(1)</script>", "[/]", "{{ 7*7 }}", "\x1b[2J", "=cmd|' /C calc'!A0"]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        pytest.param("<script>x</script>", "&lt;script&gt;x&lt;/script&gt;", id="tag"),
        pytest.param("{{ 7*7 }}", "{{ 7*7 }}", id="template"),
        pytest.param("[/]", "[/]", id="rich-markup"),
        pytest.param("=cmd|' /C calc'!A0", "=cmd|&#39; /C calc&#39;!A0", id="formula"),
        pytest.param("a & b", "a &amp; b", id="ampersand"),
        pytest.param(None, '<span class="missing">(missing)</span>', id="missing"),
        pytest.param(0.123456, "0.1235", id="float"),
    ],
)
def test_show_escapes_markup(value: object, shown: str) -> None:
    assert str(html.show(value)) == shown


def test_show_marks_control_characters_as_visible_escapes() -> None:
    shown = str(html.show("a\x1b[2Jb\u202ec\nd"))
    assert "\x1b" not in shown and "\u202e" not in shown
    assert shown == (
        'a<span class="ctl" title="control character">\\x1b</span>[2Jb'
        '<span class="ctl" title="control character">\\u202e</span>c\nd'
    )


def test_visible_and_markdown_text() -> None:
    assert visible("tab\there\x00", one_line=True) == "tab\\there\\x00"
    assert visible("line\nbreak") == "line\nbreak"
    assert markdown_text("a|b `c` <i>\nx http://e") == "a\\|b \\`c\\` &lt;i&gt;\\\\nx http\\://e"
    assert markdown_text("x" * 300, limit=10) == "x" * 9 + "…"


def test_inline_svg_has_no_namespace_urls_and_unique_ids() -> None:
    first = charts.noise_heatmap(np.eye(3) * 0.9 + 0.1 / 3, HOSTILE[:3])
    second = charts.noise_heatmap(np.eye(3) * 0.9 + 0.1 / 3, HOSTILE[:3])
    for svg in (first, second):
        assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
        assert "http" not in svg and "<?xml" not in svg and "DOCTYPE" not in svg
        assert "<script" not in svg and "&lt;script&gt;" in svg
    ids = re.findall(r'\bid="([^"]+)"', first + second)
    assert len(ids) == len(set(ids))
    for reference in re.findall(r'(?:href="#|url\(#)([^")]+)', first):
        assert f'id="{reference}"' in first  # every reference points inside its own chart


def test_chart_labels_show_math_and_control_characters_literally() -> None:
    svg = charts.noise_heatmap(np.eye(2), ["$x^2$", "\x1b[2J"])
    assert "$x^2$" in svg and "\\x1b[2J" in svg and "\x1b" not in svg
    assert charts.short_label("y" * 40) == "y" * 23 + "…"


def test_quality_histograms_draw_every_class() -> None:
    counts = [(name, [1, 2, 3, 4], [1, 0, 0, 0]) for name in HOSTILE]
    svg = charts.quality_histograms(counts, edges=[0, 0.25, 0.5, 0.75, 1.0])
    assert svg.count("(n=11)") == len(HOSTILE)
    assert "&lt;script&gt;" in svg and "<script" not in svg


def test_top_confusions_match_a_full_sort() -> None:
    rng = np.random.default_rng(0)
    joint = rng.random((37, 37))
    expected = sorted(
        ((i, j, joint[i, j]) for i in range(37) for j in range(37) if i != j),
        key=lambda item: -item[2],
    )[:15]
    found = pipeline_report.top_confusions(joint, 15, block_cells=100)  # many small blocks
    assert found == expected


def large_health(n_classes: int = 30, n_rows: int = 900):
    rng = np.random.default_rng(1)
    true = rng.integers(0, n_classes, n_rows)
    labels = true.copy()
    labels[:60] = (true[:60] + 1) % n_classes
    logits = rng.normal(size=(n_rows, n_classes))
    logits[np.arange(n_rows), true] += 4
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return health_report(labels, probs)


def test_heatmap_of_many_classes_shows_the_largest_confusions() -> None:
    health = large_health()
    classes = [f"class {k}" for k in range(30)]
    document = pipeline_report.noise_matrix_document(health, classes)
    assert document["all_classes"] is False and document["n_classes"] == 30
    shown = document["classes"]
    assert 2 <= len(shown) <= pipeline_report.MAX_HEATMAP_CLASSES
    assert np.asarray(document["matrix"]).shape == (len(shown), len(shown))
    top = document["top_confusions"][0]
    assert top["given"] in shown and top["true"] in shown
    counts = [c["n_examples"] for c in document["top_confusions"]]
    assert counts == sorted(counts, reverse=True)


def test_command_line_names_the_program() -> None:
    command = pipeline_report.command_line(
        ["/x/.venv/bin/labelaudit", "report", "--data", "my file.csv"]
    )
    assert command == "labelaudit report --data 'my file.csv'"
    assert pipeline_report.command_line(["/x/labelaudit/__main__.py", "report"]).startswith(
        "labelaudit report"
    )
