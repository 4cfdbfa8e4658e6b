"""Results out: an append-only partial file while a batch runs, renamed into place at the end.

While `auditor audit` runs, each audit goes to DIR/results.partial.jsonl as one complete line
(one `write` per line, so a crash loses at most the line being written), beside
DIR/results.partial.json, a manifest with the run's fingerprint (`auditor.io.fingerprint`). On
commit, results.csv is built from the partial file (through a fixed-name temporary file) and
both are renamed into place, so readers see whole files only. After a crash the partial file
stays: a run with `resume=True` and the same fingerprint drops a torn last line and appends.
`read_results` streams a committed results.jsonl back, for `auditor regions` and the dashboard.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from auditor.atomic import atomic_writer, replace_durably, write_json_atomic
from auditor.schema import METADATA_FIELDS, ReportAudit, Signals, StarStatus

CSV_FIELDS = (
    "id",
    *METADATA_FIELDS,
    "score",
    "verdict",
    "compliance",
    "focus_competencies",
    "aligned_priorities",
    "priorities",
    *StarStatus.model_fields,
    "next_objective",
    "next_objective_smart",
    *Signals.model_fields,
    "findings",
    "not_applicable",
    "follow_through",
    "error",
    "warnings",
)
PARTIAL = "results.partial.jsonl"
MANIFEST = "results.partial.json"
MANIFEST_VERSION = 1


class ResumeError(ValueError):
    """The output directory cannot be used as asked (exit code 2)."""


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
    row: dict[str, Any] = {
        "id": audit.id,
        "error": audit.error or "",
        "warnings": "; ".join(audit.warnings),
    }
    for key in METADATA_FIELDS:
        row[key] = audit.metadata.get(key, "")
    star, objective, signals = audit.star, audit.next_objective, audit.signals
    if audit.error is None and star and objective and signals:
        row.update(
            score=audit.score,
            verdict=audit.verdict,
            compliance=audit.compliance or "",
            focus_competencies=";".join(audit.focus_competencies),
            aligned_priorities=";".join(audit.aligned_priorities),
            priorities=";".join(t.id for t in audit.priorities),
            next_objective=objective.present,
            next_objective_smart=objective.smart,
            findings=";".join(f.code for f in audit.findings),
            not_applicable=";".join(audit.not_applicable),
            follow_through=audit.follow_through.status if audit.follow_through else "",
            **star.model_dump(),
            **signals.model_dump(),
        )
    return {key: spreadsheet_safe(value) for key, value in row.items()}


def _complete_prefix(fd: int) -> tuple[int, int]:
    """(complete lines, bytes up to the end of the last one) of an open file."""
    os.lseek(fd, 0, os.SEEK_SET)
    lines = end = pos = 0
    while chunk := os.read(fd, 1 << 20):
        lines += chunk.count(b"\n")
        last = chunk.rfind(b"\n")
        if last >= 0:
            end = pos + last + 1
        pos += len(chunk)
    return lines, end


class AtomicResults:
    """Writes results.jsonl and results.csv through a resumable partial file.

    `fingerprint` describes what the results depend on; with `resume`, it must equal the one
    recorded by the interrupted run. `done` is the number of audits already in the partial file
    (0 for a fresh run); `discarded` the number a fresh run threw away.
    """

    def __init__(
        self, out_dir: Path, fingerprint: dict[str, Any] | None = None, resume: bool = False
    ) -> None:
        self.out_dir = out_dir
        self.partial = out_dir / PARTIAL
        self.manifest = out_dir / MANIFEST
        self.done = self.discarded = 0
        if resume:
            self._check_resumable(fingerprint or {})
        out_dir.mkdir(parents=True, exist_ok=True)
        self._fd: int | None = os.open(
            self.partial, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o666
        )  # the umask applies: ordinary shared files
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._close_fd()
            raise ResumeError(f"another `auditor audit` is writing to {out_dir}") from None
        lines, end = _complete_prefix(self._fd)
        if resume:
            os.ftruncate(self._fd, end)  # a torn last line is dropped and audited again
            self.done = lines
        else:
            self.discarded = lines
            os.ftruncate(self._fd, 0)
            self._write_manifest(fingerprint or {})

    def _check_resumable(self, fingerprint: dict[str, Any]) -> None:
        if not self.partial.is_file() or not self.manifest.is_file():
            raise ResumeError(
                f"nothing to resume in {self.out_dir}: no interrupted run "
                f"({PARTIAL}); run without --resume"
            )
        try:
            recorded = json.loads(self.manifest.read_text(encoding="utf-8"))["fingerprint"]
        except (ValueError, KeyError, TypeError):
            raise ResumeError(
                f"cannot resume: {self.manifest} is not a valid run manifest; "
                f"run without --resume to start over"
            ) from None
        differ = [
            k
            for k in sorted(set(recorded) | set(fingerprint))
            if recorded.get(k) != fingerprint.get(k)
        ]
        if differ:
            raise ResumeError(
                f"cannot resume: the {', '.join(differ)} differ from the "
                f"interrupted run's ({self.manifest}); run without --resume to "
                f"start over"
            )

    def _write_manifest(self, fingerprint: dict[str, Any]) -> None:
        write_json_atomic(self.manifest, {"version": MANIFEST_VERSION, "fingerprint": fingerprint})

    def done_audits(self) -> Iterator[ReportAudit]:
        """The audits already in the partial file (those of an interrupted run, on resume)."""
        with self.partial.open("rb") as fh:
            for line in fh:
                yield ReportAudit.model_validate_json(line)

    def write(self, audit: ReportAudit) -> None:
        """Append one audit to the partial file, as one complete line, unbuffered."""
        assert self._fd is not None
        data = memoryview((audit.model_dump_json(exclude_none=False) + "\n").encode("utf-8"))
        while data:
            data = data[os.write(self._fd, data) :]

    def commit(
        self,
        transform: Callable[[ReportAudit], ReportAudit] | None = None,
        before_commit: Callable[[], object] | None = None,
    ) -> None:
        """Build results.csv from the partial file; rename both into place durably.

        With `transform` (a pass that needs the whole batch, such as follow-through), each
        audit of the partial file goes through it into results.jsonl and results.csv, both
        written atomically; the partial file stays until both are in place, so a crash in
        between leaves a run that `--resume` finishes. `before_commit` runs once every audit
        has gone through, before anything is renamed into place (e.g. flushing a store).
        """
        assert self._fd is not None
        os.fsync(self._fd)
        final = self.out_dir / "results.jsonl"
        with contextlib.ExitStack() as stack:
            out = stack.enter_context(atomic_writer(self.out_dir / "results.csv", newline=""))
            lines = stack.enter_context(atomic_writer(final)) if transform else None
            src = stack.enter_context(self.partial.open("rb"))
            writer = csv.DictWriter(out, fieldnames=CSV_FIELDS)
            writer.writeheader()
            for line in src:
                audit = ReportAudit.model_validate_json(line)
                if transform is not None and lines is not None:
                    audit = transform(audit)
                    lines.write(audit.model_dump_json(exclude_none=False) + "\n")
                writer.writerow(csv_row(audit))
            if before_commit is not None:
                before_commit()
        if transform is None:
            replace_durably(self.partial, final)
        else:
            self.partial.unlink()
        self.manifest.unlink(missing_ok=True)
        self._close_fd()

    def close(self) -> None:
        """Stop writing; the partial file and its manifest stay for a resumed run."""
        self._close_fd()

    def abort(self) -> None:
        """Remove the partial file and its manifest (the previous results, if any, stay)."""
        self._close_fd()
        self.partial.unlink(missing_ok=True)
        self.manifest.unlink(missing_ok=True)

    def _close_fd(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None


# -- reading saved results --------------------------------------------------------------------
def read_results(path: Path) -> Iterator[ReportAudit]:
    """Stream a results.jsonl; a line that is not a ReportAudit comes out as an error audit."""
    with path.open("rb") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield ReportAudit.model_validate_json(line)
            except ValidationError as exc:
                where = f"{path}:{lineno}"
                reason = exc.errors()[0]["msg"] if exc.errors() else str(exc)
                yield ReportAudit(id=where, error=f"{where}: not an audit result: {reason}")


def is_results_file(path: Path) -> bool:
    """True when the first record of a JSON Lines file is a ReportAudit (not a raw report)."""
    if not path.is_file() or path.suffix.lower() not in (".jsonl", ".ndjson"):
        return False
    try:
        with path.open("rb") as fh:
            first = next((line for line in fh if line.strip()), b"")
        obj = json.loads(first)
    except ValueError:
        return False
    return isinstance(obj, dict) and {"findings", "verdict", "score"} <= obj.keys()
