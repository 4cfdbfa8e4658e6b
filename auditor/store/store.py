"""The audit store: append-only versions of audits and the reviewers' decisions on them.

A version is a report's id, the sha256 of its text and the configuration that audited it (rule
pack hash, model hashes, ignored checks): storing the same version again stores nothing, a new
text, pack or model stores a new row beside the old. Rows are never updated or deleted.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, Row, Select, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from auditor.config import RuleSet
from auditor.io.fingerprint import json_digest
from auditor.schema import VERDICTS, ReportAudit, ReviewDecision, ReviewKind, Verdict
from auditor.store.connect import connect, shown
from auditor.store.migrations import StoreError, migrate
from auditor.store.reviews import apply_reviews
from auditor.store.tables import audits, clean, reviews

#: Audits written per transaction.
BATCH = 2000


@dataclass(frozen=True)
class AuditConfig:
    """What audited a batch: the rule pack's hash, the learned models' hashes, ignored checks."""

    rule_pack_sha256: str
    models: dict[str, str | None]
    ignored: tuple[str, ...] = ()

    @property
    def sha256(self) -> str:
        """The configuration's part of a version's identity."""
        return json_digest(
            {"rule pack": self.rule_pack_sha256, "models": self.models, "ignored": self.ignored}
        )


@dataclass
class StoreTally:
    """Audits offered to the store: how many were new versions, how many already stored."""

    new: int = 0
    known: int = 0

    def text(self) -> str:
        """One line for the terminal."""
        return f"{self.new} new audit versions stored, {self.known} already there"


class ReviewError(ValueError):
    """A decision that cannot be recorded: unknown report, finding or verdict."""


def text_sha256(audit: ReportAudit) -> str:
    """sha256 of the report text; a record that was not audited by its error instead."""
    basis = audit.text if audit.text is not None else f"\0error\0{audit.error or ''}"
    return hashlib.sha256(basis.encode("utf-8", "surrogatepass")).hexdigest()


def report_date(value: Any) -> str | None:
    """The metadata date as YYYY-MM-DD, or None when it is not an ISO date."""
    try:
        return date.fromisoformat(str(value).strip()[:10]).isoformat()
    except ValueError:
        return None


def _label(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _latest_ids() -> Any:
    """The id of each report's latest version (a subquery)."""
    return select(func.max(audits.c.id).label("id")).group_by(audits.c.report_id).subquery()


def _is_latest() -> Any:
    """A condition: this row is its report's latest version (correlated)."""
    newer = audits.alias("newer")
    return (
        audits.c.id
        == (
            select(func.max(newer.c.id)).where(newer.c.report_id == audits.c.report_id)
        ).scalar_subquery()
    )


@dataclass
class StoredAudit:
    """A stored version: the audit, its row id, text hash and the checks it ignored."""

    row: int
    audit: ReportAudit
    text_sha256: str
    ignored: tuple[str, ...] = field(default=())


def _stored(row: Row[Any]) -> StoredAudit:
    ignored = tuple(json.loads(row.ignored))
    return StoredAudit(row.id, ReportAudit.model_validate_json(row.audit), row.text_sha256, ignored)


