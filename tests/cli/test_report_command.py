"""``labelaudit report``: the HTML page from the command line, hostile data, bad input, a browser.

Most tests run in-process with typer's CliRunner; one runs the real ``python -m labelaudit`` for
the exit codes a shell sees, and one opens the page in headless Chromium (skipped when no
``chromium`` is on PATH: ``make test`` installs nothing system-wide).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import sys
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from labelaudit import __version__
from labelaudit.cli import app

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
HOSTILE = ["<script>alert(1)</script>", "[/]", "{{ 7*7 }}", "\x1b[2J", "=cmd|' /C calc'!A0"]
N_ROWS = 120
runner = CliRunner()


@dataclass
class Files:
    """A dataset whose class names, ids and text are all hostile strings."""

    folder: Path
    labels: Path  # CSV: id, label, text, score
    probs: Path  # Parquet: id and one column per class

    def args(self, *extra: str | Path) -> list[str]:
        return [
            "report", "--labels", str(self.labels), "--probs", str(self.probs),
            "--id-column", "id", *map(str, extra),
        ]  # fmt: skip


def hostile_text(i: int) -> str:
    return (
        f"row {i}: <script>alert({i})</script> <u>underlined</u> {{{{ 7*7 }}}} \x1b[2J "
        f"=cmd|' /C calc'!A0 http://evil.example/x.js\nsecond line\u202e"
    )


@pytest.fixture
def files(tmp_path: Path) -> Files:
    rng = np.random.default_rng(3)
    true = rng.integers(0, len(HOSTILE), N_ROWS)
    given = true.copy()
    flipped = rng.random(N_ROWS) < 0.15
    given[flipped] = (true[flipped] + 1) % len(HOSTILE)
    logits = rng.normal(size=(N_ROWS, len(HOSTILE)))
    logits[np.arange(N_ROWS), true] += 2.5
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    ids = [f"<u>{i}</u>[/]" for i in range(N_ROWS)]
    table = pd.DataFrame(
        {
            "id": ids,
            "label": np.array(HOSTILE, dtype=object)[given],
            "text": [hostile_text(i) for i in range(N_ROWS)],
            "score": rng.normal(size=N_ROWS).round(3),
        }
    )
    table.to_csv(tmp_path / "data.csv", index=False)
    columns = {name: probs[:, k] for k, name in enumerate(HOSTILE)}
    pd.DataFrame({"id": ids, **columns}).to_parquet(tmp_path / "probs.parquet")
    return Files(tmp_path, tmp_path / "data.csv", tmp_path / "probs.parquet")


def invoke(args: list[str]):
    return runner.invoke(app, args)


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text content, of an HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> Tags:
    parser = Tags()
    parser.feed(html)
    return parser


# --- the page ----------------------------------------------------------------------------------


def test_hostile_strings_are_shown_as_text(files: Files) -> None:
    output = files.folder / "report.html"
    result = invoke(files.args("--data", files.labels, "--text-column", "text", "-o", output))
    assert result.exit_code == 0, result.output
    html = output.read_text(encoding="utf-8")
    page = parse(html)
    tags = {tag for tag, _ in page.tags}
    assert not tags & {"script", "iframe", "object", "embed", "img", "link", "u", "a", "base"}
    attributes = [name for _, attrs in page.tags for name in attrs]
    assert not [name for name in attributes if name.startswith("on")]  # no event handlers
    assert "\x1b" not in html and "\u202e" not in html  # control characters never raw
    text = "".join(page.text)
    assert "<script>alert(1)</script>" in text  # the class name, as text
    assert "{{ 7*7 }}" in text and "[/]" in text and "=cmd|' /C calc'!A0" in text
    assert "\\x1b[2J" in text and "\\u202e" in text  # visible escapes
    assert "<u>0</u>[/]" in text or any(f"<u>{i}</u>[/]" in text for i in range(N_ROWS))
    assert "<script>alert(" in text and "second line" in text  # the text column, in full
    # The data's URL is text, never a reference.
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", html)


def test_the_sample_report_is_self_contained(tmp_path: Path) -> None:
    output = tmp_path / "sample.html"
    result = invoke(
        [
            "report", "--labels", str(SAMPLE / "digits_features.csv"),
            "--probs", str(SAMPLE / "digits_probs.parquet"), "--id-column", "id",
            "--data", str(SAMPLE / "digits_features.csv"), "--top", "7", "-o", str(output),
        ]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Wrote {output}: 175 flagged rows of 1,797")
    html = output.read_text(encoding="utf-8")
    assert "http://" not in html and "https://" not in html
    assert not re.search(r"@import|url\((?!#)", html)
    page = parse(html)
    ids = {attrs.get("id") for _, attrs in page.tags}
    assert {"summary", "class-table", "heatmap", "histograms", "issues-table"} <= ids
    all_ids = [a["id"] for _, a in page.tags if a.get("id")]
    assert len(all_ids) == len(set(all_ids)), "two charts share an element id"
    text = "".join(page.text)
    for name in ("Flagged rows", "Estimated label issues", "Sum of per-class issues"):
        assert name in text
    assert f"labelaudit {__version__}" in text and "majority-class baseline" in text


def test_json_prints_the_report_document(files: Files) -> None:
    output = files.folder / "r.html"
    result = invoke(files.args("--top", "3", "--json", "-o", output))
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    counts = {count["name"]: count["value"] for count in document["counts"]}
    assert counts["estimated label issues"] == document["health"]["n_label_issues"]
    assert counts["flagged rows"] == document["issues"]["n_flagged"]
    assert len(document["issues"]["rows"]) == 3
    assert set(document["noise_matrix"]["classes"]) == set(HOSTILE)


def test_report_numbers_match_find_issues_and_health(files: Files) -> None:
    base = ["--labels", str(files.labels), "--probs", str(files.probs), "--id-column", "id"]
    found = json.loads(invoke(["find-issues", *base, "--top", "5", "--json"]).stdout)
    health = json.loads(invoke(["health", *base, "--json"]).stdout)
    output = files.folder / "r.html"
    document = json.loads(invoke(files.args("--top", "5", "--json", "-o", output)).stdout)
    assert document["issues"]["n_flagged"] == found["n_label_issues"]
    assert [r["row"] for r in document["issues"]["rows"]] == [r["row"] for r in found["issues"]]
    assert document["health"]["noise_rate"] == health["noise_rate"]
    assert document["health"]["classes"][0]["class"] == health["classes"][0]["class"]


def test_top_0_lists_no_rows_and_says_so(files: Files) -> None:
    output = files.folder / "r.html"
    result = invoke(files.args("--top", "0", "--quiet", "-o", output))
    assert result.exit_code == 0 and result.stdout == ""
    html = output.read_text(encoding="utf-8")
    assert "No rows listed (--top 0)." in html and 'id="issues-table"' not in html


def test_help_names_the_extra() -> None:
    result = invoke(["report", "--help"])
    assert result.exit_code == 0
    assert "pip install 'labelaudit[report]'" in result.stdout


# --- bad input: exit 2, one Error: line, no report ---------------------------------------------


def unwritable_folder(tmp_path: Path) -> Path:
    """A folder this process cannot create files in (root ignores permission bits)."""
    if os.geteuid() == 0:
        return Path("/sys")
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    return folder


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        pytest.param("unwritable", "cannot write in", id="unwritable-folder"),
        pytest.param("no-folder", "does not exist", id="missing-folder"),
        pytest.param("suffix", "unsupported output type", id="not-html"),
        pytest.param("rows", "has 119 rows but the labels have 120", id="data-fewer-rows"),
        pytest.param("ids", "differs from the labels' at row 5", id="data-other-ids"),
        pytest.param("text", "--text-column 'body': no such column in", id="no-text-column"),
        pytest.param("no-data", "--text-column: needs --data", id="text-without-data"),
        pytest.param("id-missing", "--id-column 'id': no such column in", id="data-without-ids"),
    ],
)
def test_bad_input_exits_2_without_a_report(files: Files, case: str, expected: str) -> None:
    output = files.folder / "out" / "report.html"
    output.parent.mkdir()
    data = files.folder / "other.csv"
    frame = pd.read_csv(files.labels, dtype=str, keep_default_na=False)
    extra: list[str | Path] = ["--data", data, "--text-column", "text"]
    if case == "unwritable":
        output = unwritable_folder(files.folder) / "report.html"
    elif case == "no-folder":
        output = files.folder / "nowhere" / "report.html"
    elif case == "suffix":
        output = output.with_suffix(".pdf")
    elif case == "rows":
        frame = frame.iloc[1:]
    elif case == "ids":
        frame.loc[5, "id"] = "someone else"
    elif case == "text":
        extra = ["--data", data, "--text-column", "body"]
    elif case == "no-data":
        extra = ["--text-column", "text"]
    elif case == "id-missing":
        frame = frame.drop(columns="id")
    frame.to_csv(data, index=False)
    result = invoke(files.args(*extra, "-o", output))
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:"), result.stderr
    assert expected in lines[0]
    if case in ("rows", "ids", "text", "id-missing"):
        assert str(data) in lines[0]  # names the file
    assert not output.exists()
    if output.parent.is_dir() and output.parent != Path("/sys"):
        assert not [p for p in output.parent.iterdir() if p.name.startswith(".report")]


def test_missing_extra_names_the_install_command(
    files: Files, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "jinja2", None)  # import jinja2 now raises ImportError
    output = files.folder / "r.html"
    result = invoke(files.args("-o", output))
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: the report needs the 'report' extra: pip install 'labelaudit[report]'\n"
    )
    assert not output.exists()


def test_exit_codes_from_the_installed_command(files: Files) -> None:
    output = files.folder / "r.html"
    command = [sys.executable, "-m", "labelaudit", *files.args("-q", "-o", output)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and output.stat().st_size > 10_000
    bad = [sys.executable, "-m", "labelaudit", *files.args("--text-column", "x", "-o", output)]
    failed = subprocess.run(bad, capture_output=True, text=True, timeout=180, check=False)
    assert failed.returncode == 2 and failed.stderr.startswith("Error: --text-column")


# --- a real browser --------------------------------------------------------------------------

BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")


def open_in_chromium(page: Path, folder: Path) -> tuple[str, str, Path, list[str]]:
    """Open *page* with the network blocked; its DOM, the log, a screenshot and the http(s)
    requests the page made (from Chromium's net log)."""
    screenshot, net_log = folder / "shot.png", folder / "net.json"
    command = [
        str(BROWSER), "--headless", "--disable-gpu", "--no-sandbox", "--hide-scrollbars",
        f"--user-data-dir={folder / 'profile'}", "--no-first-run", "--disable-extensions",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
        "--enable-logging=stderr", "--v=0", f"--log-net-log={net_log}",
        f"--screenshot={screenshot}", "--window-size=1280,2000", "--dump-dom", page.as_uri(),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, done.stderr, screenshot, page_requests(net_log)


def page_requests(net_log: Path) -> list[str]:
    """URLs the page (a file:// document) requested; Chromium's own background requests aside."""
    text = net_log.read_text(encoding="utf-8").rstrip().rstrip(",")
    try:
        log = json.loads(text)
    except json.JSONDecodeError:  # a log cut short at exit: close its event list
        log = json.loads(text + "]}")
    names = {number: name for name, number in log["constants"]["logEventTypes"].items()}
    return [
        event["params"]["url"]
        for event in log["events"]
        if names.get(event["type"]) == "URL_REQUEST_START_JOB"
        and "file://" in str(event["params"].get("network_isolation_key", ""))
        and not event["params"]["url"].startswith("file:")
    ]


def console_errors(log: str) -> list[str]:
    return [line for line in log.splitlines() if ":CONSOLE" in line]


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])


