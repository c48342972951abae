"""Outputs for CI systems: JUnit XML for test reporters, a Markdown summary for the job page.

JUnit XML follows the structure pytest's ``--junitxml`` writes (its default ``xunit2`` family),
which the common reporters parse (GitHub test-reporter actions, GitLab, Jenkins, Azure)::

    <testsuites name="labelaudit" tests= failures= errors= skipped= time=>
      <testsuite name= tests= failures= errors= skipped= time= timestamp= hostname=>
        <properties><property name= value=/>...</properties>
        <testcase classname="labelaudit.health.gates" name="max_noise_rate" time=>
          <failure message="noise rate 8.0% is above --max-noise-rate 0.05">...</failure>
        </testcase>
        <testcase classname="labelaudit.health.classes" name="class 'cat'" time=>
          <system-out>label noise 3.2% ...</system-out>
        </testcase>

One test case per gate (a gate that was not requested is *skipped*, with the measured value) and
one per class when the document has classes (``health``): its label noise against
``--max-class-noise-rate``, or a passing case with the value when no threshold was given.

Every string from the data goes through :func:`~labelaudit.report.escape.visible` first: XML 1.0
cannot hold control characters even escaped. ElementTree escapes the markup characters.
"""

from __future__ import annotations

import datetime as dt
import socket
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from labelaudit.report.documents import percent
from labelaudit.report.escape import markdown_text, visible

if TYPE_CHECKING:
    from labelaudit.pipeline.checks import CheckResult

GATES = {
    "fail_above": ("--fail-above", "fraction of rows flagged"),
    "max_noise_rate": ("--max-noise-rate", "estimated noise rate"),
    "max_class_noise_rate": ("--max-class-noise-rate", "largest class label noise"),
}
"""Each gate's option and what it measures."""


@dataclass(frozen=True)
class Case:
    """One test case: its outcome and what it says."""

    classname: str
    name: str
    outcome: str  # "passed", "failed" or "skipped"
    message: str
    details: str


def measured(gate: str, document: dict[str, Any]) -> float | None:
    """The value a gate compares with its threshold, from a find-issues or health document."""
    if gate == "fail_above":
        return document.get("fraction")
    if gate == "max_noise_rate":
        return document.get("noise_rate")
    classes = document.get("classes") or []
    return max((c["label_noise"] for c in classes if "label_noise" in c), default=None)


def gate_cases(command: str, document: dict[str, Any], checks: CheckResult) -> list[Case]:
    """One case per gate of *checks*: failed, passed, or skipped when no threshold was given."""
    failures = {failure.check: failure for failure in checks.failures}
    cases = []
    for gate, threshold in checks.thresholds.items():
        option, what = GATES.get(gate, (gate, gate))
        value = measured(gate, document)
        shown = "unknown" if value is None else percent(value)
        classname = f"labelaudit.{command}.gates"
        if gate in failures:
            message = visible(failures[gate].message, one_line=True)
            cases.append(Case(classname, gate, "failed", message, f"{what}: {shown}"))
        elif threshold is None:
            message = f"not requested (no {option}); {what} {shown}"
            cases.append(Case(classname, gate, "skipped", message, message))
        else:
            message = f"{what} {shown} is not above {option} {threshold:g}"
            cases.append(Case(classname, gate, "passed", message, message))
    return cases


def class_cases(command: str, document: dict[str, Any], checks: CheckResult) -> list[Case]:
    """One case per class of the document: its label noise against ``--max-class-noise-rate``."""
    threshold = checks.thresholds.get("max_class_noise_rate")
    cases = []
    for row in document.get("classes") or []:
        name = f"class {visible(row['class'], one_line=True)!s}"
        if "n_flagged" in row:  # find-issues: the rows its filter flagged; no per-class gate
            facts = (
                f"{row['n_flagged']:,} of {row['n_examples']:,} rows flagged "
                f"({percent(row['flagged_fraction'])}) by --filter-by {document['filter_by']}"
            )
            cases.append(Case(f"labelaudit.{command}.classes", name, "passed", facts, facts))
            continue
        noise = row["label_noise"]
        facts = (
            f"label noise {percent(noise)} ({row['n_label_issues']:,} estimated label issues in "
            f"{row['n_examples']:,} rows); inverse label noise "
            f"{percent(row['inverse_label_noise'])}"
        )
        classname = f"labelaudit.{command}.classes"
        if threshold is not None and noise > threshold:
            message = f"{name}: label noise {noise:.4f} ({percent(noise)}) is above "
            message += f"--max-class-noise-rate {threshold:g}"
            cases.append(Case(classname, name, "failed", message, facts))
        else:
            limit = "no --max-class-noise-rate given" if threshold is None else (
                f"not above --max-class-noise-rate {threshold:g}"
            )  # fmt: skip
            cases.append(Case(classname, name, "passed", f"{facts}; {limit}", f"{facts}; {limit}"))
    return cases


