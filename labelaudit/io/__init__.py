"""The only package that knows paths and file formats (DESIGN.md section 2).

- :mod:`~labelaudit.io.sources`: what a source names (file, Parquet folder or glob, stdin) and
  its rows as Arrow record batches;
- :mod:`~labelaudit.io.paths`: input and output path checks, atomic writes;
- :mod:`~labelaudit.io.tables`: Parquet and CSV tables, result tables written block by block;
- :mod:`~labelaudit.io.npy`: ``.npy`` arrays (no pickles; memory maps and their pages);
- :mod:`~labelaudit.io.labels`: the given labels and their matching to classes by value;
- :mod:`~labelaudit.io.probs`: probability files and tables (streamed into one array) and their
  validation messages;
- :mod:`~labelaudit.io.input_plan`: what each audit input holds, worked out before reading;
- :mod:`~labelaudit.io.inputs`: the audit inputs, read and checked together;
- :mod:`~labelaudit.io.issues`: find-issues outputs read back by ``clean --issues``.

Every reader turns bad input into an :class:`~labelaudit.errors.InputError` naming the file,
column or row and the fix. Heavy libraries (numpy, pandas, pyarrow) are imported inside the
functions that use them.
"""

from labelaudit.io.inputs import AuditInputs, load_audit_inputs
from labelaudit.io.issues import IssuesFile, read_issues
from labelaudit.io.labels import (
    LABEL_SUFFIXES,
    ClassMatcher,
    LabelsFile,
    integer_names,
    map_labels,
    parse_classes,
    read_labels,
    resolve_label_column,
)
from labelaudit.io.npy import load_npy, page_releaser
from labelaudit.io.paths import (
    atomic_path,
    check_output,
    check_output_path,
    check_readable,
    check_suffix,
    is_stdout,
    output_suffix,
    refuse_overwrite,
    suffix_of,
    write_npy,
    write_text,
)
from labelaudit.io.probs import (
    PROBS_SUFFIXES,
    ProbsFile,
    read_probs,
    stream_table,
    validate_probs,
)
from labelaudit.io.sources import Source, read_frame, resolve_source
from labelaudit.io.tables import (
    ROWS_PER_WRITE,
    TABLE_SUFFIXES,
    read_table,
    table_columns,
    write_rows,
    write_table,
)

__all__ = [
    "LABEL_SUFFIXES",
    "PROBS_SUFFIXES",
    "ROWS_PER_WRITE",
    "TABLE_SUFFIXES",
    "AuditInputs",
    "ClassMatcher",
    "IssuesFile",
    "LabelsFile",
    "ProbsFile",
    "Source",
    "atomic_path",
    "check_output",
    "check_output_path",
    "check_readable",
    "check_suffix",
    "integer_names",
    "is_stdout",
    "load_audit_inputs",
    "load_npy",
    "map_labels",
    "output_suffix",
    "page_releaser",
    "parse_classes",
    "read_frame",
    "read_issues",
    "read_labels",
    "read_probs",
    "read_table",
    "refuse_overwrite",
    "resolve_label_column",
    "resolve_source",
    "stream_table",
    "suffix_of",
    "table_columns",
    "validate_probs",
    "write_npy",
    "write_rows",
    "write_table",
    "write_text",
]
