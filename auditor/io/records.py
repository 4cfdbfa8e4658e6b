"""What every reader yields: a Report or a FailedRecord, never an exception for a bad record."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from auditor.config import Limits
from auditor.schema import FailedRecord, Report
from auditor.textsafety import SURROGATE, printable

Record = Report | FailedRecord
ESCAPED = re.compile("[\udc80-\udcff]")  # bytes that were not UTF-8 (surrogateescape)
DEFAULT_LIMITS = Limits()  # the bundled rule pack's defaults, for readers used on their own


class InputError(ValueError):
    """An input argument cannot be used at all (exit code 2)."""


@dataclass
class DuplicateIds:
    """Remembers ids to report duplicates (a set of strings: small even for 100k records)."""

    seen: dict[str, str] = field(default_factory=dict)

    def check(self, rec: Record, where: str) -> Record:
        """`rec`, or an error record when its id was seen before (naming where first)."""
        if isinstance(rec, FailedRecord):
            return rec
        first = self.seen.get(rec.id)
        if first is not None:
            return FailedRecord(
                rec.id, f"duplicate id {rec.id!r} (first seen at {first})", rec.metadata
            )
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


def from_mapping(
    obj: dict[str, Any],
    where: str,
    text_keys: Iterable[str] = ("text",),
    id_key: str = "id",
    warnings: list[str] | None = None,
) -> Record:
    """A Report from a JSON object (`id`, text, the rest metadata), or why not."""
    warnings = warnings or []
    rid = obj.get(id_key)
    rid = str(rid).strip() if rid not in (None, "") else ""
    # The first non-empty text field; a present but empty one still counts (the engine then
    # reports an empty report rather than a missing field).
    key = next(
        (k for k in text_keys if obj.get(k) not in (None, "")),
        next((k for k in text_keys if obj.get(k) is not None), None),
    )
    meta = {k: v for k, v in obj.items() if k not in (id_key, "text", "labels", "metadata", key)}
    if isinstance(obj.get("metadata"), dict):
        meta = {**obj["metadata"], **meta}
    if not rid:
        return FailedRecord(where, f"{where}: missing required field '{id_key}'", meta, warnings)
    if key is None:
        names = "' or '".join(text_keys)
        return FailedRecord(rid, f"{where}: missing required field '{names}'", meta, warnings)
    text = obj[key]
    if not isinstance(text, str):
        return FailedRecord(rid, f"{where}: field 'text' must be a string", meta, warnings)
    return Report(id=rid, text=text, metadata=meta, warnings=warnings)


def from_row(fields: tuple[str, str, dict[str, Any], list[str]], where: str) -> Record:
    """A Report from a mapped table row (id, text, metadata, warnings), or why not."""
    rid, text, meta, warnings = fields
    if not rid:
        return FailedRecord(where, f"{where}: the id column is empty", meta, warnings)
    return Report(id=rid, text=text, metadata=meta, warnings=warnings)


def validate_record(rec: Record, where: str, limits: Limits) -> Record:
    """`rec`, or a FailedRecord when its id, text or metadata cannot be audited and written out.

    Every reader's records pass here once. Lone surrogates (a JSON "\\ud800" escape without its
    pair, or an undecodable file name) cannot be encoded as UTF-8, and metadata nested deeper
    than `limits.max_metadata_depth`, holding more than `limits.max_metadata_values` keys and
    items, or holding values JSON has no type for cannot be written safely. A failed
    record gets a printable id and message (surrogates backslash-escaped) and drops metadata that
    cannot be written.
    """
    rid = printable(rec.id)
    meta_problem = _metadata_size_problem(
        rec.metadata, limits.max_metadata_values
    ) or _metadata_problem(rec.metadata, limits.max_metadata_depth)
    meta = rec.metadata if meta_problem is None else {}
    if isinstance(rec, FailedRecord):
        if rid == rec.id and meta_problem is None and not SURROGATE.search(rec.error):
            return rec
        return FailedRecord(rid, printable(rec.error), meta)
    problem = (
        _surrogate_problem(rec.id, "the id")
        or _surrogate_problem(rec.text, "the text")
        or meta_problem
    )
    return rec if problem is None else FailedRecord(rid, f"{printable(where)}: {problem}", meta)


def _surrogate_problem(text: str, what: str) -> str | None:
    found = SURROGATE.search(text)
    if found is None:
        return None
    return (
        f"invalid Unicode in {what}: lone surrogate {printable(found.group())} at "
        f"character {found.start()}"
    )


def _metadata_size_problem(metadata: Any, limit: int) -> str | None:
    """Why metadata is too large to carry along (more than `limit` keys and items), or None."""
    seen, todo = 0, [metadata]
    while todo:
        value = todo.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list | tuple | set | frozenset):
            children = value
        else:
            continue
        seen += len(children)
        if seen > limit:
            return f"metadata holds more than {limit} keys and items (limits.max_metadata_values)"
        todo.extend(children)
    return None


def _metadata_problem(value: Any, max_depth: int, depth: int = 1, key: str = "") -> str | None:
    """Why metadata cannot be written out, or None; recursion stops at `max_depth`."""
    where = f"metadata field {printable(key)!r}" if key else "metadata"
    if isinstance(value, str):
        return _surrogate_problem(value, where)
    if value is None or isinstance(value, bool | int | float | date):
        return None
    if not isinstance(value, dict | list | tuple | set | frozenset):
        return f"{where}: a {type(value).__name__} value cannot be written as JSON"
    if depth > max_depth:
        return f"metadata nested more than {max_depth} levels deep (limits.max_metadata_depth)"
    items = value.items() if isinstance(value, dict) else ((None, v) for v in value)
    for k, v in items:
        name = key or (k if isinstance(k, str) else "")
        problem = (
            _surrogate_problem(k, where) if isinstance(k, str) else None
        ) or _metadata_problem(v, max_depth, depth + 1, name)
        if problem:
            return problem
    return None
