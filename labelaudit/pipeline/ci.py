"""CI outputs of find-issues and health: ``--junit-xml`` and ``--markdown``.

Their paths are checked before any work (:func:`check_ci_outputs`); after the command ran, both
files are written atomically (:func:`write_ci_outputs`), also when a gate failed: that is when a
CI job needs them most. The exit code is the command's own.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labelaudit import __version__
from labelaudit.errors import InputError

if TYPE_CHECKING:
    from labelaudit.pipeline.checks import CheckResult

JUNIT_SUFFIXES = (".xml",)


@dataclass(frozen=True)
class CiOutputs:
    """Where to write the JUnit XML and the Markdown summary (either may be ``None``)."""

    junit_xml: Path | None = None
    markdown: Path | None = None

    def check(self, inputs: Sequence[Path], others: Sequence[Path | None] = ()) -> None:
        """Check both paths before any work: type, folder, writable, not an input or another
        output of the run (*others*, e.g. ``-o``).

        The Markdown file may have any name (``$GITHUB_STEP_SUMMARY`` has no extension).
        """
        from labelaudit.io.outputs import check_writable_output

        taken = [path for path in others if path is not None]
        for path, option, suffixes in (
            (self.junit_xml, "--junit-xml", JUNIT_SUFFIXES),
            (self.markdown, "--markdown", None),
        ):
            if path is None:
                continue
            if any(path.resolve() == other.resolve() for other in taken):
                raise InputError(f"{option} {path}: is also another output of this command.")
            check_writable_output(path, suffixes, inputs, option)
            taken.append(path)

    def write(
        self,
        command: str,
        document: dict[str, Any],
        checks: CheckResult,
        *,
        argv: Sequence[str] = (),
        seconds: float = 0.0,
    ) -> None:
        """Write the requested files (atomically) for *command*'s result."""
        from labelaudit.io.paths import write_text
        from labelaudit.report import ci

        if self.junit_xml is not None:
            properties = {"labelaudit_version": __version__, "command": command_line(argv)}
            properties.update(
                {name: value for name, value in checks.thresholds.items() if value is not None}
            )
            text = ci.junit_xml(command, document, checks, properties=properties, seconds=seconds)
            write_text(text, self.junit_xml)
        if self.markdown is not None:
            write_text(ci.markdown_summary(command, document, checks), self.markdown)


def command_line(argv: Sequence[str]) -> str:
    """*argv* as a shell command, the program shown as ``labelaudit`` however it was started."""
    if not argv:
        return ""
    program = Path(argv[0]).name
    if program in ("__main__.py", "labelaudit") or program.startswith("labelaudit"):
        program = "labelaudit"
    return shlex.join([program, *argv[1:]])
