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
from auditor.io.tabular import TableOptions, read_csv, read_parquet, read_xlsx
from auditor.io.text import plain, read_text_file, split_front_matter
from auditor.schema import FailedRecord, Report

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
CSV_SUFFIXES = {".csv", ".tsv", ".tab"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | JSONL_SUFFIXES | CSV_SUFFIXES | {".xlsx", ".parquet"}


def _read_path(path: Path, options: TableOptions, root: Path | None = None) -> Iterator[Record]:
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        yield read_text_file(path, root)
    elif suffix == ".xlsx":
        yield from read_xlsx(path, options)
    elif suffix == ".parquet":
        yield from read_parquet(path, options)
    elif suffix in JSONL_SUFFIXES | CSV_SUFFIXES:
        with path.open("rb") as fh:
            if suffix in JSONL_SUFFIXES:
                yield from read_jsonl(fh, str(path))
            else:
                yield from read_csv(fh, str(path), options, tsv=suffix != ".csv")
    else:
        yield FailedRecord(str(path), f"{path}: unsupported file type {suffix or '(none)'}")


def read_stdin(stream: IO[bytes], options: TableOptions, fmt: str = "auto") -> Iterator[Record]:
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
        yield from read_csv(io.BytesIO(data), "<stdin>", options)
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


def read_inputs(inputs: Iterable[str], options: TableOptions | None = None,
                stdin_format: str = "auto") -> Iterator[Record]:
    """Every record of every input, in order; duplicate ids become FailedRecords."""
    options = options or TableOptions()
    ids = DuplicateIds()
    for item in check_inputs(inputs):
        if item == "-":
            records: Iterable[Record] = read_stdin(sys.stdin.buffer, options, stdin_format)
        else:
            path = Path(item)
            if path.is_dir():
                files = sorted(p for p in path.rglob("*")
                               if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)
                records = (r for f in files for r in _read_path(f, options, path))
            else:
                records = _read_path(path, options)
        for n, rec in enumerate(records, 1):
            yield ids.check(rec, f"{item}#{n}")
