"""Presentation of results (DESIGN.md section 2).

- :mod:`~labelaudit.report.documents`: JSON-ready documents and result columns, with class names
  in place of class indices (the ``--json`` output and the tables written to files);
- :mod:`~labelaudit.report.terminal`: rich tables and summaries on stdout, progress and warnings
  on stderr.

Nothing here computes label statistics: it arranges what the core and the pipeline returned.
"""
