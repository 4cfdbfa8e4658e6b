"""The audit store on SQLite and PostgreSQL: versions, idempotence, migrations, reviews, dates.

Every test runs against both backends (`store_support.store_url`); the PostgreSQL cases start a
real throwaway server, or are skipped saying why.
"""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
import store_support
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.config import RuleSet, load_ruleset
from auditor.schema import Finding, ReportAudit, ReviewDecision, Signals
from auditor.scoring import score_report
from auditor.store import (
    LATEST,
    AuditConfig,
    ReviewError,
    Store,
    StoreError,
    StoreWriter,
    apply_reviews,
)
from auditor.store.connect import engine_url

# The fixtures: a store URL per backend, and the PostgreSQL server it needs.
store_url = store_support.store_url
postgres_server = store_support.postgres_server
CONFIG = AuditConfig("pack-sha", {"sentence model": None, "focus model": None})
NO_SIGNALS = dict.fromkeys(Signals.model_fields, False)


def make_audit(
    rules: RuleSet,
    rid: str,
    codes: tuple[str, ...] = ("OBJ002", "DIA001"),
    text: str = "Report text.",
    day: str | None = "2025-03-10",
    rep: str = "rep-1",
    **meta: str,
) -> ReportAudit:
    findings = [
        Finding(code=c, name=c.lower(), severity="warning", message=f"{c} failed", suggestion="-")
        for c in codes
    ]
    score, verdict = score_report(findings, rules.rubric.checks, rules.rubric.scoring)
    metadata = {"rep": rep, "manager": "m-1", "region": "North", **meta}
    if day is not None:
        metadata["date"] = day
    return ReportAudit(
        id=rid,
        metadata=metadata,
        score=score,
        verdict=verdict,
        signals=Signals(**NO_SIGNALS),
        findings=findings,
        text=text,
    )


def test_the_same_version_is_stored_once(store_url: str, rules: RuleSet) -> None:
    audits = [make_audit(rules, f"r{i}", text=f"Report {i}.") for i in range(5)]
    with Store(store_url) as store:
        first = store.add(audits, CONFIG)
        again = store.add(audits, CONFIG)
        assert (first.new, first.known) == (5, 0)
        assert (again.new, again.known) == (0, 5)
        assert [s.audit for s in store.latest()] == audits
    with Store(store_url) as reopened:  # reopening migrates nothing and stores nothing
        assert reopened.add(audits[:2], CONFIG).new == 0
        assert len(list(reopened.latest())) == 5


def test_a_new_text_pack_or_model_is_a_new_version_and_history_is_kept(
    store_url: str, rules: RuleSet
) -> None:
    original = make_audit(rules, "r1", text="First text.")
    edited = make_audit(rules, "r1", codes=("DIA001",), text="Edited text.")
    new_pack = AuditConfig("other-pack", CONFIG.models)
    new_model = AuditConfig(CONFIG.rule_pack_sha256, {**CONFIG.models, "sentence model": "abc"})
    with Store(store_url) as store:
        assert store.add([original], CONFIG).new == 1
        assert store.add([edited], CONFIG).new == 1
        assert store.add([edited], new_pack).new == 1
        assert store.add([edited], new_model).new == 1
        assert store.add([edited], new_model).new == 0
        versions = store.versions("r1")
        assert [v.audit.text for v in versions] == ["First text.", *["Edited text."] * 3]
        assert [v.row for v in versions] == sorted(v.row for v in versions)
        latest = list(store.latest())
        assert len(latest) == 1 and latest[0].row == versions[-1].row
    engine = sa.create_engine(engine_url(store_url))
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT rule_pack_sha256, models FROM audits ORDER BY id")
        ).all()
    engine.dispose()
    assert [r[0] for r in rows] == ["pack-sha", "pack-sha", "other-pack", "pack-sha"]
    assert '"sentence model": "abc"' in rows[-1][1]


