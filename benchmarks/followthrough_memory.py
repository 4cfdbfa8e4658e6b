"""Memory of the follow-through pass's batch history: N dated audits kept as compact records.

Usage: python benchmarks/followthrough_memory.py [N]   (default 100,000; about 3 minutes)
Prints, as one JSON line, the bytes traced while N synthetic audits (each with a two-sentence
objective and a competency) are added to a BatchHistory; the audits themselves are not kept.
"""

from __future__ import annotations

import json
import sys
import tracemalloc

from auditor.config import load_followthrough
from auditor.followthrough import BatchHistory, Vocabulary
from auditor.schema import Evidence, NextObjective, ReportAudit, Tag

OBJECTIVE = (
    "Next time ask Dr {n} two open questions about her patients before presenting the data. "
    "By our ride-along on 15 March, summarise what she said in one sentence."
)


def audit(i: int) -> ReportAudit:
    """A synthetic audited report of one of N/4 reps."""
    text = "You presented the efficacy data. " + OBJECTIVE.format(n=f"Lee{i % 997}")
    start = text.index("Next time")
    return ReportAudit(
        id=f"r{i:06d}",
        metadata={"rep": f"rep-{i % 25_000}", "date": f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}"},
        next_objective=NextObjective(
            **dict.fromkeys(("present", "specific", "measurable", "time_bound", "smart"), True),
            evidence=[Evidence(start=start, end=len(text), text=text[start:])],
        ),
        competencies=[
            Tag(
                id="customer_discovery",
                evidence=[Evidence(start=start, end=start + 9, text=text[start : start + 9])],
            )
        ],
        text=text,
    )


def main() -> None:
    """Add N audits to a BatchHistory and print the memory it holds."""
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    settings = load_followthrough()
    assert settings is not None
    history = BatchHistory(Vocabulary(settings))
    tracemalloc.start()
    for i in range(n):
        history.add(audit(i))
    history.before("rep-1", "2027-01-01")  # sorts
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        json.dumps(
            {
                "audits": n,
                "held_mb": round(current / 1e6, 1),
                "bytes_each": round(current / n),
                "peak_mb": round(peak / 1e6, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
