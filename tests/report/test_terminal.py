"""labelaudit.report.terminal: the rich rendering of results, warnings on stderr."""

from __future__ import annotations

from labelaudit.report import terminal
from tests.datasets import CLASSES
from tests.report.fakes import fake_health, render


def test_tiny_label_quality_is_not_shown_as_zero() -> None:
    top = [{"row": 1, "label_quality": 0.00002}, {"row": 2, "label_quality": 0.5}]
    document = {"n_label_issues": 2, "n_examples": 9, "output": None}
    text = render(terminal.render_find_issues, document, top)
    assert "2.0e-05" in text and "0.5000" in text


def test_render_health_shows_panel_tables_and_heatmap() -> None:
    text = render(terminal.render_health, fake_health(), CLASSES, top=5)
    assert "Health score 0.925" in text and "7.5%" in text
    assert "Per class" in text and "bird" in text
    assert "Most overlapping classes (top 1)" in text
    assert "Noise matrix" in text and " 90 " in text


def test_heatmap_is_coloured_on_a_colour_terminal() -> None:
    coloured = render(terminal.render_health, fake_health(), CLASSES, top=5, color=True)
    plain = render(terminal.render_health, fake_health(), CLASSES, top=5)
    assert "\x1b[" not in plain
    assert "48;2;" in coloured  # 24-bit background colours of the heatmap cells


def test_heatmap_is_skipped_for_many_classes() -> None:
    many = [f"c{k}" for k in range(25)]
    text = render(terminal.render_health, fake_health(25), many, top=0)
    assert "Noise matrix not drawn for 25 classes" in text
    assert "Most overlapping" not in text


def test_warn_goes_to_stderr_unless_quiet(capsys) -> None:
    terminal.warn("careful", quiet=False)
    terminal.warn("hidden", quiet=True)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Warning: careful" in captured.err and "hidden" not in captured.err