def test_a_writer_stores_in_batches_and_records_that_failed(store_url: str, rules: RuleSet) -> None:
    failed = ReportAudit(id="bad", metadata={"rep": "rep-1"}, error="empty report")
    audits = [make_audit(rules, f"r{i}", text=f"T{i}") for i in range(5)]
    with Store(store_url) as store:
        writer = StoreWriter(store, CONFIG, batch=2)
        for audit in [*audits, failed]:
            writer.add(audit)
        tally = writer.flush()
        assert (tally.new, tally.known) == (6, 0)
        stored = {s.audit.id: s.audit for s in store.latest()}
        assert stored["bad"].error == "empty report" and stored["bad"].status == "error"


def test_since_until_filter_the_latest_version_on_its_report_date(
    store_url: str, rules: RuleSet
) -> None:
    with Store(store_url) as store:
        store.add(
            [
                make_audit(rules, "jan", day="2025-01-31"),
                make_audit(rules, "feb", day="2025-02-01T09:30:00"),
                make_audit(rules, "mar", day="2025-03-15"),
                make_audit(rules, "undated", day=None),
                make_audit(rules, "moved", day="2025-01-05", text="v1"),
            ],
            CONFIG,
        )
        store.add([make_audit(rules, "moved", day="2025-03-01", text="v2")], CONFIG)

        def ids(since: date | None, until: date | None) -> list[str]:
            return sorted(s.audit.id for s in store.latest(since, until))

        assert ids(None, None) == ["feb", "jan", "mar", "moved", "undated"]
        assert ids(date(2025, 2, 1), None) == ["feb", "mar", "moved"]
        assert ids(None, date(2025, 1, 31)) == ["jan"]  # "moved" is dated March now
        assert ids(date(2025, 2, 1), date(2025, 2, 28)) == ["feb"]


def test_previous_is_the_reps_latest_audit_before_a_date(store_url: str, rules: RuleSet) -> None:
    with Store(store_url) as store:
        assert store.previous("rep-1", date(2025, 6, 1)) is None
        store.add(
            [
                make_audit(rules, "a", day="2025-01-10", text="A"),
                make_audit(rules, "b", day="2025-02-10", text="B"),
                make_audit(rules, "c", day="2025-03-10", text="C"),
                make_audit(rules, "other", day="2025-02-20", rep="rep-2", text="O"),
                ReportAudit(id="e", metadata={"rep": "rep-1", "date": "2025-02-25"}, error="x"),
            ],
            CONFIG,
        )
        previous = store.previous("rep-1", date(2025, 3, 10))
        assert previous is not None and previous.id == "b"  # not another rep's, not a failure
        assert store.previous("rep-1", date(2025, 1, 10)) is None  # strictly before
        # A newer version of "b" is what counts, with its own (later) date.
        store.add([make_audit(rules, "b", day="2025-04-01", text="B2")], CONFIG)
        previous = store.previous("rep-1", date(2025, 3, 10))
        assert previous is not None and previous.id == "a"
        later = store.previous("rep-1", date(2025, 5, 1))
        assert later is not None and (later.id, later.text) == ("b", "B2")


def test_a_rejected_finding_leaves_the_score_and_the_trail_says_who_and_why(
    store_url: str, rules: RuleSet
) -> None:
    audit = make_audit(rules, "r1", codes=("OBJ002", "DIA001", "REI001"))
    with Store(store_url) as store:
        store.add([audit, make_audit(rules, "r2", text="Other")], CONFIG)
        decision = store.review("r1", "reject", "dia001", "Ann Lee", "She asked two questions.")
        assert (decision.code, decision.reviewer, decision.kind) == ("DIA001", "Ann Lee", "reject")
        applied = store.current("r1", rules)
        assert applied is not None and applied.review is not None
        rest = [f for f in audit.findings if f.code != "DIA001"]
        assert [f.code for f in applied.findings] == ["OBJ002", "REI001"]
        assert (applied.score, applied.verdict) == score_report(
            rest, rules.rubric.checks, rules.rubric.scoring
        )
        assert applied.score is not None and audit.score is not None
        assert applied.score > audit.score
        assert (applied.review.score, applied.review.verdict) == (audit.score, audit.verdict)
        assert applied.review.changed

        # Accepting it again restores the finding: the latest decision counts.
        store.review("r1", "accept", "DIA001", "Bo Chen", "On reflection, no dialogue.")
        back = store.current("r1", rules)
        assert back is not None and back.score == audit.score and back.review is not None
        assert not back.review.changed
        # A verdict set by a reviewer wins over the computed one.
        store.review("r1", "verdict", "strong", "Bo Chen", "Exemplary report.")
        reviewed = {a.id: a for a in store.reviewed(rules)}
        assert reviewed["r1"].verdict == "strong" and reviewed["r2"].review is None

        trail = store.reviews("r1")
        assert [(d.reviewer, d.kind, d.code, d.verdict, d.reason) for d in trail] == [
            ("Ann Lee", "reject", "DIA001", None, "She asked two questions."),
            ("Bo Chen", "accept", "DIA001", None, "On reflection, no dialogue."),
            ("Bo Chen", "verdict", None, "strong", "Exemplary report."),
        ]
        assert all(d.at.endswith("+00:00") for d in trail)
        assert store.reviews() == trail and store.reviews("r2") == []


