""".txt/.md reports with optional YAML front matter."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from auditor.io.records import Record, decode
from auditor.schema import FailedRecord, Report


def split_front_matter(text: str, where: str) -> tuple[dict[str, Any], str]:
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
        text = decode(path.read_bytes(), where)
        meta, body = split_front_matter(text, where)
    except (OSError, ValueError) as exc:
        return FailedRecord(rel, str(exc))
    rid = str(meta.pop("id", "") or Path(rel).with_suffix("").as_posix())
    meta.pop("text", None)
    return Report(id=rid, text=body, metadata={k: plain(v) for k, v in meta.items()})


def plain(value: Any) -> Any:
    """YAML dates become ISO strings, so metadata stays JSON-serialisable."""
    return value.isoformat() if hasattr(value, "isoformat") else value
