"""The ``labelaudit`` command line: parse options, call the pipeline, render its documents.

One module per command; shared options in :mod:`~labelaudit.cli.options`, the shared run and
output tail in :mod:`~labelaudit.cli.output`, the app and its error handling in
:mod:`~labelaudit.cli.app`. No math and no file formats here. Heavy modules (numpy, pandas,
pyarrow, scikit-learn) are imported inside the commands that need them, so that
``labelaudit --help`` stays fast in shell pipelines.
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
