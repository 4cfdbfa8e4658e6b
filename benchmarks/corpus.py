"""Report texts of the bundled corpus, shared by the benchmark scripts."""

from __future__ import annotations

import json
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "sample_reports"


def corpus_texts() -> list[str]:
    """Report texts of every corpus file (records with an id; sentence files are skipped)."""
    texts = []
    for path in sorted(CORPUS.glob("*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            texts += [obj["text"] for obj in map(json.loads, fh) if "id" in obj and "text" in obj]
    if not texts:
        raise SystemExit(f"{CORPUS}: no reports")
    return texts
