"""CSV with a header row: columns mapped to id, text and metadata."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from auditor.io.records import ESCAPED, InputError, Record, from_mapping
from auditor.schema import METADATA_FIELDS, FailedRecord


@dataclass(frozen=True)
class Columns:
    """CSV column names; `text` tries each name in order."""

    id: str = "id"
    text: tuple[str, ...] = ("text", "comments", "comment", "report")
    metadata: tuple[str, ...] = METADATA_FIELDS


def _unreadable(cells: list[str]) -> str | None:
    """Why CSV cells decoded with surrogateescape are not text, or None when they are."""
    if any("\x00" in c for c in cells):
        return "binary content (NUL bytes), not a text report"
    if any(ESCAPED.search(c) for c in cells):
        return "invalid UTF-8"
    return None


def read_csv(stream: IO[bytes], name: str, columns: Columns) -> Iterator[Record]:
    """CSV with a header row; quoted fields may contain newlines."""
    # Undecodable bytes become lone surrogates, so one bad row fails alone, not the whole file.
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    reader = csv.reader(text)
    header = next(reader, None)
    if header is None:
        return
    if reason := _unreadable(header):
        yield FailedRecord(f"{name}:1", f"{name}: header: {reason}")
        return
    header = [h.strip() for h in header]
    text_cols = [c for c in columns.text if c in header]
    if columns.id not in header or not text_cols:
        raise InputError(
            f"{name}: CSV needs an '{columns.id}' column and one of "
            f"{', '.join(repr(c) for c in columns.text)}; found {', '.join(header)}"
        )
    rows = iter(reader)
    row_no = 1
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except csv.Error as exc:
            row_no += 1
            yield FailedRecord(f"{name}:row{row_no}", f"{name}: row {row_no}: unreadable: {exc}")
            continue
        row_no += 1
        where = f"{name}:row{row_no}"
        if not any(cell.strip() for cell in row):
            continue
        if reason := _unreadable(row):
            yield FailedRecord(where, f"{where}: {reason}")
            continue
        if len(row) < len(header):
            rid = row[header.index(columns.id)] if header.index(columns.id) < len(row) else ""
            yield FailedRecord(rid.strip() or where,
                               f"{where}: {len(row)} of {len(header)} columns present")
            continue
        if any(cell.strip() for cell in row[len(header):]):
            # An unquoted comma in the text: the report would be cut silently.
            yield FailedRecord(where, f"{where}: {len(row)} columns but the header has "
                                      f"{len(header)} (quote fields that contain commas)")
            continue
        obj = dict(zip(header, row[:len(header)], strict=True))
        for key in columns.metadata:
            if key in obj and obj[key] == "":
                del obj[key]
        yield from_mapping(obj, where, text_cols, columns.id)
