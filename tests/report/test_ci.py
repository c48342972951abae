"""JUnit XML and the Markdown summary, from documents and gate results.

The JUnit structure checked is what pytest's ``--junitxml`` writes (xunit2) and what the common
CI reporters read: ``testsuites`` > ``testsuite`` (tests, failures, errors, skipped, time,
timestamp) > ``testcase`` (classname, name, time) with ``failure``/``skipped`` (message).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest

from labelaudit.pipeline.checks import flagged_fraction_check, health_checks
from labelaudit.report.ci import junit_xml, markdown_summary

HOSTILE = ["<script>alert(1)</script>", "[/]", "{{ 7*7 }}", "\x1b[2J", "=cmd|' /C calc'!A0"]
SUITE_ATTRIBUTES = {"name", "tests", "failures", "errors", "skipped", "time", "timestamp"}


def health_document(noise: list[float]) -> dict[str, Any]:
    return {
        "n_examples": 1000,
        "n_classes": len(noise),
        "n_label_issues": 80,
        "noise_rate": 0.08,
        "health_score": 0.92,
        "classes": [
            {
                "class": name,
                "n_examples": 200,
                "n_label_issues": round(value * 200),
                "n_inverse_label_issues": 3,
                "label_noise": value,
                "inverse_label_noise": 0.01,
                "label_quality": 1 - value,
            }
            for name, value in zip(HOSTILE, noise, strict=False)
        ],
    }


def checked(document: dict[str, Any], **thresholds: float | None):
    class_noise = [(c["class"], c["label_noise"]) for c in document["classes"]]
    return health_checks(
        document["noise_rate"],
        class_noise,
        max_noise_rate=thresholds.get("max_noise_rate"),
        max_class_noise_rate=thresholds.get("max_class_noise_rate"),
    )


def suite_of(text: str) -> ET.Element:
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == 1
    suite = suites[0]
    assert SUITE_ATTRIBUTES <= set(suite.attrib)
    cases = suite.findall("testcase")
    assert int(suite.get("tests")) == len(cases)
    assert int(suite.get("failures")) == len([c for c in cases if c.find("failure") is not None])
    assert int(suite.get("skipped")) == len([c for c in cases if c.find("skipped") is not None])
    assert suite.get("errors") == "0"
    for attribute in ("tests", "failures", "errors", "skipped"):
        assert root.get(attribute) == suite.get(attribute)
    for case in cases:
        assert case.get("classname") and case.get("name") and case.get("time") is not None
    return suite


def cases_by_name(suite: ET.Element) -> dict[str, ET.Element]:
    return {case.get("name"): case for case in suite.findall("testcase")}


def test_health_gates_and_classes_with_failures() -> None:
    document = health_document([0.30, 0.05, 0.02, 0.01, 0.0])
    checks = checked(document, max_noise_rate=0.05, max_class_noise_rate=0.1)
    suite = suite_of(junit_xml("health", document, checks))
    assert suite.get("name") == "labelaudit health"
    cases = cases_by_name(suite)
    assert len(cases) == 2 + len(HOSTILE)  # one per gate, one per class
    noise = cases["max_noise_rate"].find("failure")
    assert noise is not None
    assert noise.get("message") == "noise rate 8.0% is above --max-noise-rate 0.05"
    worst = cases["class <script>alert(1)</script>"].find("failure")
    assert worst is not None
    assert worst.get("message") == (
        "class <script>alert(1)</script>: label noise 0.3000 (30.0%) is above "
        "--max-class-noise-rate 0.1"
    )
    assert suite.get("failures") == "3"  # two gates and the one class above its threshold
    assert cases["class [/]"].find("failure") is None
    assert "label noise 5.0%" in cases["class [/]"].findtext("system-out")


def test_gates_not_requested_are_skipped_with_the_measured_value() -> None:
    document = health_document([0.2, 0.1])
    suite = suite_of(junit_xml("health", document, checked(document)))
    cases = cases_by_name(suite)
    skipped = cases["max_noise_rate"].find("skipped")
    assert skipped is not None
    assert skipped.get("message") == (
        "not requested (no --max-noise-rate); estimated noise rate 8.0%"
    )
    assert suite.get("skipped") == "2" and suite.get("failures") == "0"
    out = cases["class <script>alert(1)</script>"].findtext("system-out")
    assert "label noise 20.0%" in out and "no --max-class-noise-rate given" in out


def test_control_characters_never_reach_the_xml() -> None:
    document = health_document([0.0, 0.0, 0.0, 0.9, 0.0])
    checks = checked(document, max_class_noise_rate=0.5)
    text = junit_xml("health", document, checks, properties={"command": "x \x1b[2J y"})
    assert "\x1b" not in text
    suite = suite_of(text)  # parses: no raw control character
    assert "class \\x1b[2J" in cases_by_name(suite)
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["command"] == "x \\x1b[2J y"


def find_issues_document(fraction: float) -> dict[str, Any]:
    n_issues = round(fraction * 1000)
    return {
        "n_examples": 1000,
        "n_classes": 3,
        "n_label_issues": n_issues,
        "fraction": fraction,
        "filter_by": "prune_by_noise_rate",
        "issues": [
            {
                "row": 7,
                "id": HOSTILE[0],
                "given_label": HOSTILE[4],
                "predicted_label": "[/]",
                "label_quality": 0.00001,
            },
        ],
    }


@pytest.mark.parametrize(("fraction", "failed"), [(0.3, True), (0.1, False)])
def test_find_issues_gate(fraction: float, failed: bool) -> None:
    document = find_issues_document(fraction)
    suite = suite_of(junit_xml("find-issues", document, flagged_fraction_check(fraction, 0.2)))
    (case,) = suite.findall("testcase")
    assert case.get("classname") == "labelaudit.find-issues.gates"
    assert case.get("name") == "fail_above"
    failure = case.find("failure")
    assert (failure is not None) == failed
    if failed:
        assert failure.get("message") == (
            "30.0% of rows are flagged as label issues, above --fail-above 0.2"
        )


def test_markdown_summary_of_health() -> None:
    document = health_document([0.30, 0.05, 0.02, 0.01, 0.0])
    text = markdown_summary("health", document, checked(document, max_noise_rate=0.05), top=3)
    lines = text.splitlines()
    assert lines[0] == "## labelaudit health: ❌ failed"
    assert "Health score **92.0%**" in text
    assert "| `--max-noise-rate` | ❌ fail | noise rate 8.0% is above --max-noise-rate 0.05 |" in (
        lines
    )
    assert "| `--max-class-noise-rate` | ➖ not requested |" in text
    assert "| &lt;script&gt;alert(1)&lt;/script&gt; | 200 | 30.0% | 60 |" in lines
    assert "| \\[/\\] | 200 | 5.0% | 10 |" in lines
    assert len(lines) < 25


def test_markdown_summary_escapes_every_data_string() -> None:
    document = find_issues_document(0.1)
    document["issues"][0]["predicted_label"] = "a|b `c`\nnext \x1b[2J"
    text = markdown_summary("find-issues", document, flagged_fraction_check(0.1, None))
    assert text.splitlines()[0] == "## labelaudit find-issues: done"
    issue = [line for line in text.splitlines() if line.startswith("| 7 |")]
    assert issue == [
        "| 7 | &lt;script&gt;alert(1)&lt;/script&gt; | =cmd\\|' /C calc'!A0 | "
        "a\\|b \\`c\\`\\\\nnext \\\\x1b\\[2J | 1.0e-05 |"
    ]
    assert "<" not in text and "\x1b" not in text
    assert all(line.count("|") - line.count("\\|") in (0, 4, 6) for line in text.splitlines())


def structure(root: ET.Element) -> dict[str, set[str]]:
    """Element name -> the attribute names it carries, over a whole JUnit document."""
    found: dict[str, set[str]] = {}
    for element in root.iter():
        found.setdefault(element.tag, set()).update(element.attrib)
    return found


def test_same_structure_as_pytest_junitxml(tmp_path) -> None:
    import subprocess
    import sys

    (tmp_path / "test_sample.py").write_text(
        "import pytest\n"
        "def test_pass():\n    print('out')\n"
        "def test_fail():\n    assert 1 == 2, 'value 2'\n"
        "def test_skip():\n    pytest.skip('not requested')\n",
        encoding="utf-8",
    )
    report = tmp_path / "pytest.xml"
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
         f"--junitxml={report}", "-o", "junit_logging=system-out", str(tmp_path)],
        cwd=tmp_path, capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    theirs = structure(ET.parse(report).getroot())
    document = health_document([0.3, 0.0])
    ours = structure(
        ET.fromstring(junit_xml("health", document, checked(document, max_noise_rate=0.01)))
    )
    # pytest puts the totals on <testsuite> only; JUnit's own schema (Jenkins, GitLab, jest-junit)
    # also allows them on <testsuites>, where some reporters read them.
    theirs["testsuites"] |= {"tests", "failures", "errors", "skipped", "time"}
    for tag in ("testsuites", "testsuite", "testcase", "failure", "skipped", "system-out"):
        assert tag in theirs and tag in ours
        assert ours[tag] <= theirs[tag], (tag, ours[tag] - theirs[tag])
    assert set(ours) <= set(theirs) | {"properties", "property"}
