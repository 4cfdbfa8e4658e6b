"""Reports in, results out; no NLP here.

Readers never raise on a bad record: they yield a `FailedRecord` in its place, so every input
record comes out, in order. Only an unusable argument (a path that does not exist) raises
`InputError`.
"""

from auditor.io.inputs import (
    SUPPORTED_SUFFIXES,
    check_inputs,
    expand_globs,
    read_inputs,
    read_stdin,
)
from auditor.io.jsonl import read_jsonl
from auditor.io.mapping import ColumnMap, build_map, parse_map
from auditor.io.records import InputError, Record
from auditor.io.results import CSV_FIELDS, AtomicResults, csv_row, is_results_file, read_results
from auditor.io.tabular import TableOptions, read_csv
from auditor.io.text import read_text_file

__all__ = [
    "CSV_FIELDS",
    "SUPPORTED_SUFFIXES",
    "AtomicResults",
    "ColumnMap",
    "InputError",
    "Record",
    "TableOptions",
    "build_map",
    "check_inputs",
    "csv_row",
    "expand_globs",
    "is_results_file",
    "parse_map",
    "read_csv",
    "read_inputs",
    "read_jsonl",
    "read_results",
    "read_stdin",
    "read_text_file",
]
