""".txt/.md reports with optional YAML front matter."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from auditor.config import Limits
from auditor.io.records import DEFAULT_LIMITS, Record, decode
from auditor.schema import FailedRecord, Report


class _NoAliasLoader(yaml.SafeLoader):
    """Safe YAML without anchors and aliases: an alias bomb ("billion laughs") cannot expand."""

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise yaml.composer.ComposerError(
                None, None, "anchors and aliases are not allowed", event.start_mark
            )
        return super().compose_node(parent, index)


def split_front_matter(
    text: str, where: str, max_chars: int = DEFAULT_LIMITS.max_front_matter_chars
) -> tuple[dict[str, Any], str]:
    """Metadata from YAML front matter (a mapping with string keys) and the body after it."""
    if not text.startswith("---"):
        return {}, text
    lines = text.split("\n")
    if lines[0].strip() != "---":
        return {}, text
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            block = "\n".join(lines[1:i])
            if len(block) > max_chars:
                raise ValueError(
                    f"{where}: front matter too long: {len(block)} characters "
                    f"(limits.max_front_matter_chars {max_chars})"
                )
            try:
                meta = yaml.load(block, Loader=_NoAliasLoader) or {}
            except yaml.YAMLError as exc:
                detail = " ".join(str(exc).split())  # one line: YAML's message spans several
                raise ValueError(f"{where}: invalid YAML front matter: {detail}") from None
            except RecursionError:
                raise ValueError(f"{where}: front matter nested too deeply") from None
            if not isinstance(meta, dict):
                raise ValueError(
                    f"{where}: front matter must be a mapping (key: value lines), "
                    f"not a {type(meta).__name__}"
                )
            if bad := [k for k in meta if not isinstance(k, str)]:
                raise ValueError(f"{where}: front matter keys must be text; found {bad[0]!r}")
            return meta, "\n".join(lines[i + 1 :])
    return {}, text


def read_text_file(path: Path, root: Path | None = None, limits: Limits = DEFAULT_LIMITS) -> Record:
    """A .txt/.md report; id from front matter or the file's path."""
    rel = str(path.relative_to(root)) if root else path.name
    where = str(path)
    try:
        text = decode(path.read_bytes(), where)
        meta, body = split_front_matter(text, where, limits.max_front_matter_chars)
    except (OSError, ValueError) as exc:
        return FailedRecord(rel, str(exc))
    rid = str(meta.pop("id", "") or Path(rel).with_suffix("").as_posix())
    meta.pop("text", None)
    return Report(id=rid, text=body, metadata={k: plain(v) for k, v in meta.items()})


def plain(value: Any) -> Any:
    """YAML dates become ISO strings, so metadata stays JSON-serialisable."""
    return value.isoformat() if hasattr(value, "isoformat") else value
