"""Merge the corpus parts and split them into dev and test files, deterministically by id.

A report goes to test when the first byte of sha256(id) is below 0.4 × 256, so the split does not
depend on file order and adding reports never moves an existing one.
Usage: python scripts/split_corpus.py PART.jsonl... --out corpus/sample_reports [--append]
With --append the reports and sentences already in --out are kept and the parts are added
(an id already there is an error).
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

TEST_SHARE = 0.4


def is_test(report_id: str) -> bool:
    """Whether a report id belongs to the test split."""
    return hashlib.sha256(report_id.encode()).digest()[0] < TEST_SHARE * 256


def _read(path: Path) -> list[dict]:
    """The JSON objects of a JSON Lines file (none when it does not exist)."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def main() -> None:
    """Write dev.jsonl and test.jsonl (and the sentence files) under --out."""
    ap = argparse.ArgumentParser()
    ap.add_argument("parts", nargs="+", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--append", action="store_true", help="keep what --out already holds")
    args = ap.parse_args()
    reports: dict[str, list[dict]] = {"dev": [], "test": []}
    sentences: dict[str, list[dict]] = {"dev": [], "test": []}
    if args.append:
        for split in ("dev", "test"):
            reports[split] = _read(args.out / f"{split}.jsonl")
            sentences[split] = _read(args.out / f"sentences_{split}.jsonl")
    known = {r["id"] for rows in reports.values() for r in rows}
    for part in args.parts:
        for line in part.read_text(encoding="utf-8").splitlines():
            if line.strip():
                obj = json.loads(line)
                if obj["id"] in known:
                    raise SystemExit(f"{part}: id {obj['id']} is already in the corpus")
                known.add(obj["id"])
                reports["test" if is_test(obj["id"]) else "dev"].append(obj)
        sent_file = part.with_name(part.stem + "_sentences.jsonl")
        if sent_file.exists():
            for line in sent_file.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    obj = json.loads(line)
                    sentences["test" if is_test(obj["report_id"]) else "dev"].append(obj)
    for split in ("dev", "test"):
        rows = sorted(reports[split], key=lambda r: r["id"])
        (args.out / f"{split}.jsonl").write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
        )
        (args.out / f"sentences_{split}.jsonl").write_text(
            "".join(json.dumps(s, ensure_ascii=False) + "\n" for s in sentences[split]),
            encoding="utf-8",
        )
        print(f"{split}: {len(rows)} reports, {len(sentences[split])} sentences")


if __name__ == "__main__":
    main()
