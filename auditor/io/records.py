"""What every reader yields: a Report or a FailedRecord, never an exception for a bad record."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from auditor.schema import FailedRecord, Report

Record = Report | FailedRecord
ESCAPED = re.compile("[\udc80-\udcff]")  # bytes that were not UTF-8 (surrogateescape)


class InputError(ValueError):
    """An input argument cannot be used at all (exit code 2)."""


@dataclass
class DuplicateIds:
    """Remembers ids to report duplicates (a set of strings: small even for 100k records)."""

    seen: dict[str, str] = field(default_factory=dict)

    def check(self, rec: Record, where: str) -> Record:
        if isinstance(rec, FailedRecord):
            return rec
        first = self.seen.get(rec.id)
        if first is not None:
            return FailedRecord(rec.id, f"duplicate id {rec.id!r} (first seen at {first})",
                                rec.metadata)
        self.seen[rec.id] = where
        return rec


def decode(data: bytes, where: str) -> str:
    """UTF-8 (a BOM is dropped) or UTF-16 with a BOM; ValueError for anything else."""
    if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ValueError(f"{where}: invalid UTF-16 at byte {exc.start}") from None
    if b"\x00" in data:
        raise ValueError(f"{where}: binary content (NUL bytes), not a text report")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{where}: invalid UTF-8 at byte {exc.start}") from None


def from_mapping(obj: dict[str, Any], where: str, text_keys: Iterable[str] = ("text",),
                  id_key: str = "id") -> Record:
    rid = obj.get(id_key)
    rid = str(rid).strip() if rid not in (None, "") else ""
    # The first non-empty text field; a present but empty one still counts (the engine then
    # reports an empty report rather than a missing field).
    key = next((k for k in text_keys if obj.get(k) not in (None, "")),
               next((k for k in text_keys if obj.get(k) is not None), None))
    meta = {k: v for k, v in obj.items()
            if k not in (id_key, "text", "labels", "metadata", key)}
    if isinstance(obj.get("metadata"), dict):
        meta = {**obj["metadata"], **meta}
    if not rid:
        return FailedRecord(where, f"{where}: missing required field '{id_key}'", meta)
    if key is None:
        names = "' or '".join(text_keys)
        return FailedRecord(rid, f"{where}: missing required field '{names}'", meta)
    text = obj[key]
    if not isinstance(text, str):
        return FailedRecord(rid, f"{where}: field 'text' must be a string", meta)
    return Report(id=rid, text=text, metadata=meta)


def from_row(fields: tuple[str, str, dict[str, Any], list[str]], where: str) -> Record:
    """A Report from a mapped table row (id, text, metadata, warnings), or why not."""
    rid, text, meta, warnings = fields
    if not rid:
        return FailedRecord(where, f"{where}: the id column is empty", meta, warnings)
    return Report(id=rid, text=text, metadata=meta, warnings=warnings)
