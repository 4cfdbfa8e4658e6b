"""Measure follow-through (FOL001) on labelled pairs: the real `auditor audit` over each pair.

Usage: python scripts/followthrough_eval.py [PAIRS.jsonl] [--split dev|test|all]
       [--format text|json] [--diffs] [-- AUDIT OPTIONS...]
PAIRS defaults to corpus/followthrough/pairs.jsonl (one pair a line: pair_id, rep, previous and
current {id, date, text, metadata}, label followed_up|partly|not_followed_up, split dev|test).
Both reports of every pair go through `auditor audit` (default models unless AUDIT OPTIONS say
otherwise, e.g. `-- --sentence-model none`); the later report's `follow_through.status` is
compared with the label. Prints, per split, precision, recall and F1 of "not followed up" and
the 3x3 confusion (gold rows, predicted columns); `--diffs` lists the misjudged pairs. Tune on
split dev only; test is reported as measured.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from auditor.cli import main as auditor

ROOT = Path(__file__).resolve().parents[1]
LABELS = ("followed_up", "partly", "not_followed_up")
TARGET = "not_followed_up"


def read_pairs(path: Path) -> list[dict[str, Any]]:
    """The labelled pairs of a JSON Lines file."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def audit_pairs(pairs: list[dict[str, Any]], options: list[str]) -> dict[str, dict[str, Any]]:
    """`auditor audit` over both reports of every pair: the audits by report id."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "reports.jsonl"
        with src.open("w", encoding="utf-8") as fh:
            for pair in pairs:
                for side in ("previous", "current"):
                    report = pair[side]
                    meta = {
                        **report.get("metadata", {}),
                        "rep": pair["rep"],
                        "date": report["date"],
                    }
                    fh.write(
                        json.dumps({"id": report["id"], "text": report["text"], **meta}) + "\n"
                    )
        out = Path(tmp) / "out"
        result = CliRunner().invoke(
            auditor, ["audit", str(src), "--out", str(out), "--quiet", *options]
        )
        if result.exit_code not in (0, 1):
            raise SystemExit(result.output)
        with (out / "results.jsonl").open(encoding="utf-8") as fh:
            audits = [json.loads(line) for line in fh]
    return {a["id"]: a for a in audits}


def predicted(audit: dict[str, Any]) -> str:
    """The pass's status of a later report ("not_assessed" and failures kept as they are)."""
    if audit.get("error"):
        return "error"
    return str((audit.get("follow_through") or {}).get("status", "none"))


def metrics(gold: list[str], pred: list[str]) -> dict[str, Any]:
    """Precision, recall and F1 of TARGET, accuracy, and the confusion (gold -> predicted)."""
    tp = sum(g == p == TARGET for g, p in zip(gold, pred, strict=True))
    fp = sum(p == TARGET != g for g, p in zip(gold, pred, strict=True))
    fn = sum(g == TARGET != p for g, p in zip(gold, pred, strict=True))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    counts = Counter(zip(gold, pred, strict=True))
    columns = [*LABELS, *sorted({p for p in pred} - set(LABELS))]
    return {
        "n": len(gold),
        TARGET: {
            "precision": round(precision, 3),
            "recall": round(recall, 3),
            "f1": round(f1, 3),
            "support": tp + fn,
        },
        "accuracy": round(sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold), 3)
        if gold
        else 0.0,
        "confusion": {g: {p: counts[g, p] for p in columns} for g in LABELS},
    }


def text_report(split: str, m: dict[str, Any]) -> str:
    """One split's figures as aligned text."""
    t = m[TARGET]
    lines = [
        f"{split}: n={m['n']}  not_followed_up P={t['precision']:.3f} R={t['recall']:.3f} "
        f"F1={t['f1']:.3f} (support {t['support']})  accuracy={m['accuracy']:.3f}",
        f"  {'gold / predicted':<18}" + "".join(f"{p:>17}" for p in m["confusion"][LABELS[0]]),
    ]
    for g, row in m["confusion"].items():
        lines.append(f"  {g:<18}" + "".join(f"{n:>17}" for n in row.values()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Audit the pairs, then print the figures per split."""
    args_in = sys.argv[1:] if argv is None else argv
    options: list[str] = []
    if "--" in args_in:
        cut = args_in.index("--")
        args_in, options = args_in[:cut], args_in[cut + 1 :]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pairs", nargs="?", default=ROOT / "corpus/followthrough/pairs.jsonl")
    parser.add_argument("--split", choices=("dev", "test", "all"), default="all")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--diffs", action="store_true", help="List the misjudged pairs.")
    args = parser.parse_args(args_in)
    pairs = read_pairs(Path(args.pairs))
    splits = ("dev", "test") if args.split == "all" else (args.split,)
    pairs = [p for p in pairs if p["split"] in splits]
    audits = audit_pairs(pairs, options)
    results: dict[str, Any] = {}
    for split in splits:
        chosen = [p for p in pairs if p["split"] == split]
        gold = [p["label"] for p in chosen]
        pred = [predicted(audits[p["current"]["id"]]) for p in chosen]
        results[split] = metrics(gold, pred)
        if args.diffs:
            results[split]["diffs"] = [
                {
                    "pair_id": p["pair_id"],
                    "gold": g,
                    "predicted": q,
                    "reason": (audits[p["current"]["id"]].get("follow_through") or {}).get(
                        "reason"
                    ),
                }
                for p, g, q in zip(chosen, gold, pred, strict=True)
                if g != q
            ]
    if args.format == "json":
        print(json.dumps(results, indent=2))
        return
    for split, m in results.items():
        print(text_report(split, m))
        for d in m.get("diffs", []):
            print(f"  {d['pair_id']}: gold {d['gold']}, predicted {d['predicted']}: {d['reason']}")


if __name__ == "__main__":
    main()
