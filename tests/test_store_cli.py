"""`auditor audit --store`, `auditor regions --store`, `auditor review` and the review API.

Through click's runner and FastAPI's TestClient, on a SQLite store (test_store.py runs the store
itself on PostgreSQL too).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import RULES_ONLY, Cli
from click.testing import Result
from fastapi.testclient import TestClient

import auditor.engine
from auditor.access import AccessPolicy
from auditor.api import create_app
from auditor.io.results import PARTIAL
from auditor.store import Store

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "sample_reports" / "dev.jsonl"
FAST = ("--quiet", "--batch-size", "4", *RULES_ONLY)
TOKEN = "review-token-1"


def _reports(path: Path, n: int) -> Path:
    """The first `n` corpus reports, renamed r0000..., dated on the 15th of months 1-6 in turn."""
    with CORPUS.open(encoding="utf-8") as src, path.open("w", encoding="utf-8") as fh:
        for i, line in zip(range(n), src, strict=False):
            record = {**json.loads(line), "id": f"r{i:04d}", "date": f"2025-{1 + i % 6:02d}-15"}
            fh.write(json.dumps(record) + "\n")
    return path


def _audit_into(cli: Cli, tmp: Path, n: int, store: Path) -> Result:
    """`auditor audit` of `n` corpus reports into TMP/out and `store`."""
    reports = _reports(tmp / "in.jsonl", n)
    return cli("audit", str(reports), "--out", str(tmp / "out"), "--store", str(store), *FAST)


def _stored(store: Path) -> list[str]:
    with Store(str(store)) as opened:
        return sorted(s.audit.id for s in opened.latest())


def _versions(store: Path) -> int:
    with Store(str(store)) as opened, opened.engine.connect() as conn:
        return conn.exec_driver_sql("SELECT count(*) FROM audits").scalar_one()


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory, cli: Cli) -> Path:
    """A store with 12 reports audited by `auditor audit --store`."""
    tmp = tmp_path_factory.mktemp("stored")
    result = _audit_into(cli, tmp, 12, tmp / "audits.db")
    assert result.exit_code == 0, result.output
    return tmp / "audits.db"


def test_audit_store_is_idempotent_across_reruns(cli: Cli, tmp_path: Path) -> None:
    reports, store = _reports(tmp_path / "in.jsonl", 6), tmp_path / "s.db"
    args = (str(reports), "--out", str(tmp_path / "out"), "--store", str(store), *FAST)
    first = cli("audit", *args)
    assert first.exit_code == 0, first.output
    assert "6 new audit versions stored, 0 already there" in first.output
    again = cli("audit", *args)
    assert "0 new audit versions stored, 6 already there" in again.output
    assert _versions(store) == 6
    changed = cli("audit", *args, "--ignore", "DIA001")  # other checks: a new version each
    assert "6 new audit versions stored" in changed.output and _versions(store) == 12
    assert _stored(store) == [f"r{i:04d}" for i in range(6)]


def test_a_crashed_audit_resumes_into_the_store_without_duplicates(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    reports, store, out = _reports(tmp_path / "in.jsonl", 20), tmp_path / "s.db", tmp_path / "o"
    args = (str(reports), "--out", str(out), "--store", str(store), *FAST)
    real = auditor.engine.Auditor._audit

    def failing(self, ann, report, *rest):
        if report.id == "r0010":
            raise RuntimeError("boom")
        return real(self, ann, report, *rest)

    with monkeypatch.context() as m:
        m.setattr(auditor.engine.Auditor, "_audit", failing)
        crashed = cli("audit", *args)
    assert crashed.exit_code == 3 and (out / PARTIAL).is_file()
    resumed = cli("audit", *args, "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert _stored(store) == [f"r{i:04d}" for i in range(20)] and _versions(store) == 20
    assert "0 new audit versions stored, 20 already there" in cli("audit", *args).output


def test_audit_refuses_an_unusable_store(cli: Cli, tmp_path: Path) -> None:
    result = _audit_into(cli, tmp_path, 1, tmp_path / "no" / "s.db")
    assert result.exit_code == 2 and "no such folder for the store" in result.stderr
    assert not (tmp_path / "out").exists()


def test_regions_from_a_store_with_since_and_until(cli: Cli, stored: Path) -> None:
    every = json.loads(cli("regions", "--store", str(stored), "--format", "json").output)
    assert every["n_reports"] == 12
    spring = cli(
        "regions",
        "--store",
        str(stored),
        "--since",
        "2025-03-01",
        "--until",
        "2025-04-30",
        "--format",
        "json",
    )
    assert json.loads(spring.output)["n_reports"] == 4  # months 3 and 4 of 1..6, twice
    none = cli("regions", "--store", str(stored), "--since", "2030-01-01")
    assert none.exit_code == 2 and "no reports in" in none.stderr
    bad = cli("regions", "--store", str(stored), "--since", "March")
    assert bad.exit_code == 2 and "not an ISO date" in bad.output
    both = cli("regions", "x.jsonl", "--store", str(stored))
    assert both.exit_code == 2 and "either INPUTS" in both.output


def test_review_changes_the_score_regions_count_it_and_the_trail_shows_it(
    cli: Cli, tmp_path: Path
) -> None:
    store, out = tmp_path / "s.db", tmp_path / "out"
    _audit_into(cli, tmp_path, 6, store)
    audit = next(
        json.loads(line)
        for line in (out / "results.jsonl").read_text().splitlines()
        if json.loads(line)["findings"]
    )
    code = audit["findings"][0]["code"]
    decided = cli(
        "review",
        "--store",
        str(store),
        audit["id"],
        "--reject",
        code,
        "--reviewer",
        "Ann Lee",
        "--reason",
        "The finding misread the report.",
    )
    assert decided.exit_code == 0, decided.output
    assert f"Ann Lee rejected {code} on {audit['id']}: The finding misread" in decided.output
    applied = json.loads(
        cli(
            "review",
            "--store",
            str(store),
            audit["id"],
            "--verdict",
            "strong",
            "--reviewer",
            "Bo",
            "--reason",
            "Model report.",
            "--format",
            "json",
        ).output
    )
    assert applied["audit"]["score"] > audit["score"]
    assert applied["audit"]["verdict"] == "strong"
    assert code not in [f["code"] for f in applied["audit"]["findings"]]
    assert [d["reviewer"] for d in applied["audit"]["review"]["decisions"]] == ["Ann Lee", "Bo"]

    trail = cli("review", "--store", str(store), "--list", audit["id"])
    lines = trail.output.splitlines()
    assert len(lines) == 2 and "Ann Lee rejected" in lines[0]
    assert "Bo set the verdict to strong" in lines[1] and "+00:00" in lines[0]

    report = json.loads(cli("regions", "--store", str(store), "--format", "json").output)
    assert "1 of 6 reports changed by a reviewer" in report["notes"]
    page = cli("regions", "--store", str(store), "--format", "html").output
    assert "1 of 6 reports changed by a reviewer" in page


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("r0000", "--reject", "XYZ999", "--reviewer", "A", "--reason", "R"), "no finding XYZ999"),
        (("nope", "--verdict", "weak", "--reviewer", "A", "--reason", "R"), "no report 'nope'"),
        (("r0000", "--verdict", "weak"), "needs --reviewer NAME and --reason"),
        (
            ("r0000", "--accept", "A", "--reject", "B", "--reviewer", "A", "--reason", "R"),
            "one of --accept",
        ),
        (("--list", "--verdict", "weak"), "cannot be combined"),
    ],
)
def test_review_refusals_exit_2(cli: Cli, stored: Path, args: tuple[str, ...], message: str):
    result = cli("review", "--store", str(stored), *args)
    assert result.exit_code == 2 and message in result.output + result.stderr


def test_serve_store_needs_a_token(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("FCR_AUDITOR_TOKEN", raising=False)
    result = cli("serve", "--store", str(tmp_path / "s.db"))
    assert result.exit_code == 2 and "--store needs an API token" in result.output


@pytest.fixture
def client(engine, stored: Path, tmp_path: Path) -> Iterator[TestClient]:
    """The API over a copy of the `stored` store, with a token."""
    copy = tmp_path / "copy.db"
    shutil.copy(stored, copy)
    with Store(str(copy)) as store:
        app = create_app(engine=engine, access=AccessPolicy(token=TOKEN), store=store)
        yield TestClient(app, raise_server_exceptions=False)


def _flagged(client: TestClient) -> tuple[str, str]:
    for i in range(12):
        body = client.get(f"/api/reviews/r{i:04d}", headers={"Authorization": f"Bearer {TOKEN}"})
        findings = body.json()["audit"]["findings"]
        if findings:
            return f"r{i:04d}", findings[0]["code"]
    raise AssertionError("no report with a finding")


def test_review_api_records_and_lists_decisions(client: TestClient) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    rid, code = _flagged(client)
    before = client.get(f"/api/reviews/{rid}", headers=auth).json()
    assert before["decisions"] == [] and "text" not in before["audit"]
    decision = {
        "report_id": rid,
        "kind": "reject",
        "code": code,
        "reviewer": "Ann",
        "reason": "Misread.",
    }
    assert client.post("/api/reviews", json=decision).status_code == 401  # the token applies
    posted = client.post("/api/reviews", json=decision, headers=auth)
    assert posted.status_code == 201, posted.text
    assert posted.json()["audit"]["score"] > before["audit"]["score"]
    after = client.get(f"/api/reviews/{rid}", headers=auth).json()
    assert [(d["reviewer"], d["reason"], d["code"]) for d in after["decisions"]] == [
        ("Ann", "Misread.", code)
    ]
    assert after["audit"]["review"]["changed"] is True


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"report_id": "nope", "kind": "verdict", "verdict": "weak"}, 404, "not_found"),
        ({"report_id": "r0000", "kind": "reject", "code": "XYZ999"}, 422, "invalid_request"),
        ({"report_id": "r0000", "kind": "reject"}, 422, "invalid_request"),
        ({"report_id": "r0000", "kind": "verdict", "verdict": "superb"}, 422, "invalid_request"),
        (
            {"report_id": "r0000", "kind": "verdict", "verdict": "weak", "reviewer": ""},
            422,
            "invalid_request",
        ),
    ],
)
def test_review_api_refusals(client: TestClient, body: dict, status: int, error: str) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    response = client.post(
        "/api/reviews", json={"reviewer": "A", "reason": "R", **body}, headers=auth
    )
    assert response.status_code == status and response.json()["error"] == error
    assert client.get("/api/reviews/nope", headers=auth).status_code == 404


def test_serve_workers_open_the_store_from_their_configuration(
    stored: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`serve --workers N --store S`: each worker's app (api.app_from_env) serves the reviews."""
    from auditor.api import SERVE_CONFIG_ENV, app_from_env

    (tmp_path / "token").write_text(TOKEN + "\n")
    config = {
        "rubric": None,
        "sentence_model": "none",
        "calibration": "none",
        "focus_model": "none",
        "allow_origin": [],
        "token_file": str(tmp_path / "token"),
        "store": str(stored),
    }
    monkeypatch.setenv(SERVE_CONFIG_ENV, json.dumps(config))
    client = TestClient(app_from_env())
    response = client.get("/api/reviews/r0000", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200 and response.json()["audit"]["id"] == "r0000"


def test_follow_through_reads_the_reps_earlier_report_from_the_store(
    cli: Cli, tmp_path: Path
) -> None:
    store = tmp_path / "s.db"
    earlier = {
        "id": "v1",
        "rep": "R-7",
        "date": "2025-03-04",
        "text": "You presented the efficacy data to Dr Lee. Next time ask two open questions "
        "about her patients before presenting, by our 15 March ride-along.",
    }
    later = {
        "id": "v2",
        "rep": "R-7",
        "date": "2025-04-15",
        "text": "At the Riverside pharmacy you sorted out the stock shortage calmly and agreed "
        "a delivery date. Next time confirm the order before leaving.",
    }
    for n, record in enumerate((earlier, later)):
        batch = tmp_path / f"b{n}.jsonl"
        batch.write_text(json.dumps(record) + "\n", encoding="utf-8")
        out = tmp_path / f"out{n}"
        result = cli("audit", str(batch), "--out", str(out), "--store", str(store), *FAST)
        assert result.exit_code == 0, result.output
    audit = json.loads((tmp_path / "out1" / "results.jsonl").read_text(encoding="utf-8"))
    # The second batch holds only v2; its previous report comes from the store.
    assert audit["follow_through"]["previous_id"] == "v1"
    assert audit["follow_through"]["status"] == "not_followed_up"
    assert "FOL001" in {f["code"] for f in audit["findings"]}


def test_calibrate_learns_from_reviewer_verdicts_in_the_store(cli: Cli, tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    assert _audit_into(cli, tmp_path, 12, store).exit_code == 0
    models = ("--sentence-model", "none", "--focus-model", "none")
    out = tmp_path / "cal"
    none_yet = cli("calibrate", "--store", str(store), "--out", str(out), *models)
    assert none_yet.exit_code == 2 and "too few" in none_yet.output
    with Store(str(store)) as opened:
        ranked = sorted(opened.latest(), key=lambda s: s.audit.score or 0)
    for n, stored in enumerate(ranked):  # reviewers grade by the score's thirds
        verdict = ("weak", "adequate", "strong")[n * 3 // len(ranked)]
        args = ("--verdict", verdict, "--reviewer", "ana", "--reason", "regraded")
        assert cli("review", "--store", str(store), stored.audit.id, *args).exit_code == 0
    result = cli("calibrate", "--store", str(store), "--out", str(out), *models)
    assert result.exit_code == 0, result.output
    card = json.loads((out / "card.json").read_text(encoding="utf-8"))
    assert card["training_data"] == {"store": "sqlite", "reviewed_reports": 12}
    both = cli("calibrate", str(CORPUS), "--store", str(store), "--out", str(out), *models)
    assert both.exit_code == 2 and "either LABELLED or --store" in both.output
