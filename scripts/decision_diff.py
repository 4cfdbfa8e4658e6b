"""Per-report decisions of the default audit on every corpus split, saved or compared.

Usage:
  python scripts/decision_diff.py save BASELINE.json   # write the decisions of this code
  python scripts/decision_diff.py diff BASELINE.json   # audit again and list every difference

The audit is the one `auditor audit` runs (the learned pieces of models/defaults.json). For
each report of corpus/sample_reports/*.jsonl (files without report texts are skipped) it keeps
the decisions: verdict, score, compliance, failed check codes, priorities, competencies, focus
competencies, STAR, next objective facets and signals; and a digest of the whole audit
(evidence offsets, messages), so a change that moves only evidence still shows.

`diff` prints one JSON line per report whose decisions differ and, on stderr, a summary per
split (reports, changed decisions, changed verdicts and their share, changed digests). It exits
1 when any decision differs, or, with `--max-verdict-share` above 0, when a split's share of
changed verdicts exceeds it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from auditor.engine import Auditor  # noqa: E402 (BLAS threads are set first)
from auditor.learned.loading import load_learned  # noqa: E402
from auditor.schema import METADATA_FIELDS, Report, ReportAudit  # noqa: E402

SPLITS = Path(__file__).resolve().parents[1] / "corpus" / "sample_reports"


def corpus() -> dict[str, list[Report]]:
    """Reports of every corpus split, by file stem (files without report texts are skipped)."""
    out: dict[str, list[Report]] = {}
    for path in sorted(SPLITS.glob("*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            rows = [json.loads(line) for line in fh if line.strip()]
        reports = [
            Report(
                id=r["id"],
                text=r["text"],
                metadata={k: r[k] for k in METADATA_FIELDS if r.get(k) is not None},
            )
            for r in rows
            if "id" in r and "text" in r
        ]
        if reports:
            out[path.stem] = reports
    return out


def decisions(audit: ReportAudit) -> dict[str, Any]:
    """What the audit decided, without evidence offsets."""
    dump = audit.model_dump(mode="json", exclude={"text", "metadata"})
    return {
        "verdict": audit.verdict,
        "score": audit.score,
        "compliance": dump["compliance"],
        "failed": sorted(f.code for f in audit.findings),
        "priorities": sorted(t.id for t in audit.priorities),
        "competencies": sorted(t.id for t in audit.competencies),
        "focus": sorted(audit.focus_competencies),
        "star": dump["star"],
        "next_objective": {
            k: v for k, v in (dump["next_objective"] or {}).items() if k != "evidence"
        },
        "signals": dump["signals"],
        "error": audit.error,
        "digest": hashlib.sha256(json.dumps(dump, sort_keys=True).encode()).hexdigest()[:16],
    }


def audit_all() -> dict[str, dict[str, dict[str, Any]]]:
    """Decisions per split and report id."""
    learned = load_learned(None, None, None)
    engine = Auditor(
        sentence_model=learned.sentence_model,
        calibration=learned.calibration,
        focus_model=learned.focus_model,
    )
    return {
        split: {a.id: decisions(a) for a in engine.audit_stream(reports)}
        for split, reports in corpus().items()
    }


def compare(
    base: dict[str, dict[str, dict[str, Any]]],
    new: dict[str, dict[str, dict[str, Any]]],
    max_share: float,
) -> int:
    """Print every difference and a summary per split; the exit code."""
    failed = False
    for split in sorted(set(base) | set(new)):
        old_s, new_s = base.get(split, {}), new.get(split, {})
        changed = verdicts = digests = 0
        for rid in sorted(set(old_s) | set(new_s)):
            a, b = old_s.get(rid), new_s.get(rid)
            if a == b:
                continue
            if a is None or b is None:
                print(
                    json.dumps(
                        {
                            "split": split,
                            "id": rid,
                            "missing_in": "new" if b is None else "baseline",
                        }
                    )
                )
                changed += 1
                continue
            keys = [k for k in a if k != "digest" and a[k] != b.get(k)]
            digests += 1
            if not keys:
                continue
            changed += 1
            verdicts += a["verdict"] != b["verdict"]
            diff = {k: {"baseline": a[k], "new": b.get(k)} for k in keys}
            print(json.dumps({"split": split, "id": rid, **diff}))
        n = max(len(old_s), 1)
        share = verdicts / n
        failed = failed or share > max_share or (max_share == 0 and changed > 0)
        summary = {
            "split": split,
            "reports": len(old_s),
            "changed_decisions": changed,
            "changed_verdicts": verdicts,
            "verdict_share": round(share, 4),
            "changed_digests": digests,
        }
        print(json.dumps(summary), file=sys.stderr)
    return 1 if failed else 0


def main() -> None:
    """Save or compare the decisions."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("save", "diff"))
    parser.add_argument("baseline", type=Path)
    parser.add_argument("--max-verdict-share", type=float, default=0.0)
    args = parser.parse_args()
    new = audit_all()
    if args.action == "save":
        args.baseline.write_text(json.dumps(new, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"{args.baseline}: {sum(map(len, new.values()))} reports", file=sys.stderr)
        return
    base = json.loads(args.baseline.read_text(encoding="utf-8"))
    sys.exit(compare(base, new, args.max_verdict_share))


if __name__ == "__main__":
    main()
