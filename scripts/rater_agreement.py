"""Human-human agreement per label between the gold labels and a second rater's.

Usage: python scripts/rater_agreement.py GOLD.jsonl SECOND.jsonl [--format json]
SECOND holds {"id", "labels"} lines for a subset of GOLD's ids. Booleans get Cohen's kappa and
the F1 of the second rater against gold; id lists (priorities, competencies) micro F1 and
per-report exact agreement; quality kappa and quadratic weighted kappa (as `auditor eval`).
This is the ceiling the auditor can be expected to reach on the same reports.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from sklearn.metrics import cohen_kappa_score, f1_score

from auditor.evaluate import BINARY_KEYS, SET_KEYS

ORDER = {"weak": 0, "adequate": 1, "strong": 2}


def _get(labels: dict[str, Any], key: str) -> Any:
    for part in key.split("."):
        labels = labels[part]
    return labels


def agreement(gold: dict[str, dict], second: dict[str, dict]) -> dict[str, Any]:
    """Per-label agreement over the ids both files label."""
    ids = sorted(set(gold) & set(second))
    out: dict[str, Any] = {"n": len(ids)}
    for key in SET_KEYS:
        tp = fp = fn = same = 0
        for i in ids:
            g, s = set(gold[i][key]), set(second[i][key])
            tp, fp, fn = tp + len(g & s), fp + len(s - g), fn + len(g - s)
            same += g == s
        out[key] = {
            "micro_f1": round(2 * tp / (2 * tp + fp + fn), 3),
            "exact": round(same / len(ids), 3),
        }
    for key in BINARY_KEYS:
        g = [bool(_get(gold[i], key)) for i in ids]
        s = [bool(_get(second[i], key)) for i in ids]
        kappa = cohen_kappa_score(g, s) if len(set(g + s)) > 1 else 1.0
        out[key] = {
            "kappa": round(float(kappa), 3),
            "f1": round(float(f1_score(g, s, zero_division=1.0)), 3),
            "agree": round(sum(a == b for a, b in zip(g, s, strict=True)) / len(ids), 3),
        }
    g = [ORDER[gold[i]["quality"]] for i in ids]
    s = [ORDER[second[i]["quality"]] for i in ids]
    out["quality"] = {
        "kappa": round(float(cohen_kappa_score(g, s)), 3),
        "weighted_kappa": round(float(cohen_kappa_score(g, s, weights="quadratic")), 3),
        "agree": round(sum(a == b for a, b in zip(g, s, strict=True)) / len(ids), 3),
    }
    return out


def _labels(path: Path) -> dict[str, dict]:
    rows = [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    return {r["id"]: r["labels"] for r in rows}


def main() -> None:
    """Print the agreement table (or JSON)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("gold", type=Path)
    ap.add_argument("second", type=Path)
    ap.add_argument("--format", choices=["text", "json"], default="text")
    args = ap.parse_args()
    result = agreement(_labels(args.gold), _labels(args.second))
    if args.format == "json":
        print(json.dumps(result, indent=2))
        return
    print(f"{result['n']} reports labelled by both")
    for key, m in result.items():
        if key != "n":
            print(f"  {key:<22}" + "  ".join(f"{k} {v}" for k, v in m.items()))


if __name__ == "__main__":
    main()
