"""A cheap count of the records in the inputs, for a progress bar with a total and an ETA.

Counting reads each file once without decoding reports (newlines for JSON Lines, the C csv
parser for tables, metadata for xlsx and parquet). It is an estimate for progress only: it
never raises, and stdin is not counted (None).
"""

from __future__ import annotations

import csv
import io
import stat
from collections.abc import Iterable
from pathlib import Path

from auditor.io.inputs import walk_files
from auditor.io.tabular import TableOptions, sniff_delimiter, sniff_encoding

_CHUNK = 1 << 20


def _lines(path: Path) -> int:
    n = 0
    last = b"\n"
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            n += chunk.count(b"\n")
            last = chunk[-1:]
    return n + (last != b"\n")


def _csv_rows(path: Path, options: TableOptions) -> int:
    with path.open("rb") as fh:
        encoding = options.encoding or sniff_encoding(fh, str(path), announce=False)
        text = io.TextIOWrapper(fh, encoding=encoding, errors="replace", newline="")
        header = text.readline()
        delimiter = options.delimiter or sniff_delimiter(header)
        return sum(1 for _ in csv.reader(text, delimiter=delimiter))


def _xlsx_rows(path: Path, options: TableOptions) -> int:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    try:
        sheet = book[options.sheet] if options.sheet else book.worksheets[0]
        return max((sheet.max_row or 1) - 1, 0)
    finally:
        book.close()


def _parquet_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return int(pq.ParquetFile(path).metadata.num_rows)


def count_file(path: Path, options: TableOptions) -> int:
    """About how many records one file holds (1 when it cannot tell)."""
    suffix = path.suffix.lower()
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return 1  # a FIFO or device is never opened: it would block
        if suffix in (".jsonl", ".ndjson"):
            return _lines(path)
        if suffix in (".csv", ".tsv", ".tab"):
            return _csv_rows(path, options)
        if suffix == ".xlsx":
            return _xlsx_rows(path, options)
        if suffix == ".parquet":
            return _parquet_rows(path)
    except Exception:
        return 1
    return 1


def count_records(inputs: Iterable[str], options: TableOptions) -> int | None:
    """About how many records the inputs hold; None when one of them is stdin."""
    total = 0
    for item in inputs:
        if item == "-":
            return None
        path = Path(item)
        files = walk_files(path, path, announce=False) if path.is_dir() else [path]
        total += sum(count_file(f, options) if isinstance(f, Path) else 1 for f in files)
    return total
