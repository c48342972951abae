"""The ``labelaudit`` command line: parse options, call the pipeline, render its documents.

One module per command (its own options as typed aliases at its top); shared options in
:mod:`~labelaudit.cli.options`, options that travel together as parameter objects in
:mod:`~labelaudit.cli.groups`, the shared run and output tail in :mod:`~labelaudit.cli.output`,
the app and its error handling in :mod:`~labelaudit.cli.app`. No math and no file formats
here. Heavy modules (numpy, pandas, pyarrow, scikit-learn) are imported inside the commands
that need them, so that ``labelaudit --help`` stays fast in shell pipelines.
"""

from labelaudit.cli import (  # noqa: F401 - registers
    clean,
    evaluate,
    find_issues,
    health,
    predict,
    report,
    score,
)
from labelaudit.cli.app import app
from labelaudit.cli.options import CleanAction, FilterBy, ScoreMethod

__all__ = ["CleanAction", "FilterBy", "ScoreMethod", "app", "main"]


def main() -> None:
    """Console-script entry point."""
    app()
