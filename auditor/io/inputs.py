"""Every record of every input argument, in order: files, directories and stdin."""

from __future__ import annotations

import io
import itertools
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from auditor.io.jsonl import read_jsonl
from auditor.io.records import DuplicateIds, InputError, Record, decode
from auditor.io.tabular import Columns, read_csv
from auditor.io.text import plain, read_text_file, split_front_matter
from auditor.schema import FailedRecord, Report

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | {".jsonl", ".ndjson", ".csv"}


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
            text = decode(data, "<stdin>")
        except ValueError as exc:
            yield FailedRecord("stdin", str(exc))
            return
        meta, body = split_front_matter(text, "<stdin>")
        yield Report(id=str(meta.pop("id", "stdin")), text=body,
                     metadata={k: plain(v) for k, v in meta.items()})


def check_inputs(inputs: Iterable[str]) -> list[str]:
    """Raise InputError for arguments that cannot be read at all."""
    inputs = list(inputs)
    if not inputs:
        raise InputError("no input given (use a file, a directory or - for stdin)")
    for item in inputs:
        if item != "-" and not Path(item).exists():
            raise InputError(f"{item}: no such file or directory")
    return inputs


def read_inputs(inputs: Iterable[str], columns: Columns | None = None,
                stdin_format: str = "auto") -> Iterator[Record]:
    """Every record of every input, in order; duplicate ids become FailedRecords."""
    columns = columns or Columns()
    ids = DuplicateIds()
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
