"""Bad input through `auditor audit` and auditor.io: every record comes out once, in order.

A failed record keeps its place in results.jsonl with a clear `error`; results.csv has the same
rows; the exit code is 1 when some record failed, 0 when none did, and 2 (one line on stderr)
for arguments that cannot be used at all. Results are written atomically.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from pathlib import Path

import pytest
from cli_support import RULES_ONLY, Cli, cli_runner, copy_pack

from auditor.config import load_ruleset
from auditor.io import AtomicResults, TableOptions, read_csv, read_jsonl, read_stdin, read_text_file
from auditor.schema import ReportAudit

GOOD = ("Call objective with Dr Lee was to agree a trial of Cardiova in new patients. You asked "
        "two open questions about her newly diagnosed patients. As a result she agreed to try it "
        "in two patients. By the next ride-along on 15 May, ask for a follow-up date before "
        "leaving.")
GOOD_2 = ("Visit to the Riverside clinic pharmacy team. You opened with the dosing card and "
          "checked what the nurses find hard. Next time ask the pharmacist for one change.")
LIMIT = 1000  # max_chars of the copied pack: GOOD texts fit, LONG does not
LONG = "The rep asked questions. " * 60


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Cli:
    """The `auditor` command in-process (one spaCy pipeline per rule pack)."""
    return cli_runner(monkeypatch)


def _line(obj: object) -> bytes:
    return json.dumps(obj).encode() + b"\n"


def _results(out: Path) -> tuple[list[ReportAudit], list[dict[str, str]]]:
    lines = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    with (out / "results.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [ReportAudit.model_validate_json(x) for x in lines], rows


def _assert_matches(audits: list[ReportAudit], expected: list[tuple[str, str | None]]) -> None:
    """Ids in order (a trailing '*' matches a suffix); `None` means no error, else a fragment."""
    assert len(audits) == len(expected), [a.id for a in audits]
    for audit, (rid, fragment) in zip(audits, expected, strict=True):
        if rid.startswith("*"):
            assert audit.id.endswith(rid[1:]), (audit.id, rid)
        else:
            assert audit.id == rid
        if fragment is None:
            assert audit.error is None, (rid, audit.error)
            assert audit.verdict in ("strong", "adequate", "weak")
            assert 0 <= audit.score <= 100
        else:
            assert audit.error and fragment in audit.error, (rid, audit.error)
            assert audit.score is None and audit.verdict is None and not audit.findings


def _no_temp_files(out: Path) -> None:
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]


# -- the whole matrix in one batch --------------------------------------------------------------
def _write_matrix(root: Path) -> tuple[list[str], list[tuple[str, str | None]]]:
    """Input files with every kind of bad record, and the expected (id, error) in output order."""
    root.mkdir()
    (root / "batch.jsonl").write_bytes(b"".join([
        _line({"id": "j-ok", "text": GOOD, "region": "EMEA-DACH", "rep_level": "new"}),
        b"\n",  # a blank line is not a record
        _line({"id": "j-empty", "text": ""}),
        _line({"id": "j-space", "text": "  \n\t  "}),
        _line({"id": "j-long", "text": LONG}),
        b'{"id": "j-latin1", "text": "caf\xe9 au lait"}\n',
        b'{"id": "j-broken", "text": "no closing quote}\n',
        _line(["j-list", GOOD]),
        _line({"text": GOOD}),
        _line({"id": "j-notext", "region": "US-West"}),
        b'{"id": "j-nul", "text": "a\x00b"}\n',
        _line({"id": "j-ok", "text": GOOD_2}),
    ]))
    (root / "crm.csv").write_bytes(
        b"id,comments,region,manager\r\n"
        b'c-1,"Observations:\nYou asked two open questions.\n\nNext steps:\n'
        b'Ask for a follow-up date by 15 May.",EMEA,m-1\r\n'
        b"c-2,only two columns\r\n"
        b'c-3,"   ",EMEA,m-1\r\n'
        b'c-4,"caf\xe9",EMEA,m-1\r\n'
        b'c-5,' + GOOD.replace(",", "").encode() + b", extra column,EMEA,m-2\r\n"
        b"j-ok," + GOOD_2.replace(",", "").encode() + b",EMEA,m-2\r\n"
    )
    (root / "note.md").write_text(
        f"---\nid: md-1\nregion: US-West\nrep_level: experienced\ndate: 2025-03-01\n---\n{GOOD}\n",
        encoding="utf-8")
    (root / "plain.txt").write_text(GOOD_2, encoding="utf-8")
    (root / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (root / "latin1.txt").write_bytes("Réunion à l'hôpital. ".encode("latin-1"))
    folder = root / "folder"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text(GOOD, encoding="utf-8")
    (folder / "b.md").write_text(GOOD_2, encoding="utf-8")
    (folder / "c.jsonl").write_bytes(_line({"id": "d-1", "text": GOOD}) + b"{oops\n")
    (folder / "d.csv").write_text(f"id,text\nd-2,{GOOD_2.replace(',', '')}\n", encoding="utf-8")
    (folder / "ignored.bin").write_bytes(b"\x00\x01")  # not a report format: skipped
    (folder / "sub" / "e.txt").write_text("", encoding="utf-8")
    inputs = [str(root / n) for n in
              ("batch.jsonl", "crm.csv", "note.md", "plain.txt", "binary.txt", "latin1.txt",
               "folder")]
    expected: list[tuple[str, str | None]] = [
        ("j-ok", None),
        ("j-empty", "empty report"),
        ("j-space", "empty report"),
        ("j-long", f"report too long: {len(LONG)} characters (limit {LIMIT})"),
        ("*batch.jsonl:6", "invalid UTF-8"),
        ("*batch.jsonl:7", "malformed JSON"),
        ("*batch.jsonl:8", "expected a JSON object"),
        ("*batch.jsonl:9", "missing required field 'id'"),
        ("j-notext", "missing required field 'text'"),
        ("*batch.jsonl:11", "binary content"),
        ("j-ok", "duplicate id 'j-ok'"),
        ("c-1", None),
        ("c-2", "2 of 4 columns present"),
        ("c-3", "empty report"),
        ("c-4", None),  # no UTF-8 in the file: read as Windows-1252
        ("*crm.csv:row6", "5 columns but the header has 4"),
        ("j-ok", "duplicate id 'j-ok'"),
        ("md-1", None),
        ("plain", None),
        ("binary.txt", "binary content"),
        ("latin1.txt", "invalid UTF-8"),
        ("a", None),
        ("b", None),
        ("d-1", None),
        ("*c.jsonl:2", "malformed JSON"),
        ("d-2", None),
        ("sub/e", "empty report"),
    ]
    return inputs, expected


def test_bad_input_matrix_keeps_every_record_in_order(cli: Cli, tmp_path: Path) -> None:
    pack = copy_pack(tmp_path / "pack", lambda r: r["limits"].update(max_chars=LIMIT))
    inputs, expected = _write_matrix(tmp_path / "in")
    out = tmp_path / "out"
    result = cli("audit", *inputs, "--out", str(out), "--rubric", str(pack), *RULES_ONLY)
    assert result.exit_code == 1, result.output
    audits, rows = _results(out)
    _assert_matches(audits, expected)
    assert [r["id"] for r in rows] == [a.id for a in audits]
    assert [r["error"] for r in rows] == [a.error or "" for a in audits]
    failed = sum(1 for _, err in expected if err)
    assert re.search(rf"^failed \(error\)\s+{failed}$", result.stdout, re.M)
    assert re.search(rf"^reports\s+{len(expected)}$", result.stdout, re.M)
    assert "auditing" in result.stderr  # the progress bar goes to stderr
    assert "crm.csv is not UTF-8; reading it as Windows-1252" in result.stderr
    _no_temp_files(out)

    by_id = {a.id: a for a in audits if a.ok}
    assert by_id["j-ok"].metadata == {"region": "EMEA-DACH", "rep_level": "new"}
    assert by_id["j-ok"].text == GOOD
    # The CSV text column is `comments`: its quoted newlines survive, and it is not metadata.
    assert by_id["c-1"].text.startswith("Observations:\nYou asked")
    assert by_id["c-1"].metadata == {"region": "EMEA", "manager": "m-1"}
    assert by_id["c-4"].text == "café"
    # Front matter: id from it, the rest kept as metadata (dates as ISO strings), body only.
    assert by_id["md-1"].metadata == {"region": "US-West", "rep_level": "experienced",
                                      "date": "2025-03-01"}
    assert by_id["md-1"].text.strip() == GOOD
    assert rows[[a.id for a in audits].index("md-1")]["date"] == "2025-03-01"


def test_stdin_jsonl_replaces_previous_results_atomically(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "results.jsonl").write_text("stale\n", encoding="utf-8")
    data = (_line({"id": "s-1", "text": GOOD, "manager": "m-9"})
            + _line({"id": "s-2", "text": "Visite à l'hôpital 🏥 avec Dr Müller. " + GOOD_2}))
    result = cli("audit", "-", "--out", str(out), "--quiet", *RULES_ONLY, input=data)
    assert result.exit_code == 0, result.output
    audits, rows = _results(out)
    _assert_matches(audits, [("s-1", None), ("s-2", None)])
    assert audits[0].metadata == {"manager": "m-9"}
    assert len(rows) == 2 and rows[0]["manager"] == "m-9"
    _no_temp_files(out)
    umask = os.umask(0)
    os.umask(umask)
    assert (out / "results.jsonl").stat().st_mode & 0o777 == 0o666 & ~umask


def test_stdin_plain_text_is_one_report(cli: Cli, tmp_path: Path) -> None:
    result = cli("audit", "-", "--out", str(tmp_path), "--quiet", *RULES_ONLY,
                 input=GOOD + "\n\nNext steps:\n- ask for commitment\n")
    assert result.exit_code == 0, result.output
    audits, rows = _results(tmp_path)
    _assert_matches(audits, [("stdin", None)])
    assert audits[0].text.startswith(GOOD)
    assert len(rows) == 1


def test_custom_csv_columns(cli: Cli, tmp_path: Path) -> None:
    src = tmp_path / "export.csv"
    src.write_text(f"report_id,body,region,channel\nx-1,{GOOD.replace(',', '')},APAC,f2f\n"
                   f"x-2,,APAC,remote\n", encoding="utf-8")
    out = tmp_path / "out"
    result = cli("audit", str(src), "--out", str(out), "--quiet", "--id-col", "report_id",
                 "--text-col", "body", *RULES_ONLY)
    assert result.exit_code == 1, result.output
    audits, rows = _results(out)
    _assert_matches(audits, [("x-1", None), ("x-2", "empty report")])
    # Columns other than id and text are metadata, whatever their names.
    assert audits[0].metadata == {"region": "APAC", "channel": "f2f"}
    assert rows[0]["region"] == "APAC"


# -- unusable arguments: exit 2, one line, previous results untouched ------------------------
def _one_line_error(result, *fragments: str) -> None:  # noqa: ANN001 (click Result)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("auditor: ")
    for fragment in fragments:
        assert fragment in lines[0]


def test_missing_path_and_unknown_ignore_code_exit_2(cli: Cli, tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    good.write_bytes(_line({"id": "g-1", "text": GOOD}))
    missing = tmp_path / "nope.jsonl"
    _one_line_error(cli("audit", str(good), str(missing), "--out", str(tmp_path / "o1")),
                    str(missing), "no such file or directory")
    _one_line_error(cli("audit", str(good), "--out", str(tmp_path / "o2"), "--ignore",
                        "STAR001,XYZ999", *RULES_ONLY), "unknown rule code(s) XYZ999", "STAR001")
    assert not (tmp_path / "o1").exists() and not (tmp_path / "o2").exists()


def test_csv_without_id_or_text_column_exits_2_and_keeps_old_results(cli: Cli,
                                                                     tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    good.write_bytes(_line({"id": "g-1", "text": GOOD}))
    bad = tmp_path / "bad.csv"
    bad.write_text("ref,notes\n1,hello\n", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "results.jsonl").write_text("previous\n", encoding="utf-8")
    result = cli("audit", str(good), str(bad), "--out", str(out), "--quiet", *RULES_ONLY)
    _one_line_error(result, "bad.csv", "no column for id ('id') and text", "found ref, notes",
                    "--map FIELD=COLUMN")
    assert (out / "results.jsonl").read_text(encoding="utf-8") == "previous\n"
    assert not (out / "results.csv").exists()
    _no_temp_files(out)


# -- auditor.io directly -----------------------------------------------------------------------
def test_atomic_results_appear_only_on_commit(tmp_path: Path) -> None:
    (tmp_path / "results.jsonl").write_text("old\n", encoding="utf-8")
    writer = AtomicResults(tmp_path)
    writer.write(ReportAudit(id="r-1", error="boom"))
    assert (tmp_path / "results.jsonl").read_text(encoding="utf-8") == "old\n"
    assert not (tmp_path / "results.csv").exists()
    writer.commit()
    assert [json.loads(x)["id"] for x in (tmp_path / "results.jsonl").open()] == ["r-1"]
    assert (tmp_path / "results.csv").read_text(encoding="utf-8").count("\n") == 2
    _no_temp_files(tmp_path)

    aborted = AtomicResults(tmp_path)
    aborted.write(ReportAudit(id="r-2", error="boom"))
    aborted.abort()
    assert [json.loads(x)["id"] for x in (tmp_path / "results.jsonl").open()] == ["r-1"]
    _no_temp_files(tmp_path)


def test_readers_turn_bad_records_into_failed_records(tmp_path: Path) -> None:
    jsonl = list(read_jsonl(io.BytesIO(b'{"id": 7, "text": 5}\n{"id": "a", "text": "x"}\n'),
                            "in.jsonl"))
    assert [r.id for r in jsonl] == ["7", "a"]
    assert jsonl[0].error == "in.jsonl:1: field 'text' must be a string"
    rows = list(read_csv(io.BytesIO(b'id,text,comments\n1,,fallback\n2,"a,b",\n'), "in.csv",
                         TableOptions()))
    assert [(r.id, r.text) for r in rows] == [("1", "fallback"), ("2", "a,b")]
    assert rows[1].metadata == {}  # the other text column is not metadata, even when empty
    md = tmp_path / "bad.md"
    md.write_text("---\nid: [unclosed\n---\nbody\n", encoding="utf-8")
    failed = read_text_file(md)
    assert failed.id == "bad.md" and "invalid YAML front matter" in failed.error


def test_stdin_jsonl_streams_line_by_line() -> None:
    data = b"\n" + b"".join(_line({"id": f"r-{i}", "text": "x"}) for i in range(1000))
    stdin = io.BytesIO(data)
    records = read_stdin(stdin, TableOptions())
    assert next(records).id == "r-0"
    assert stdin.tell() < len(data) // 10  # not read to the end for the first record
    rest = list(records)
    assert len(rest) == 999 and rest[-1].id == "r-999"


def test_default_size_limit_is_50000_characters() -> None:
    assert load_ruleset().rubric.limits.max_chars == 50_000


def test_workers_write_the_same_results_in_the_same_order(cli: Cli, tmp_path: Path) -> None:
    pack = copy_pack(tmp_path / "pack", lambda r: r["limits"].update(max_chars=LIMIT))
    inputs, expected = _write_matrix(tmp_path / "in")
    outputs = []
    for workers in ("1", "2"):
        out = tmp_path / f"out{workers}"
        result = cli("audit", *inputs, "--out", str(out), "--rubric", str(pack), "--workers",
                     workers, "--batch-size", "2", *RULES_ONLY)
        assert result.exit_code == 1, result.output
        outputs.append((out / "results.jsonl").read_bytes())
    assert outputs[0] == outputs[1]
    _assert_matches(_results(tmp_path / "out2")[0], expected)