def test_decisions_follow_the_text_they_were_made_on(store_url: str, rules: RuleSet) -> None:
    with Store(store_url) as store:
        store.add([make_audit(rules, "r1", text="v1")], CONFIG)
        store.review("r1", "reject", "DIA001", "Ann", "wrong")
        store.add([make_audit(rules, "r1", text="v1")], AuditConfig("new-pack", CONFIG.models))
        kept = store.current("r1", rules)  # same text, new rule pack: the decision stands
        assert kept is not None and "DIA001" not in [f.code for f in kept.findings]
        store.add([make_audit(rules, "r1", text="v2, rewritten")], CONFIG)
        fresh = store.current("r1", rules)  # a changed text is judged afresh
        assert fresh is not None and fresh.review is None
        assert len(store.reviews("r1")) == 1  # nothing is deleted


@pytest.mark.parametrize(
    ("report", "kind", "value", "message"),
    [
        ("nope", "reject", "DIA001", "no report 'nope'"),
        ("r1", "reject", "JUD001", "has no finding JUD001; its findings: OBJ002, DIA001"),
        ("r1", "verdict", "superb", "unknown verdict"),
        ("bad", "reject", "DIA001", "was not audited"),
    ],
)
def test_decisions_that_cannot_apply_are_refused(
    store_url: str, rules: RuleSet, report: str, kind: str, value: str, message: str
) -> None:
    with Store(store_url) as store:
        store.add([make_audit(rules, "r1"), ReportAudit(id="bad", error="empty")], CONFIG)
        with pytest.raises(ReviewError, match=message):
            store.review(report, kind, value, "Ann", "because")  # type: ignore[arg-type]
        with pytest.raises(ReviewError, match="reviewer's name and a reason"):
            store.review("r1", "reject", "DIA001", " ", "because")
        assert store.reviews() == []


def _versions(url: str) -> list[int]:
    engine = sa.create_engine(engine_url(url))
    with engine.connect() as conn:
        found = [r[0] for r in conn.execute(sa.text("SELECT version FROM schema_version"))]
    engine.dispose()
    return sorted(found)


def test_an_empty_database_is_migrated_to_the_latest_schema(store_url: str) -> None:
    Store(store_url).close()
    assert _versions(store_url) == list(range(1, LATEST + 1))