def junit_xml(
    command: str,
    document: dict[str, Any],
    checks: CheckResult,
    *,
    properties: dict[str, Any] | None = None,
    seconds: float = 0.0,
    timestamp: dt.datetime | None = None,
) -> str:
    """The checks of a find-issues or health run as a JUnit XML document.

    Parameters
    ----------
    command
        ``"find-issues"`` or ``"health"``: names the suite and the test classes.
    document, checks
        The command's result document and its gates' result.
    properties
        Suite properties (version, command line, inputs), shown by most reporters.
    seconds
        How long the run took (the suite's ``time``).
    """
    cases = gate_cases(command, document, checks) + class_cases(command, document, checks)
    counts = {
        "tests": str(len(cases)),
        "failures": str(sum(case.outcome == "failed" for case in cases)),
        "errors": "0",
        "skipped": str(sum(case.outcome == "skipped" for case in cases)),
        "time": f"{seconds:.3f}",
    }
    root = ET.Element("testsuites", {"name": "labelaudit", **counts})
    stamp = (timestamp or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
    suite = ET.SubElement(
        root,
        "testsuite",
        {"name": f"labelaudit {command}", **counts, "timestamp": stamp,
         "hostname": socket.gethostname()},
    )  # fmt: skip
    if properties:
        props = ET.SubElement(suite, "properties")
        for key, value in properties.items():
            ET.SubElement(props, "property", {"name": key, "value": visible(value, one_line=True)})
    for case in cases:
        element = ET.SubElement(
            suite, "testcase", {"classname": case.classname, "name": case.name, "time": "0.000"}
        )
        if case.outcome == "failed":
            failure = ET.SubElement(element, "failure", {"message": case.message})
            failure.text = case.details
        elif case.outcome == "skipped":
            ET.SubElement(element, "skipped", {"message": case.message, "type": "pytest.skip"})
        ET.SubElement(element, "system-out").text = case.details
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def markdown_summary(
    command: str, document: dict[str, Any], checks: CheckResult, *, top: int = 5
) -> str:
    """A short Markdown summary of a find-issues or health run, for a CI job page.

    Health numbers (or the flagged rows), every gate, the *top* classes with the most label
    noise and the *top* issues, when the document has them. Data strings are escaped.
    """
    verdict = "❌ failed" if not checks.passed else "✅ passed" if checks.requested else "done"
    lines = [f"## labelaudit {command}: {verdict}", ""]
    lines += _headline(document)
    gates = gate_cases(command, document, checks)
    lines += ["", "| check | result | detail |", "|---|---|---|"]
    icons = {"passed": "✅ pass", "failed": "❌ fail", "skipped": "➖ not requested"}
    for case in gates:
        option = GATES.get(case.name, (case.name,))[0]
        lines.append(f"| `{option}` | {icons[case.outcome]} | {markdown_text(case.message)} |")
    classes = [c for c in document.get("classes") or [] if "label_noise" in c]
    classes = sorted(classes, key=lambda c: -c["label_noise"])[:top]
    if classes:
        lines += ["", f"**Classes with the most label noise** (top {len(classes)})", ""]
        lines += ["| class | rows | label noise | est. issues |", "|---|--:|--:|--:|"]
        lines += [
            f"| {markdown_text(c['class'], limit=60)} | {c['n_examples']:,} | "
            f"{percent(c['label_noise'])} | {c['n_label_issues']:,} |"
            for c in classes
        ]
    lines += _issue_lines(document.get("issues") or [], top)
    return "\n".join(lines) + "\n"


def _headline(document: dict[str, Any]) -> list[str]:
    """The run's numbers: health (health) or the flagged rows (find-issues)."""
    n = document["n_examples"]
    if "health_score" in document:
        return [
            f"Health score **{percent(document['health_score'])}**, estimated noise rate "
            f"**{percent(document['noise_rate'])}** ({document['n_label_issues']:,} estimated "
            f"label issues in {n:,} rows, {document['n_classes']:,} classes)."
        ]
    return [
        f"**{document['n_label_issues']:,}** of {n:,} rows flagged as label issues "
        f"(**{percent(document['fraction'])}**, --filter-by {document['filter_by']})."
    ]


def _issue_lines(issues: list[dict[str, Any]], top: int) -> list[str]:
    """The *top* most likely label errors as a table."""
    if not issues:
        return []
    lines = ["", f"**Most likely label errors** (top {min(top, len(issues))})", ""]
    lines += ["| row | id | given | predicted | quality |", "|--:|---|---|---|--:|"]
    known = {"row", "given_label", "predicted_label", "label_quality", "is_label_issue"}
    for record in issues[:top]:
        extra = [key for key in record if key not in known]
        row_id = markdown_text(record[extra[0]], limit=60) if extra else ""
        lines.append(
            f"| {record['row']} | {row_id} | {markdown_text(record['given_label'], limit=60)} | "
            f"{markdown_text(record['predicted_label'], limit=60)} | "
            f"{_quality(record['label_quality'])} |"
        )
    return lines


def _quality(value: float) -> str:
    """A label quality score: 4 decimals, or 2 significant digits when tiny."""
    return f"{value:.4f}" if value >= 1e-3 or value == 0 else f"{value:.1e}"
