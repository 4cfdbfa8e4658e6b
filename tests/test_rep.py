"""`auditor rep REP_ID`: the JSON golden timeline, text, HTML escaping, sources, trends, exits."""

from __future__ import annotations

import json
import random
from datetime import date
from pathlib import Path

import pytest
from cli_support import Cli
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.config import load_settings
from auditor.schema import Evidence, FollowThrough, NextObjective, ReportAudit
from auditor.stats.timeline import rep_timeline
from auditor.store import AuditConfig, Store

GOLDEN = Path(__file__).parent / "golden" / "rep_timeline.json"
SCRIPT = '<script>window.__pwned = 1</script> & "quotes"'
NAMES = {"objection_handling": "Objection handling", "messaging": "Messaging and value story"}
SETTINGS = load_settings().rep
assert SETTINGS is not None


def _audit(
    rid: str,
    day: str | None,
    score: int,
    focus: list[str],
    objective: str | None = None,
    follows: tuple[str, str] | None = None,
    rep: str = "REP-7",
) -> ReportAudit:
    """An audit of `rep`; `follows` is (previous id, status) of its follow-through."""
    meta = {"rep": rep, "manager": "Ann Lee", "region": "North"}
    if day is not None:
        meta["date"] = day
    return ReportAudit(
        id=rid,
        metadata=meta,
        score=score,
        verdict="weak" if score < 45 else "strong" if score >= 75 else "adequate",
        focus_competencies=focus,
        next_objective=NextObjective(
            present=objective is not None,
            specific=True,
            measurable=True,
            time_bound=True,
            smart=True,
            evidence=[Evidence(start=0, end=len(objective), text=objective)] if objective else [],
        ),
        follow_through=FollowThrough(
            status=follows[1], reason="planted", previous_id=follows[0], previous_date=None
        )
        if follows
        else FollowThrough(status="not_assessed", reason="no earlier report"),
        text=f"Report {rid}.",
    )


