"""Read reports from JSON Lines, CSV, .txt/.md (optional YAML front matter), directories and
stdin; write results atomically. No NLP here.

Readers never raise on a bad record: they yield a `FailedRecord` in its place, so every input
record comes out, in order. Only an unusable argument (a path that does not exist) raises
`InputError`.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import re
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import yaml

from auditor.schema import METADATA_FIELDS, FailedRecord, Report, ReportAudit

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | {".jsonl", ".ndjson", ".csv"}

Record = Report | FailedRecord
_ESCAPED = re.compile("[\udc80-\udcff]")  # bytes that were not UTF-8 (surrogateescape)


class InputError(ValueError):
    """An input argument cannot be used at all (exit code 2)."""


@dataclass(frozen=True)
class Columns:
    """CSV column names; `text` tries each name in order."""

    id: str = "id"
    text: tuple[str, ...] = ("text", "comments", "comment", "report")
    metadata: tuple[str, ...] = METADATA_FIELDS


@dataclass
class _Ids:
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


def _decode(data: bytes, where: str) -> str:
    if b"\x00" in data:
        raise ValueError(f"{where}: binary content (NUL bytes), not a text report")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{where}: invalid UTF-8 at byte {exc.start}") from None


def _from_mapping(obj: dict[str, Any], where: str, text_keys: Iterable[str] = ("text",),
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


def read_jsonl(stream: Iterable[bytes], name: str) -> Iterator[Record]:
    """One report per line; blank lines are skipped, bad lines become FailedRecords."""
    for lineno, raw in enumerate(stream, 1):
        where = f"{name}:{lineno}"
        if not raw.strip():
            continue
        try:
            line = _decode(raw, where)
            obj = json.loads(line)
        except ValueError as exc:
            msg = str(exc) if str(exc).startswith(where) else f"{where}: malformed JSON: {exc}"
            yield FailedRecord(where, msg)
            continue
        if not isinstance(obj, dict):
            yield FailedRecord(where, f"{where}: expected a JSON object per line")
            continue
        yield _from_mapping(obj, where)


def _unreadable(cells: list[str]) -> str | None:
    """Why CSV cells decoded with surrogateescape are not text, or None when they are."""
    if any("\x00" in c for c in cells):
        return "binary content (NUL bytes), not a text report"
    if any(_ESCAPED.search(c) for c in cells):
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
        yield _from_mapping(obj, where, text_cols, columns.id)


def _split_front_matter(text: str, where: str) -> tuple[dict[str, Any], str]:
    if not text.startswith("---"):
        return {}, text
    lines = text.split("\n")
    if lines[0].strip() != "---":
        return {}, text
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            try:
                meta = yaml.safe_load("\n".join(lines[1:i])) or {}
            except yaml.YAMLError as exc:
                raise ValueError(f"{where}: invalid YAML front matter: {exc}") from None
            if not isinstance(meta, dict):
                raise ValueError(f"{where}: front matter must be a mapping")
            return meta, "\n".join(lines[i + 1:])
    return {}, text


def read_text_file(path: Path, root: Path | None = None) -> Record:
    """A .txt/.md report; id from front matter or the file's path."""
    rel = str(path.relative_to(root)) if root else path.name
    where = str(path)
    try:
        text = _decode(path.read_bytes(), where)
        meta, body = _split_front_matter(text, where)
    except (OSError, ValueError) as exc:
        return FailedRecord(rel, str(exc))
    rid = str(meta.pop("id", "") or Path(rel).with_suffix("").as_posix())
    meta.pop("text", None)
    return Report(id=rid, text=body, metadata={k: _plain(v) for k, v in meta.items()})


def _plain(value: Any) -> Any:
    """YAML dates become ISO strings, so metadata stays JSON-serialisable."""
    return value.isoformat() if hasattr(value, "isoformat") else value


def _read_path(path: Path, columns: Columns, root: Path | None = None) -> Iterator[Record]:
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        yield read_text_file(path, root)
        return
    with path.open("rb") as fh:
        if suffix in (".jsonl", ".ndjson"):
            yield from read_jsonl(fh, str(path))
        elif suffix == ".csv":
            yield from read_csv(fh, str(path), columns)
        else:
            yield FailedRecord(str(path), f"{path}: unsupported file type {suffix or '(none)'}")


