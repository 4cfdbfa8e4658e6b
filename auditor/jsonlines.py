"""JSON Lines parsing shared by every reader: one JSON value per line, errors name FILE:LINE."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any


class JsonLineError(ValueError):
    """A line that is not JSON; the message starts with `FILE:LINE:`."""


def loads_line(line: str | bytes, where: str) -> Any:
    """The JSON value on one line; JsonLineError (naming `where`) when it cannot be read."""
    try:
        return json.loads(line)
    except ValueError as exc:
        raise JsonLineError(f"{where}: malformed JSON: {exc}") from None
    except (RecursionError, MemoryError) as exc:
        why = "nested too deeply" if isinstance(exc, RecursionError) else "too large"
        raise JsonLineError(f"{where}: JSON {why} to read") from None


def read_json_lines(path: Path) -> Iterator[tuple[str, Any]]:
    """(`FILE:LINE`, value) for each non-blank line of a UTF-8 file; JsonLineError on a bad one."""
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if line.strip():
                where = f"{path}:{lineno}"
                yield where, loads_line(line, where)