class Store:
    """An audit store at a path or URL, migrated to the latest schema when opened."""

    def __init__(self, target: str) -> None:
        self.engine: Engine = connect(target)
        self.where = shown(str(self.engine.url))
        try:
            migrate(self.engine)
        except SQLAlchemyError as exc:
            self.engine.dispose()
            reason = getattr(exc, "orig", None) or exc
            raise StoreError(f"cannot open the store {self.where}: {reason}") from None
        except StoreError:
            self.engine.dispose()
            raise
        self._insert = (
            postgresql.insert(audits)
            if self.engine.dialect.name == "postgresql"
            else sqlite.insert(audits)
        ).on_conflict_do_nothing(index_elements=["report_id", "text_sha256", "config_sha256"])

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()

    # -- audits ------------------------------------------------------------------------------
    def add(self, batch: Iterable[ReportAudit], config: AuditConfig) -> StoreTally:
        """Store the batch's new versions in one transaction (rerun: nothing new)."""
        offered = list(batch)
        keyed = {(clean(a.id), text_sha256(a)): a for a in offered}
        tally = StoreTally(known=len(offered))
        if not keyed:
            return tally
        config_sha = config.sha256
        with self.engine.begin() as conn:
            known = conn.execute(
                select(audits.c.report_id, audits.c.text_sha256).where(
                    audits.c.config_sha256 == config_sha,
                    audits.c.report_id.in_({rid for rid, _ in keyed}),
                )
            )
            for key in known:
                keyed.pop((key.report_id, key.text_sha256), None)
            if keyed:
                stored_at = _now()
                common = {
                    "config_sha256": config_sha,
                    "rule_pack_sha256": config.rule_pack_sha256,
                    "models": json.dumps(config.models, sort_keys=True),
                    "ignored": json.dumps(sorted(config.ignored)),
                    "stored_at": stored_at,
                }
                conn.execute(
                    self._insert,
                    [self._row(audit, sha, common) for (_, sha), audit in keyed.items()],
                )
        tally.new = len(keyed)
        tally.known -= tally.new
        return tally

    @staticmethod
    def _row(audit: ReportAudit, sha: str, common: dict[str, Any]) -> dict[str, Any]:
        meta = audit.metadata
        return {
            **common,
            "report_id": audit.id,
            "text_sha256": sha,
            "rep": _label(meta.get("rep")),
            "manager": _label(meta.get("manager")),
            "region": _label(meta.get("region")),
            "report_date": report_date(meta.get("date")),
            "status": audit.status,
            "score": audit.score,
            "verdict": audit.verdict,
            "audit": audit.model_dump_json(),
        }

    def add_all(
        self, stream: Iterable[ReportAudit], config: AuditConfig, batch: int = BATCH
    ) -> StoreTally:
        """Store a stream of audits, one transaction per `batch`."""
        writer = StoreWriter(self, config, batch)
        for audit in stream:
            writer.add(audit)
        return writer.flush()

    def _stream(self, query: Select[Any]) -> Iterator[StoredAudit]:
        with self.engine.connect() as conn:
            rows = conn.execution_options(stream_results=True, yield_per=BATCH).execute(query)
            for row in rows:
                yield _stored(row)

    def latest(
        self, since: date | None = None, until: date | None = None, rep: str | None = None
    ) -> Iterator[StoredAudit]:
        """The latest version of every report, in storage order; `since`/`until` (inclusive)
        keep the reports whose date lies between (a report without a date is then left out);
        `rep` keeps one rep's reports (metadata `rep`, trimmed)."""
        ids = _latest_ids()
        query = select(audits).join(ids, audits.c.id == ids.c.id).order_by(audits.c.id)
        if rep is not None:
            query = query.where(audits.c.rep == rep)
        if since is not None:
            query = query.where(audits.c.report_date >= since.isoformat())
        if until is not None:
            query = query.where(audits.c.report_date <= until.isoformat())
        return self._stream(query)

    def versions(self, report_id: str) -> list[StoredAudit]:
        """Every stored version of one report, oldest first."""
        query = select(audits).where(audits.c.report_id == report_id).order_by(audits.c.id)
        return list(self._stream(query))

    def history(self, rep: str, before: str) -> ReportAudit | None:
        """`previous` for the follow-through pass, which knows dates as ISO strings (None for
        a date that is not one)."""
        try:
            day = date.fromisoformat(before)
        except ValueError:
            return None
        return self.previous(rep, day)

    def previous(self, rep: str, before: date) -> ReportAudit | None:
        """The rep's audited report dated latest before `before` (latest versions only; ties:
        the last stored), as audited; None when there is none."""
        query = (
            select(audits)
            .where(
                audits.c.rep == rep,
                audits.c.report_date < before.isoformat(),
                audits.c.status == "audited",
                _is_latest(),
            )
            .order_by(audits.c.report_date.desc(), audits.c.id.desc())
            .limit(1)
        )
        found = next(self._stream(query), None)
        return found.audit if found else None

    def reviewed(
        self,
        rules: RuleSet,
        since: date | None = None,
        until: date | None = None,
        rep: str | None = None,
    ) -> Iterator[ReportAudit]:
        """`latest` with the reviewers' latest decisions applied (auditor.store.reviews)."""
        trail: dict[tuple[str, str], list[ReviewDecision]] = {}
        for sha, decision in self._decisions(select(reviews).order_by(reviews.c.id)):
            trail.setdefault((decision.report_id, sha), []).append(decision)
        for stored in self.latest(since, until, rep):
            decisions = trail.get((clean(stored.audit.id), stored.text_sha256), [])
            yield apply_reviews(stored.audit, decisions, rules, stored.ignored)

    def graded(self) -> Iterator[tuple[ReportAudit, Verdict]]:
        """The latest versions a reviewer set a verdict on, as audited, with that verdict (the
        latest one per version): what `auditor calibrate --store` learns from."""
        verdicts: dict[tuple[str, str], Verdict] = {}
        query = select(reviews).where(reviews.c.kind == "verdict").order_by(reviews.c.id)
        for sha, decision in self._decisions(query):
            if decision.verdict is not None:
                verdicts[(decision.report_id, sha)] = decision.verdict
        for stored in self.latest():
            verdict = verdicts.get((clean(stored.audit.id), stored.text_sha256))
            if verdict is not None:
                yield stored.audit, verdict

    def _latest_of(self, report_id: str) -> StoredAudit | None:
        latest = select(func.max(audits.c.id)).where(audits.c.report_id == report_id)
        return next(
            self._stream(select(audits).where(audits.c.id == latest.scalar_subquery())), None
        )

    def current(self, report_id: str, rules: RuleSet) -> ReportAudit | None:
        """The report's latest version with the reviewers' decisions applied; None if unknown."""
        found = self._latest_of(report_id)
        if found is None:
            return None
        query = select(reviews).where(reviews.c.report_id == report_id).order_by(reviews.c.id)
        decisions = [d for sha, d in self._decisions(query) if sha == found.text_sha256]
        return apply_reviews(found.audit, decisions, rules, found.ignored)

    # -- reviews -----------------------------------------------------------------------------
    def review(
        self,
        report_id: str,
        kind: ReviewKind,
        value: str,
        reviewer: str,
        reason: str,
    ) -> ReviewDecision:
        """Record a decision on the report's latest version: accept/reject a finding's code,
        or set the verdict. ReviewError when the report, finding or verdict is unknown."""
        if not reviewer.strip() or not reason.strip():
            raise ReviewError("a decision needs the reviewer's name and a reason")
        found = self._latest_of(report_id)
        if found is None:
            raise ReviewError(f"no report {report_id!r} in the store")
        audit = found.audit
        if audit.error is not None:
            raise ReviewError(f"report {report_id!r} was not audited ({audit.status})")
        code = verdict = None
        if kind == "verdict":
            if value not in VERDICTS:
                raise ReviewError(f"unknown verdict {value!r}: one of {', '.join(VERDICTS)}")
            verdict = value
        else:
            code = value.strip().upper()
            codes = [f.code for f in audit.findings]
            if code not in codes:
                raise ReviewError(
                    f"report {report_id!r} has no finding {code}; its findings: "
                    f"{', '.join(codes) or 'none'}"
                )
        row = {
            "report_id": report_id,
            "text_sha256": found.text_sha256,
            "audit_id": found.row,
            "kind": kind,
            "code": code,
            "verdict": verdict,
            "reviewer": reviewer.strip(),
            "reason": reason.strip(),
            "created_at": _now(),
        }
        with self.engine.begin() as conn:
            new_id = conn.execute(insert(reviews).values(row).returning(reviews.c.id)).scalar_one()
        return _decision(new_id, row)

    def reviews(self, report_id: str | None = None) -> list[ReviewDecision]:
        """The trail, oldest first: every decision, or one report's."""
        query = select(reviews).order_by(reviews.c.id)
        if report_id is not None:
            query = query.where(reviews.c.report_id == report_id)
        return [decision for _, decision in self._decisions(query)]

    def _decisions(self, query: Select[Any]) -> Iterator[tuple[str, ReviewDecision]]:
        with self.engine.connect() as conn:
            for row in conn.execute(query).mappings():
                yield row["text_sha256"], _decision(row["id"], row)


def _decision(row_id: int, row: Any) -> ReviewDecision:
    verdict: Verdict | None = row["verdict"]
    return ReviewDecision(
        id=row_id,
        report_id=row["report_id"],
        kind=row["kind"],
        code=row["code"],
        verdict=verdict,
        reviewer=row["reviewer"],
        reason=row["reason"],
        at=row["created_at"],
    )


class StoreWriter:
    """Buffers audits and stores them `batch` at a time (`flush` stores the rest)."""

    def __init__(self, store: Store, config: AuditConfig, batch: int = BATCH) -> None:
        self.store, self.config, self.batch = store, config, batch
        self.tally = StoreTally()
        self._pending: list[ReportAudit] = []

    def add(self, audit: ReportAudit) -> None:
        """Queue one audit; a full buffer is stored in one transaction."""
        self._pending.append(audit)
        if len(self._pending) >= self.batch:
            self.flush()

    def flush(self) -> StoreTally:
        """Store what is queued; the tally of everything stored through this writer."""
        if self._pending:
            done = self.store.add(self._pending, self.config)
            self.tally.new += done.new
            self.tally.known += done.known
            self._pending = []
        return self.tally