def read_stdin(stream: IO[bytes], columns: Columns, fmt: str = "auto") -> Iterator[Record]:
    """stdin as JSON Lines, CSV or one plain-text report (auto: '{' first means JSONL).

    JSON Lines are read line by line, so a long batch on stdin streams as a file does.
    """
    head: list[bytes] = []
    if fmt == "auto":
        for line in stream:  # the first non-blank line decides
            head.append(line)
            if line.strip():
                break
        fmt = "jsonl" if b"".join(head).lstrip()[:1] == b"{" else "text"
    if fmt == "jsonl":
        yield from read_jsonl(itertools.chain(head, stream), "<stdin>")
        return
    data = b"".join(head) + stream.read()
    if fmt == "csv":
        yield from read_csv(io.BytesIO(data), "<stdin>", columns)
    else:
        try:
            text = _decode(data, "<stdin>")
        except ValueError as exc:
            yield FailedRecord("stdin", str(exc))
            return
        meta, body = _split_front_matter(text, "<stdin>")
        yield Report(id=str(meta.pop("id", "stdin")), text=body,
                     metadata={k: _plain(v) for k, v in meta.items()})


def check_inputs(inputs: Iterable[str]) -> list[str]:
    """Raise InputError for arguments that cannot be read at all."""
    inputs = list(inputs)
    if not inputs:
        raise InputError("no input given (use a file, a directory or - for stdin)")
    for item in inputs:
        if item != "-" and not Path(item).exists():
            raise InputError(f"{item}: no such file or directory")
    return inputs


def read_inputs(inputs: Iterable[str], columns: Columns = Columns(),
                stdin_format: str = "auto") -> Iterator[Record]:
    """Every record of every input, in order; duplicate ids become FailedRecords."""
    ids = _Ids()
    for item in check_inputs(inputs):
        if item == "-":
            records: Iterable[Record] = read_stdin(sys.stdin.buffer, columns, stdin_format)
        else:
            path = Path(item)
            if path.is_dir():
                files = sorted(p for p in path.rglob("*")
                               if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)
                records = (r for f in files for r in _read_path(f, columns, path))
            else:
                records = _read_path(path, columns)
        for n, rec in enumerate(records, 1):
            yield ids.check(rec, f"{item}#{n}")


CSV_FIELDS = (
    "id", *METADATA_FIELDS, "score", "verdict", "focus_competencies", "aligned_priorities",
    "priorities", "situation", "action", "result", "next_objective", "next_objective_smart",
    "observed_behavior", "reinforcement", "dialogue", "judgmental", "numbers_only",
    "compliance_risk", "findings", "error",
)


def csv_row(audit: ReportAudit) -> dict[str, Any]:
    """One flat CSV row for an audit."""
    row: dict[str, Any] = {"id": audit.id, "error": audit.error or ""}
    for key in METADATA_FIELDS:
        row[key] = audit.metadata.get(key, "")
    if audit.error is None:
        row.update(
            score=audit.score, verdict=audit.verdict,
            focus_competencies=";".join(audit.focus_competencies),
            aligned_priorities=";".join(audit.aligned_priorities),
            priorities=";".join(t.id for t in audit.priorities),
            next_objective=audit.next_objective.present,
            next_objective_smart=audit.next_objective.smart,
            findings=";".join(f.code for f in audit.findings),
            **audit.star.model_dump(), **audit.signals.model_dump(),
        )
    return row


class AtomicResults:
    """Writes results.jsonl and results.csv to temporary files, renamed into place on close."""

    def __init__(self, out_dir: Path) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        self.out_dir = out_dir
        self._files: list[tuple[IO[str], Path, Path]] = []
        self._jsonl = self._open("results.jsonl")
        self._csvfh = self._open("results.csv")
        self._csv = csv.DictWriter(self._csvfh, fieldnames=CSV_FIELDS)
        self._csv.writeheader()

    def _open(self, name: str) -> IO[str]:
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=self.out_dir)
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)  # mkstemp makes 0600; results are ordinary shared files
        fh = os.fdopen(fd, "w", encoding="utf-8", newline="")
        self._files.append((fh, Path(tmp), self.out_dir / name))
        return fh

    def write(self, audit: ReportAudit) -> None:
        """Append one audit to both files."""
        self._jsonl.write(audit.model_dump_json(exclude_none=False) + "\n")
        self._csv.writerow(csv_row(audit))

    def commit(self) -> None:
        """Flush, fsync and rename both files into place."""
        for fh, tmp, final in self._files:
            fh.flush()
            os.fsync(fh.fileno())
            fh.close()
            os.replace(tmp, final)

    def abort(self) -> None:
        """Remove the temporary files (the previous results, if any, stay)."""
        for fh, tmp, _ in self._files:
            fh.close()
            tmp.unlink(missing_ok=True)