def _fixture() -> list[ReportAudit]:
    """REP-7: four dated visits (improving objection handling), one undated, one failed; a
    second rep whose reports must not appear."""
    return [
        _audit(
            "v3",
            "2025-03-14",
            68,
            ["objection_handling"],
            "Handle price objections",
            ("v2", "partly"),
        ),
        _audit(
            "v1", "2025-01-10", 48, ["objection_handling", "messaging"], "Ask two open questions"
        ),
        _audit("other", "2025-02-01", 90, ["messaging"], "Not this rep", rep="REP-8"),
        _audit(
            "v2",
            "2025-02-11",
            55,
            ["objection_handling"],
            "Use the cost study",
            ("v1", "followed_up"),
        ),
        _audit(
            "v4",
            "2025-04-15",
            77,
            ["objection_handling", "messaging"],
            SCRIPT,
            ("v3", "not_followed_up"),
        ),
        _audit("u1", None, 40, ["messaging"]),
        ReportAudit(
            id="bad", metadata={"rep": "REP-7", "date": "2025-05-02"}, error="empty report"
        ),
    ]


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rep") / "results.jsonl"
    path.write_text("".join(a.model_dump_json() + "\n" for a in _fixture()), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    target = str(tmp_path_factory.mktemp("rep-store") / "audits.db")
    with Store(target) as s:
        s.add(_fixture(), AuditConfig("pack-sha", {"sentence model": None}))
    return target


def test_json_timeline_matches_golden(
    cli: Cli, results: Path, request: pytest.FixtureRequest
) -> None:
    result = cli("rep", "REP-7", str(results), "--format", "json")
    assert result.exit_code == 0, result.output
    actual = json.loads(result.stdout)
    if request.config.getoption("--update-golden"):
        GOLDEN.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n", "utf-8")
        return
    assert actual == json.loads(GOLDEN.read_text(encoding="utf-8")), (
        "the rep timeline changed; if intended, rerun with --update-golden and review the diff"
    )


def test_store_gives_the_same_timeline_as_the_results_file(
    cli: Cli, results: Path, store: str
) -> None:
    from_file = cli("rep", "REP-7", str(results), "--format", "json")
    from_store = cli("rep", "REP-7", "--store", store, "--format", "json")
    assert from_store.exit_code == 0, from_store.output
    assert json.loads(from_store.stdout) == json.loads(from_file.stdout)


def test_text_orders_visits_and_says_what_was_followed_up(cli: Cli, results: Path) -> None:
    out = cli("rep", "REP-7", str(results)).stdout
    assert out.startswith("Rep REP-7: 6 reports (1 not audited, 1 undated)")
    order = [out.index(f"  {rid}  ") for rid in ("v1", "v2", "v3", "v4", "bad", "u1")]
    assert order == sorted(order)
    assert "REP-8" not in out and "other" not in out
    v1 = out[out.index("  v1  ") : out.index("  v2  ")]
    assert "coached: Objection handling, Messaging and value story" in v1
    assert "next objective: Ask two open questions" in v1
    assert "at the next visit: followed up (v2)" in v1
    assert "at the next visit: not followed up (v4)" in out
    assert "undated  u1" in out
    assert "1 report(s) have no usable date: listed last" in out
    assert "Objection handling: improving; level" in out
    assert "Messaging and value story: coached in 3 visits (2 dated), too few" in out


def test_html_is_self_contained_and_escapes_report_text(
    cli: Cli, results: Path, tmp_path: Path
) -> None:
    page = tmp_path / "rep.html"
    result = cli("rep", "REP-7", str(results), "--format", "html", "--out", str(page))
    assert result.exit_code == 0, result.output
    html = page.read_text(encoding="utf-8")
    assert "<script>window.__pwned" not in html
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt; &amp; &#34;quotes&#34;" in html
    assert "http://" not in html and "https://" not in html and "src=" not in html
    assert "Objection handling" in html and "not followed up (v4)" in html


def test_unknown_rep_is_exit_2(cli: Cli, results: Path, store: str) -> None:
    for args in (("REP-404", str(results)), ("REP-404", "--store", store)):
        result = cli("rep", *args)
        assert result.exit_code == 2
        assert "rep 'REP-404' not found in" in result.stderr


def test_unreadable_lines_are_counted_not_lost(cli: Cli, results: Path, tmp_path: Path) -> None:
    damaged = tmp_path / "results.jsonl"
    damaged.write_text(results.read_text(encoding="utf-8") + '{"id": 1}\n', encoding="utf-8")
    result = cli("rep", "REP-7", str(damaged))
    assert result.exit_code == 0, result.output
    assert "1 record(s) that were not audited name no rep and are not listed." in result.stdout


def test_window_and_bad_arguments(cli: Cli, results: Path, tmp_path: Path) -> None:
    window = cli("rep", "REP-7", str(results), "--since", "2025-02-01", "--until", "2025-03-31")
    assert window.exit_code == 0, window.output
    assert "Rep REP-7: 2 reports (0 not audited, 0 undated)" in window.stdout
    empty = cli("rep", "REP-7", str(results), "--since", "2026-01-01")
    assert empty.exit_code == 2 and "between 2026-01-01 and the end" in empty.stderr
    raw = tmp_path / "reports.jsonl"
    raw.write_text('{"id": "a", "text": "A report."}\n', encoding="utf-8")
    assert cli("rep", "REP-7", str(raw)).exit_code == 2
    assert cli("rep", "REP-7").exit_code == 2  # neither RESULTS nor --store
    unwritable = cli("rep", "REP-7", str(results), "--out", str(raw / "under-a-file.txt"))
    assert unwritable.exit_code == 2 and "--out" in unwritable.stderr


@pytest.mark.parametrize("seed", range(5))
def test_planted_improving_and_declining_competencies(seed: int) -> None:
    rng = random.Random(seed)
    audits = []
    for i in range(10):
        day = f"2025-{1 + i:02d}-{rng.randint(1, 28):02d}"
        audits.append(_audit(f"a{i}", day, 40 + 4 * i + rng.randint(-3, 3), ["objection_handling"]))
        audits.append(_audit(f"b{i}", day, 85 - 4 * i + rng.randint(-3, 3), ["messaging"]))
    timeline = rep_timeline("REP-7", audits, NAMES, SETTINGS)
    trends = {t.id: t for t in timeline.trends}
    assert trends["objection_handling"].direction == "improving"
    assert trends["messaging"].direction == "declining"
    slope, level = trends["objection_handling"].slope, trends["objection_handling"].level
    assert slope is not None and slope > SETTINGS.steady_within
    # The level is where the line ends (about 76), not the average of the snapshots (about 58).
    assert level is not None and level > 70
    assert timeline.overall is not None and timeline.overall.direction == "steady"


def test_below_the_minimum_there_is_no_trend() -> None:
    audits = [
        _audit("a", "2025-01-01", 40, ["messaging"]),
        _audit("b", "2025-02-01", 90, ["messaging"]),
        _audit("c", "2025-03-01", 60, ["objection_handling"]),
    ]
    timeline = rep_timeline("REP-7", audits, NAMES, SETTINGS)
    assert [(t.id, t.direction, t.level) for t in timeline.trends] == [
        ("messaging", "too_few", None)
    ]


def test_store_timeline_applies_reviewer_decisions(cli: Cli, tmp_path: Path) -> None:
    target = str(tmp_path / "audits.db")
    with Store(target) as s:
        s.add(_fixture(), AuditConfig("pack-sha", {"sentence model": None}))
        s.review("v2", "verdict", "strong", "Ann Lee", "Clear observed behaviour")
    result = cli("rep", "REP-7", "--store", target, "--format", "json")
    visits = {v["id"]: v for v in json.loads(result.stdout)["visits"]}
    assert visits["v2"]["verdict"] == "strong"
    assert visits["v1"]["verdict"] == "adequate"


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.dates(date(2024, 1, 1), date(2026, 12, 31))),
            st.integers(0, 100),
            st.lists(st.sampled_from(sorted(NAMES) + ["unlisted"]), max_size=2, unique=True),
            st.booleans(),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_any_reports_give_an_ordered_timeline(
    rows: list[tuple[date | None, int, list[str], bool]],
) -> None:
    audits = [
        ReportAudit(id=f"e{i}", metadata={"rep": "R", "date": day and day.isoformat()}, error="x")
        if failed
        else _audit(f"r{i}", day.isoformat() if day else None, score, focus)
        for i, (day, score, focus, failed) in enumerate(rows)
    ]
    timeline = rep_timeline("R", audits, NAMES, SETTINGS)
    assert sorted(v.id for v in timeline.visits) == sorted(a.id for a in audits)
    days = [v.date for v in timeline.visits]
    dated = [d for d in days if d is not None]
    assert dated == sorted(dated) and days == dated + [None] * timeline.undated
    for trend in timeline.trends:
        assert trend.visits >= 2
        assert (trend.level is None) == (trend.direction == "too_few")
        assert trend.level is None or 0 <= trend.level <= 100


def test_a_long_objective_is_cut_in_text_and_whole_in_json() -> None:
    from auditor.render.rep import OBJECTIVE_CHARS, iter_rep_text

    long = "ask " * 200
    timeline = rep_timeline(
        "R", [_audit("a", "2025-01-01", 50, [], long, rep="R")], NAMES, SETTINGS
    )
    assert timeline.visits[0].objective == long.strip()
    line = next(x for x in iter_rep_text(timeline) if "next objective:" in x)
    assert line.endswith("…") and len(line) < OBJECTIVE_CHARS + 40
