"""JSON Lines: one report object per line."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from auditor.io.mapping import ColumnMap
from auditor.io.records import Record, decode, from_mapping
from auditor.jsonlines import loads_line
from auditor.schema import FailedRecord


def read_jsonl(
    stream: Iterable[bytes], name: str, columns: ColumnMap | None = None
) -> Iterator[Record]:
    """One report per line; blank lines are skipped, bad lines become FailedRecords.

    With a (non-default) column map, mapped keys are renamed to their fields first.
    """
    if columns is not None and columns.is_default:
        columns = None
    for lineno, raw in enumerate(stream, 1):
        where = f"{name}:{lineno}"
        if not raw.strip():
            continue
        try:
            obj = loads_line(decode(raw, where), where)
        except ValueError as exc:  # a decoding error or a JsonLineError, both naming `where`
            yield FailedRecord(where, str(exc))
            continue
        if not isinstance(obj, dict):
            yield FailedRecord(where, f"{where}: expected a JSON object per line")
            continue
        if columns is None:
            yield from_mapping(obj, where)
        else:
            renamed, warnings = columns.rename(obj)
            yield from_mapping(renamed, where, warnings=warnings)
