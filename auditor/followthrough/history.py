"""The earlier reports of a rep: the batch's own, kept compact, and a pluggable provider.

`BatchHistory` keeps one small `Previous` per dated report of a batch (no texts beyond the
objective), so a 100,000-report batch stays small in memory. A `History` provider, such as
an audit store, answers `history(rep, before_date)` with the latest earlier audit of the rep.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable

from auditor.followthrough.decision import Previous, previous_of
from auditor.followthrough.words import Vocabulary
from auditor.schema import ReportAudit

#: (rep, before_date) -> the rep's latest audit dated before `before_date`, or None.
History = Callable[[str, str], ReportAudit | None]

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def rep_and_date(audit: ReportAudit) -> tuple[str, str] | str:
    """The report's rep and ISO date, or why it has none that can be used."""
    rep = str(audit.metadata.get("rep") or "").strip()
    if not rep:
        return "no rep in the report's metadata"
    raw = str(audit.metadata.get("date") or "").strip()
    if not raw:
        return "no date in the report's metadata"
    if not _ISO_DATE.match(raw):
        return f"the date {raw[:40]!r} is not an ISO date (YYYY-MM-DD)"
    return rep, raw[:10]


class BatchHistory:
    """The dated reports of one batch, by rep, in date order (input order on equal dates)."""

    def __init__(self, vocab: Vocabulary) -> None:
        self.vocab = vocab
        self._by_rep: dict[str, list[Previous]] = defaultdict(list)
        self._sorted = True

    def add(self, audit: ReportAudit) -> None:
        """Keep what a later report of the same rep needs of an audited, dated report."""
        key = rep_and_date(audit)
        if audit.error is not None or isinstance(key, str):
            return
        rep, date = key
        self._by_rep[rep].append(previous_of(audit, date, self.vocab))
        self._sorted = False

    def before(self, rep: str, date: str) -> Previous | None:
        """The rep's latest report dated strictly before `date` (None when there is none)."""
        if not self._sorted:
            for reports in self._by_rep.values():
                reports.sort(key=_date)  # stable: input order on equal dates
            self._sorted = True
        reports = self._by_rep.get(rep, [])
        i = bisect_left(reports, date, key=_date)
        return reports[i - 1] if i else None


def _date(previous: Previous) -> str:
    return previous.date


def latest_previous(
    batch: BatchHistory, history: History | None, rep: str, date: str
) -> Previous | None:
    """The later of the batch's previous report and the provider's (the batch's on a tie)."""
    found = batch.before(rep, date)
    stored = history(rep, date) if history is not None else None
    if stored is None:
        return found
    key = rep_and_date(stored)
    if isinstance(key, str) or key[1] >= date or (found is not None and key[1] <= found.date):
        return found
    return previous_of(stored, key[1], batch.vocab)
