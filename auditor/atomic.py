"""Atomic, durable file writes: a reader sees the old file or the new one, never half of one.

The one place that writes a temporary file beside the target, flushes it to disk, renames it over
the target and syncs the directory, so that a crash or a full disk never leaves a torn file.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


def replace_durably(tmp: Path, final: Path) -> None:
    """Rename `tmp` over `final` and sync the directory so the rename survives a crash."""
    os.replace(tmp, final)
    dir_fd = os.open(final.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


@contextlib.contextmanager
def atomic_writer(path: Path, newline: str | None = None) -> Iterator[IO[str]]:
    """A UTF-8 text file that replaces `path` only when the block ends without an error."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with tmp.open("w", encoding="utf-8", newline=newline) as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        replace_durably(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` atomically and durably."""
    with atomic_writer(path) as out:
        out.write(text)


def write_json_atomic(path: Path, obj: Any) -> None:
    """Write `obj` as stable, readable JSON (sorted keys, one-space indent) atomically."""
    write_text_atomic(path, json.dumps(obj, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
