"""Every record of every input argument, in order: files, directories and stdin."""

from __future__ import annotations

import glob
import io
import itertools
import logging
import os
import stat
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from auditor.config import Limits
from auditor.io.jsonl import read_jsonl
from auditor.io.records import (
    DEFAULT_LIMITS,
    DuplicateIds,
    InputError,
    Record,
    decode,
    validate_record,
)
from auditor.io.tabular import TableOptions, read_csv, read_parquet, read_xlsx
from auditor.io.text import plain, read_text_file, split_front_matter
from auditor.schema import FailedRecord, Report

log = logging.getLogger("auditor.io")

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
CSV_SUFFIXES = {".csv", ".tsv", ".tab"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | JSONL_SUFFIXES | CSV_SUFFIXES | {".xlsx", ".parquet"}


def _read_path(
    path: Path, options: TableOptions, limits: Limits, root: Path | None = None
) -> Iterator[Record]:
    """The records of one file; a file that cannot be read is one FailedRecord."""
    rel = str(path.relative_to(root)) if root else path.name
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        yield FailedRecord(rel, f"{path}: cannot read: {exc.strerror}")
        return
    if not stat.S_ISREG(mode):  # a FIFO or device would block or never end: never opened
        yield FailedRecord(rel, f"{path}: not a regular file")
        return
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        yield FailedRecord(
            rel,
            f"{path}: unsupported file type {suffix or '(none)'} "
            f"(supported: {', '.join(sorted(SUPPORTED_SUFFIXES))})",
        )
        return
    if suffix in TEXT_SUFFIXES:
        yield read_text_file(path, root, limits)
        return
    if suffix == ".xlsx":
        yield from read_xlsx(path, options)
        return
    if suffix == ".parquet":
        yield from read_parquet(path, options)
        return
    try:
        with path.open("rb") as fh:
            if suffix in JSONL_SUFFIXES:
                yield from read_jsonl(fh, str(path), options.columns)
            else:
                yield from read_csv(fh, str(path), options, tsv=suffix != ".csv")
    except OSError as exc:
        yield FailedRecord(rel, f"{path}: cannot read: {exc.strerror}")


def walk_files(directory: Path, root: Path, announce: bool = True) -> Iterator[Path | FailedRecord]:
    """Entries under `directory` depth-first by name; hidden ones (".name") are skipped, and
    named on stderr when `announce`.

    Symbolic links to directories are not followed (no loops); an unreadable directory is a
    FailedRecord rather than silently empty.
    """
    try:
        with os.scandir(directory) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        rel = str(directory.relative_to(root)) if directory != root else directory.name
        yield FailedRecord(rel, f"{directory}: cannot read directory: {exc.strerror}")
        return
    hidden = [e.name for e in entries if e.name.startswith(".")]
    if hidden and announce:
        log.warning("%s: hidden entries skipped: %s", directory, ", ".join(hidden))
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        if entry.is_dir(follow_symlinks=False):
            yield from walk_files(path, root, announce)
        elif entry.is_symlink() and path.is_dir():
            yield FailedRecord(
                str(path.relative_to(root)), f"{path}: link to a directory, not followed"
            )
        else:
            yield path


def read_stdin(
    stream: IO[bytes], options: TableOptions, fmt: str = "auto", limits: Limits = DEFAULT_LIMITS
) -> Iterator[Record]:
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
        yield from read_jsonl(itertools.chain(head, stream), "<stdin>", options.columns)
        return
    data = b"".join(head) + stream.read()
    if fmt == "csv":
        yield from read_csv(io.BytesIO(data), "<stdin>", options)
    else:
        try:
            text = decode(data, "<stdin>")
            meta, body = split_front_matter(text, "<stdin>", limits.max_front_matter_chars)
        except ValueError as exc:
            yield FailedRecord("stdin", str(exc))
            return
        yield Report(
            id=str(meta.pop("id", "stdin")),
            text=body,
            metadata={k: plain(v) for k, v in meta.items()},
        )


def expand_globs(inputs: Iterable[str]) -> Iterator[tuple[str, str | None]]:
    """(path, None) per file an argument names, or (argument, error) when a pattern matches none.

    For shells that do not expand wildcards (and quoted patterns): an argument with `*`, `?` or
    `[` that is not itself an existing path is expanded here (`**` spans directories), its files
    in sorted order. Other arguments, `-` included, pass through unchanged.
    """
    for item in inputs:
        if item == "-" or not glob.has_magic(item) or os.path.lexists(item):
            yield item, None
            continue
        matches = sorted(p for p in glob.glob(item, recursive=True) if Path(p).is_file())
        if not matches:
            yield item, "no file matches this pattern"
        for match in matches:
            yield match, None


def check_inputs(inputs: Iterable[str]) -> list[str]:
    """Raise InputError for arguments that cannot be read at all."""
    inputs = list(inputs)
    if not inputs:
        raise InputError("no input given (use a file, a directory or - for stdin)")
    for item in inputs:
        if item != "-" and not Path(item).exists():
            raise InputError(f"{item}: no such file or directory")
    return inputs


def read_inputs(
    inputs: Iterable[str],
    options: TableOptions | None = None,
    stdin_format: str = "auto",
    limits: Limits = DEFAULT_LIMITS,
) -> Iterator[Record]:
    """Every record of every input, in order, validated; duplicate ids become FailedRecords."""
    options = options or TableOptions()
    ids = DuplicateIds()
    for item in check_inputs(inputs):
        if item == "-":
            records: Iterable[Record] = read_stdin(sys.stdin.buffer, options, stdin_format, limits)
        else:
            path = Path(item)
            if path.is_dir():
                records = (
                    r
                    for f in walk_files(path, path)
                    for r in (
                        [f] if isinstance(f, FailedRecord) else _read_path(f, options, limits, path)
                    )
                )
            else:
                records = _read_path(path, options, limits)
        for n, rec in enumerate(records, 1):
            where = f"{item}#{n}"
            yield ids.check(validate_record(rec, where, limits), where)