@pytest.mark.skipif(BROWSER is None, reason="no chromium/chromium-browser on PATH (apt-get "
                    "install chromium to run the browser test)")  # fmt: skip
def test_report_renders_in_chromium_offline(files: Files) -> None:
    output = files.folder / "report.html"
    args = files.args("--data", files.labels, "--text-column", "text", "-o", output)
    assert invoke(args).exit_code == 0
    dom, log, screenshot, requests = open_in_chromium(output, files.folder)
    assert requests == []
    assert console_errors(log) == []
    assert png_size(screenshot) == (1280, 2000)
    assert screenshot.stat().st_size > 50_000  # a rendered page, not a blank one
    page = parse(dom)
    ids = {attrs.get("id") for _, attrs in page.tags}
    assert {"heatmap", "class-table", "issues-table"} <= ids
    assert sum(tag == "svg" for tag, _ in page.tags) == 2
    assert sum(tag == "tr" for tag, _ in page.tags) > len(HOSTILE)
    assert not {tag for tag, _ in page.tags} & {"script", "u", "img"}


@pytest.mark.skipif(BROWSER is None, reason="no chromium/chromium-browser on PATH")
def test_the_browser_check_sees_requests_and_console_errors(tmp_path: Path) -> None:
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><link rel="stylesheet" href="https://example.com/x.css">'
        "<script>console.error('boom')</script><p>hi</p>",
        encoding="utf-8",
    )
    _, log, _, requests = open_in_chromium(page, tmp_path)
    assert requests == ["https://example.com/x.css"]
    assert console_errors(log)
