"""Follow-through through `auditor audit`: FOL001 on the later report of a rep, input order
kept, other reports untouched, and a crash in the pass resumed to the same results; the
rubric's FOL001 examples (pairs of reports) flag and pass as declared."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from cli_support import RULES_ONLY, Cli

from auditor.config import load_ruleset
from auditor.followthrough import FollowThroughPass
from auditor.io.results import MANIFEST, PARTIAL
from auditor.selftest import audit_example_pair

EARLIER = (
    "You presented the efficacy data to Dr Lee. Next time ask two open questions about her "
    "patients before presenting, by our 15 March ride-along."
)
FOLLOWED = (
    "Last visit we agreed you would ask open questions about patients before presenting. "
    "Today you asked Dr Lee three open questions and she talked about two of her patients. "
    "Next time summarise what she said before presenting."
)
IGNORED = (
    "At the Riverside pharmacy you sorted out the stock shortage calmly and agreed a delivery "
    "date. Next time confirm the order before leaving."
)
ROWS: list[dict[str, Any]] = [
    {"id": "ann-3", "text": IGNORED, "rep": "ann", "date": "2026-04-10"},
    {"id": "norep", "text": IGNORED},
    {"id": "ann-1", "text": EARLIER, "rep": "ann", "date": "2026-03-01"},
    {"id": "bad", "text": "", "rep": "ann", "date": "2026-05-01"},
    {"id": "ann-2", "text": FOLLOWED, "rep": "ann", "date": "2026-03-20"},
    {"id": "bob-1", "text": IGNORED, "rep": "bob", "date": "2026-03-25"},
]


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _results(out: Path) -> dict[str, dict[str, Any]]:
    lines = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    return {a["id"]: a for a in map(json.loads, lines)}


def _codes(audit: dict[str, Any]) -> list[str]:
    return [f["code"] for f in audit["findings"]]


def test_the_later_report_of_a_rep_gets_fol001_in_input_order(cli: Cli, tmp_path: Path) -> None:
    src = _write(tmp_path / "in.jsonl", ROWS)
    result = cli("audit", str(src), "--out", str(tmp_path / "out"), "--quiet", *RULES_ONLY)
    assert result.exit_code == 1, result.output  # the empty report is a failed record
    audits = _results(tmp_path / "out")
    assert list(audits) == [r["id"] for r in ROWS]
    third, followed, first = audits["ann-3"], audits["ann-2"], audits["ann-1"]
    assert third["follow_through"]["status"] == "not_followed_up"
    assert third["follow_through"]["previous_id"] == "ann-2"
    assert "FOL001" in _codes(third)
    fol = next(f for f in third["findings"] if f["code"] == "FOL001")
    assert "2026-03-20 (ann-2)" in fol["message"]
    assert followed["follow_through"]["status"] == "followed_up"
    assert followed["follow_through"]["previous_objective"][0]["text"].startswith("Next time ask")
    back = followed["follow_through"]["back_references"][0]
    assert FOLLOWED[back["start"] : back["end"]] == back["text"]
    assert followed["follow_up"] == followed["follow_through"]["back_references"]
    assert "FOL001" not in _codes(followed)
    assert first["follow_through"]["status"] == "not_assessed"
    assert "no earlier report of rep 'ann'" in first["follow_through"]["reason"]
    assert audits["bad"]["follow_through"] is None and audits["bad"]["error"]
    with (tmp_path / "out" / "results.csv").open(encoding="utf-8", newline="") as fh:
        rows = {r["id"]: r for r in csv.DictReader(fh)}
    assert list(rows) == [r["id"] for r in ROWS]
    assert "FOL001" in rows[third["id"]]["findings"]
    assert rows[third["id"]]["follow_through"] == "not_followed_up"
    assert "FOL001" not in rows[third["id"]]["not_applicable"]
    assert rows[first["id"]]["follow_through"] == "not_assessed"
    assert "FOL001" in rows[first["id"]]["not_applicable"]

    # a report without a rep, and one whose rep has no earlier report, are audited as alone
    alone = _write(tmp_path / "alone.jsonl", [{"id": "norep", "text": IGNORED}])
    cli("audit", str(alone), "--out", str(tmp_path / "alone"), "--quiet", *RULES_ONLY)
    single = _results(tmp_path / "alone")["norep"]
    for key in ("norep", "bob-1"):
        assert audits[key]["follow_through"]["status"] == "not_assessed"
        assert (audits[key]["score"], audits[key]["findings"]) == (
            single["score"],
            single["findings"],
        )
    assert "no rep" in audits["norep"]["follow_through"]["reason"]

    ignored = cli(
        "audit",
        str(src),
        "--out",
        str(tmp_path / "ign"),
        "--quiet",
        "--ignore",
        "FOL001",
        *RULES_ONLY,
    )
    assert ignored.exit_code == 1
    third = _results(tmp_path / "ign")["ann-3"]
    assert third["follow_through"]["status"] == "not_followed_up"
    assert "FOL001" not in _codes(third)


def test_a_crash_in_the_pass_keeps_the_partial_results_and_resume_finishes(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    src = _write(tmp_path / "in.jsonl", ROWS)
    out = tmp_path / "out"
    args = (str(src), "--out", str(out), "--quiet", *RULES_ONLY)
    judge = FollowThroughPass.__call__
    calls = {"n": 0}

    def crash(self: FollowThroughPass, audit: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("boom")
        return judge(self, audit)

    with monkeypatch.context() as m:
        m.setattr(FollowThroughPass, "__call__", crash)
        failed = cli("audit", *args)
    assert failed.exit_code == 3 and "RuntimeError: boom" in failed.stderr
    assert not (out / "results.jsonl").exists() and not (out / "results.csv").exists()
    assert (out / PARTIAL).read_bytes().count(b"\n") == len(ROWS)
    resumed = cli("audit", *args, "--resume")
    assert resumed.exit_code == 1, resumed.output
    assert f"resuming after the {len(ROWS)} results" in resumed.stderr
    assert not (out / PARTIAL).exists() and not (out / MANIFEST).exists()
    cli("audit", str(src), "--out", str(tmp_path / "fresh"), "--quiet", *RULES_ONLY)
    for name in ("results.jsonl", "results.csv"):
        assert (out / name).read_bytes() == (tmp_path / "fresh" / name).read_bytes()


FOL001 = load_ruleset().checks_by_code["FOL001"].examples
EXAMPLES = [("flag", t) for t in FOL001.flag] + [("pass", t) for t in FOL001.pass_]


@pytest.mark.parametrize(("expect", "text"), EXAMPLES)
def test_fol001_examples(engine, expect: str, text: str) -> None:
    audit = audit_example_pair(engine, text)
    assert audit.follow_through is not None
    assert ("FOL001" in {f.code for f in audit.findings}) == (expect == "flag")


def test_an_invalid_followthrough_file_is_refused_before_auditing(cli: Cli, tmp_path: Path) -> None:
    from cli_support import copy_pack

    pack = copy_pack(tmp_path / "pack")
    (pack / "followthrough.yaml").write_text("partly: -1\n", encoding="utf-8")
    src = _write(tmp_path / "in.jsonl", ROWS[:1])
    out = tmp_path / "out"
    result = cli("audit", str(src), "--out", str(out), "--rubric", str(pack), *RULES_ONLY)
    assert result.exit_code == 2
    assert "invalid rule pack" in result.stderr and "followthrough.yaml" in result.stderr
    assert not out.exists()