def test_a_version_1_store_is_migrated_and_keeps_its_audits(store_url: str, rules: RuleSet) -> None:
    """Version 1 (audits only) written by hand, as an older auditor left it."""
    engine = sa.create_engine(engine_url(store_url))
    key = "SERIAL PRIMARY KEY" if engine.dialect.name == "postgresql" else "INTEGER PRIMARY KEY"
    audit = make_audit(rules, "old")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, "
                "applied_at VARCHAR(32) NOT NULL)"
            )
        )
        conn.execute(sa.text("INSERT INTO schema_version VALUES (1, '2026-01-01T00:00:00+00:00')"))
        conn.execute(
            sa.text(
                f"CREATE TABLE audits (id {key}, report_id VARCHAR NOT NULL, "
                "text_sha256 VARCHAR(64) NOT NULL, config_sha256 VARCHAR(64) NOT NULL, "
                "rule_pack_sha256 VARCHAR(64) NOT NULL, models TEXT NOT NULL, "
                "ignored TEXT NOT NULL, "
                "rep VARCHAR, manager VARCHAR, region VARCHAR, report_date VARCHAR(10), "
                "status VARCHAR(32) NOT NULL, score INTEGER, verdict VARCHAR(16), "
                "stored_at VARCHAR(32) NOT NULL, audit TEXT NOT NULL, "
                "CONSTRAINT uq_audits_version UNIQUE (report_id, text_sha256, config_sha256))"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO audits (report_id, text_sha256, config_sha256, rule_pack_sha256, "
                "models, ignored, rep, report_date, status, score, verdict, stored_at, audit) "
                "VALUES ('old', 'sha', 'cfg', 'pack', '{}', '[]', 'rep-1', '2025-03-10', "
                "'audited', :score, :verdict, '2026-01-01T00:00:00+00:00', :audit)"
            ),
            {"score": audit.score, "verdict": audit.verdict, "audit": audit.model_dump_json()},
        )
    engine.dispose()
    with Store(store_url) as store:
        assert [s.audit for s in store.latest()] == [audit]
        store.review("old", "reject", "OBJ002", "Ann", "migrated and reviewable")
        assert len(store.reviews("old")) == 1
        assert store.add([make_audit(rules, "new", text="N")], CONFIG).new == 1
    assert _versions(store_url) == list(range(1, LATEST + 1))


def test_a_store_newer_than_this_auditor_is_refused(store_url: str) -> None:
    store = Store(store_url)
    with store.engine.begin() as conn:
        conn.execute(sa.text(f"INSERT INTO schema_version VALUES ({LATEST + 1}, 'later')"))
    store.close()
    with pytest.raises(StoreError, match=f"version {LATEST + 1}, newer than"):
        Store(store_url)


def test_unusable_targets_are_clear_errors(tmp_path) -> None:
    with pytest.raises(StoreError, match="no such folder"):
        Store(str(tmp_path / "missing" / "store.db"))
    with pytest.raises(StoreError, match="unsupported store mysql://"):
        Store("mysql://user:secret@host/db")
    with pytest.raises(StoreError) as caught:
        Store("postgresql://user:secret@127.0.0.1:1/db?connect_timeout=2")
    assert "secret" not in str(caught.value) and "cannot open the store" in str(caught.value)


CODES = ("STAR001", "STAR002", "OBS001", "OBJ001", "OBJ002", "FOC002", "DIA001", "JUD001")


@settings(max_examples=60, deadline=None)
@given(
    failed=st.sets(st.sampled_from(CODES), min_size=1),
    data=st.data(),
)
def test_rejecting_findings_rescores_over_the_rest(failed, data) -> None:
    rules = load_ruleset()  # not a fixture argument: hypothesis would print it on failure
    audit = make_audit(rules, "r", codes=tuple(sorted(failed)))
    rejected = data.draw(st.sets(st.sampled_from(sorted(failed))))
    decisions = [
        ReviewDecision(report_id="r", kind="reject", code=c, reviewer="A", reason="R", at="t")
        for c in sorted(rejected)
    ]
    applied = apply_reviews(audit, decisions, rules, ())
    kept = [f for f in audit.findings if f.code not in rejected]
    assert applied.findings == kept
    assert (applied.score, applied.verdict) == score_report(
        kept, rules.rubric.checks, rules.rubric.scoring
    )
    assert applied.score is not None and audit.score is not None
    assert applied.score >= audit.score  # passing more checks never lowers the score
    if rejected:
        assert applied.review is not None and applied.review.changed
    else:
        assert applied == audit and applied.review is None


def test_nul_characters_are_stored_on_every_backend(store_url: str, rules: RuleSet) -> None:
    """PostgreSQL text cannot hold NUL: the columns get U+FFFD, the audit JSON keeps it."""
    audit = make_audit(rules, "id\x001", text="Text \x00 with a NUL.", rep="rep\x00")
    with Store(store_url) as store:
        assert store.add([audit], CONFIG).new == 1
        assert store.add([audit], CONFIG).new == 0
        assert [s.audit for s in store.latest()] == [audit]
        store.review("id\x001", "reject", "DIA001", "Ann\x00", "reason \x00")
        reviewed = next(store.reviewed(rules))
        assert reviewed.review is not None and reviewed.review.changed
        assert store.previous("rep\x00", date(2026, 1, 1)) == audit
