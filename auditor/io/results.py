"""Results out: results.jsonl and results.csv, written to temporary files and renamed on commit."""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path
from typing import IO, Any

from auditor.schema import METADATA_FIELDS, ReportAudit

CSV_FIELDS = (
    "id", *METADATA_FIELDS, "score", "verdict", "focus_competencies", "aligned_priorities",
    "priorities", "situation", "action", "result", "next_objective", "next_objective_smart",
    "observed_behavior", "reinforcement", "dialogue", "judgmental", "numbers_only",
    "compliance_risk", "findings", "error",
)


#: First characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """A text cell a spreadsheet would execute, prefixed with a single quote (as OWASP advises).

    Other values are returned unchanged; results.jsonl keeps the original text.
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_row(audit: ReportAudit) -> dict[str, Any]:
    """One flat CSV row for an audit; cells that could run as formulas are neutralised."""
    row: dict[str, Any] = {"id": audit.id, "error": audit.error or ""}
    for key in METADATA_FIELDS:
        row[key] = audit.metadata.get(key, "")
    if audit.error is None:
        row.update(
            score=audit.score, verdict=audit.verdict,
            focus_competencies=";".join(audit.focus_competencies),
            aligned_priorities=";".join(audit.aligned_priorities),
            priorities=";".join(t.id for t in audit.priorities),
            next_objective=audit.next_objective.present,
            next_objective_smart=audit.next_objective.smart,
            findings=";".join(f.code for f in audit.findings),
            **audit.star.model_dump(), **audit.signals.model_dump(),
        )
    return {key: spreadsheet_safe(value) for key, value in row.items()}


class AtomicResults:
    """Writes results.jsonl and results.csv to temporary files, renamed into place on close."""

    def __init__(self, out_dir: Path) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        self.out_dir = out_dir
        self._files: list[tuple[IO[str], Path, Path]] = []
        self._jsonl = self._open("results.jsonl")
        self._csvfh = self._open("results.csv")
        self._csv = csv.DictWriter(self._csvfh, fieldnames=CSV_FIELDS)
        self._csv.writeheader()

    def _open(self, name: str) -> IO[str]:
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=self.out_dir)
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)  # mkstemp makes 0600; results are ordinary shared files
        fh = os.fdopen(fd, "w", encoding="utf-8", newline="")
        self._files.append((fh, Path(tmp), self.out_dir / name))
        return fh

    def write(self, audit: ReportAudit) -> None:
        """Append one audit to both files."""
        self._jsonl.write(audit.model_dump_json(exclude_none=False) + "\n")
        self._csv.writerow(csv_row(audit))

    def commit(self) -> None:
        """Flush, fsync and rename both files into place."""
        for fh, tmp, final in self._files:
            fh.flush()
            os.fsync(fh.fileno())
            fh.close()
            os.replace(tmp, final)

    def abort(self) -> None:
        """Remove the temporary files (the previous results, if any, stay)."""
        for fh, tmp, _ in self._files:
            fh.close()
            tmp.unlink(missing_ok=True)
