"""The end-of-run summary of a batch: verdict counts, frequent checks, failures grouped by kind.

Reports in a language the rule pack does not cover are failures (they have no verdict) and are
also counted by language.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from auditor.schema import VERDICTS, ReportAudit
from auditor.textsafety import escape_controls

FIRST_IDS = 3  # ids listed per kind of failure
_PLACE = re.compile(
    r"^(?:<stdin>.*|\S*[/\\]\S*|\S+\.\w{1,10}(?:[:#](?:row|line )?\d+)?"
    r"|\S+[:#](?:row)?\d+|(?:row|line) \d+)$"
)
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


def error_kind(message: str) -> str:
    """What kind of failure an error message reports: the message without the record's place
    (file, line, row), quoted values and details after a colon, bracket or semicolon."""
    parts = message.split(": ")
    while len(parts) > 1 and _PLACE.match(parts[0].strip()):
        parts.pop(0)
    kind = _QUOTED.sub("…", parts[0])
    kind = re.split(r" \(|; ", kind, maxsplit=1)[0]
    return re.sub(r"(?<![\w-])\d+(?![\w-])", "N", kind).strip() or "other"


@dataclass
class RunTally:
    """What the summary counts, over the audits of a run (resumed ones included)."""

    n: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    findings: Counter[str] = field(default_factory=Counter)
    scores: list[int] = field(default_factory=list)
    failures: dict[str, list[str]] = field(default_factory=dict)  # kind -> first ids
    failure_counts: Counter[str] = field(default_factory=Counter)
    languages: Counter[str] = field(default_factory=Counter)  # unsupported ones, by code

    def add(self, result: ReportAudit) -> None:
        """Count one audit."""
        self.n += 1
        self.counts[result.verdict or "error"] += 1
        if result.score is not None:
            self.scores.append(result.score)
        self.findings.update({f.code for f in result.findings})
        if result.status == "unsupported_language":
            self.languages[result.language or "unknown"] += 1
        if result.error:
            kind = error_kind(result.error)
            self.failure_counts[kind] += 1
            ids = self.failures.setdefault(kind, [])
            if len(ids) < FIRST_IDS:
                ids.append(result.id)

    def text(self, elapsed: float) -> str:
        """The summary as aligned lines."""
        n, counts = self.n, self.counts
        lines = [f"{'reports':<22}{n:>8}", f"{'failed (error)':<22}{counts['error']:>8}"]
        for kind, k in sorted(self.failure_counts.items(), key=lambda item: (-item[1], item[0])):
            ids = ", ".join(escape_controls(i) for i in self.failures[kind])
            more = ", …" if k > len(self.failures[kind]) else ""
            lines.append(f"  {escape_controls(kind)[:60]}: {k} ({ids}{more})")
        if self.languages:
            ranked = sorted(self.languages.items(), key=lambda item: (-item[1], item[0]))
            by_language = ", ".join(f"{code} {k}" for code, k in ranked)
            total = sum(self.languages.values())
            lines.append(f"{'unsupported language':<22}{total:>8}  ({by_language})")
        for verdict in reversed(VERDICTS):
            share = counts[verdict] / n if n else 0
            lines.append(f"{verdict:<22}{counts[verdict]:>8}  {share:6.1%}")
        if self.scores:
            lines.append(f"{'mean score':<22}{sum(self.scores) / len(self.scores):>8.1f}")
        if self.findings:
            lines.append("reports flagged, most frequent checks:")
            ranked = sorted(self.findings.items(), key=lambda item: (-item[1], item[0]))
            lines.extend(f"  {code:<20}{k:>8}" for code, k in ranked[:5])
        lines.append(f"{'elapsed':<22}{elapsed:>7.1f}s")
        return "\n".join(lines)
