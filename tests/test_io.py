"""Bad input through `auditor audit` and auditor.io: every record comes out once, in order.

A failed record keeps its place in results.jsonl with a clear `error`; results.csv has the same
rows; the exit code is 1 when some record failed, 0 when none did, and 2 (one line on stderr)
for arguments that cannot be used at all. Results are written atomically.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_support import RULES_ONLY, Cli, copy_pack, small_pack

from auditor.config import load_ruleset
from auditor.io import AtomicResults, TableOptions, read_csv, read_jsonl, read_stdin, read_text_file
from auditor.schema import ReportAudit

GOOD = (
    "Call objective with Dr Lee was to agree a trial of Cardiova in new patients. You asked "
    "two open questions about her newly diagnosed patients. As a result she agreed to try it "
    "in two patients. By the next ride-along on 15 May, ask for a follow-up date before "
    "leaving."
)
GOOD_2 = (
    "Visit to the Riverside clinic pharmacy team. You opened with the dosing card and "
    "checked what the nurses find hard. Next time ask the pharmacist for one change."
)
LIMIT = 1000  # max_chars of the copied pack: GOOD texts fit, LONG does not
LONG = "The rep asked questions. " * 60
# A YAML alias bomb: 9**6 strings if expanded (kept small in case the guard ever fails).
BOMB = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 6)
)


@pytest.fixture
def lock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Path], None]]:
    """`lock(path)` makes a file or directory unreadable.

    With chmod 000, except as root, who reads such files anyway: there reading is made to fail
    as the system would (PermissionError from Path.open and os.scandir).
    """
    locked: list[Path] = []
    real_open, real_scandir = Path.open, os.scandir

    def denied(path: object) -> PermissionError:
        return PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))

    def fake_open(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self in locked:
            raise denied(self)
        return real_open(self, *args, **kwargs)

    def fake_scandir(path: Any = ".") -> Any:
        if Path(path) in locked:
            raise denied(path)
        return real_scandir(path)

    root = os.geteuid() == 0
    if root:
        monkeypatch.setattr(Path, "open", fake_open)
        monkeypatch.setattr(os, "scandir", fake_scandir)

    def lock_path(path: Path) -> None:
        locked.append(path)
        if not root:
            path.chmod(0)

    yield lock_path
    for path in locked:
        path.chmod(0o700)


def _line(obj: object) -> bytes:
    return json.dumps(obj).encode() + b"\n"


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth):
        value = {"k": value}
    return value


def _results(out: Path) -> tuple[list[ReportAudit], list[dict[str, str]]]:
    with (out / "results.jsonl").open(encoding="utf-8", newline="\n") as fh:
        lines = list(fh)  # lines end at \n only (str.splitlines would split at U+0085 too)
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
def _write_matrix(
    root: Path, lock: Callable[[Path], None]
) -> tuple[list[str], list[tuple[str, str | None]]]:
    """Input files with every kind of bad record, and the expected (id, error) in output order."""
    root.mkdir()
    (root / "batch.jsonl").write_bytes(
        b"".join(
            [
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
                _line(
                    {"id": "j-surrogate", "text": "Visit \ud800 " + GOOD}
                ),  # json.dumps: "\ud800"
                _line({"id": "j-bad\ud800id", "text": GOOD}),
                _line({"id": "j-meta-surrogate", "text": GOOD, "region": "EMEA\udcff"}),
                _line({"id": "j-deep", "text": GOOD, "extra": _nested(300)}),
                b'{"id": "j-deeper", "text": "x", "m": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n",
                _line({"id": "j-zero-width", "text": " \u200b\u200c\n\u200d\u2060\ufeff "}),
                _line({"id": "j-wide", "text": GOOD, "extra": [{"k": i} for i in range(1_500)]}),
            ]
        )
    )
    (root / "crm.csv").write_bytes(
        b"id,comments,region,manager\r\n"
        b'c-1,"Observations:\nYou asked two open questions.\n\nNext steps:\n'
        b'Ask for a follow-up date by 15 May.",EMEA,m-1\r\n'
        b"c-2,only two columns\r\n"
        b'c-3,"   ",EMEA,m-1\r\n'
        b'c-4,"caf\xe9",EMEA,m-1\r\n'
        b"c-5," + GOOD.replace(",", "").encode() + b", extra column,EMEA,m-2\r\n"
        b"j-ok," + GOOD_2.replace(",", "").encode() + b",EMEA,m-2\r\n"
    )
    (root / "note.md").write_text(
        f"---\nid: md-1\nregion: US-West\nrep_level: experienced\ndate: 2025-03-01\n---\n{GOOD}\n",
        encoding="utf-8",
    )
    (root / "plain.txt").write_text(GOOD_2, encoding="utf-8")
    (root / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (root / "latin1.txt").write_bytes("Réunion à l'hôpital. ".encode("latin-1"))
    (root / "fm-list.md").write_text(f"---\n- a\n- b\n---\n{GOOD}\n", encoding="utf-8")
    (root / "fm-keys.md").write_text(f"---\n1: one\n---\n{GOOD}\n", encoding="utf-8")
    (root / "fm-bomb.md").write_text(f"---\n{BOMB}---\n{GOOD}\n", encoding="utf-8")
    (root / "fm-long.md").write_text(f"---\nnote: {'x' * 10_001}\n---\n{GOOD}\n", encoding="utf-8")
    (root / "locked.jsonl").write_bytes(_line({"id": "l-1", "text": GOOD}))
    os.mkfifo(root / "pipe.jsonl")  # reading it would block for ever
    folder = root / "folder"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text(GOOD, encoding="utf-8")
    (folder / "b.md").write_text(GOOD_2, encoding="utf-8")
    (folder / "c.jsonl").write_bytes(_line({"id": "d-1", "text": GOOD}) + b"{oops\n")
    (folder / "d.csv").write_text(f"id,text\nd-2,{GOOD_2.replace(',', '')}\n", encoding="utf-8")
    (folder / "notes.bin").write_bytes(b"\x00\x01")  # not a report format: an error record
    (folder / ".DS_Store").write_bytes(b"\x00\x01")  # hidden: skipped
    (folder / "locked").mkdir()
    (folder / "locked" / "f.txt").write_text(GOOD, encoding="utf-8")
    os.mkfifo(folder / "pipe.txt")
    (folder / "sub" / "e.txt").write_text("", encoding="utf-8")
    lock(root / "locked.jsonl")
    lock(folder / "locked")
    inputs = [
        str(root / n)
        for n in (
            "batch.jsonl",
            "crm.csv",
            "note.md",
            "plain.txt",
            "binary.txt",
            "latin1.txt",
            "fm-list.md",
            "fm-keys.md",
            "fm-bomb.md",
            "fm-long.md",
            "locked.jsonl",
            "pipe.jsonl",
            "folder",
        )
    ]
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
        ("j-surrogate", "invalid Unicode in the text: lone surrogate \\ud800 at character 6"),
        ("j-bad\\ud800id", "invalid Unicode in the id: lone surrogate \\ud800"),
        ("j-meta-surrogate", "invalid Unicode in metadata field 'region'"),
        ("j-deep", "metadata nested more than 20 levels deep"),
        ("*batch.jsonl:17", "JSON nested too deeply to read"),
        ("j-zero-width", "empty report"),
        ("j-wide", "metadata holds more than 2000 keys and items"),
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
        ("fm-list.md", "front matter must be a mapping"),
        ("fm-keys.md", "front matter keys must be text; found 1"),
        ("fm-bomb.md", "anchors and aliases are not allowed"),
        ("fm-long.md", "front matter too long: 10007 characters"),
        ("locked.jsonl", "locked.jsonl: cannot read: Permission denied"),
        ("pipe.jsonl", "pipe.jsonl: not a regular file"),
        ("a", None),
        ("b", None),
        ("d-1", None),
        ("*c.jsonl:2", "malformed JSON"),
        ("d-2", None),
        ("locked", "locked: cannot read directory: Permission denied"),
        ("notes.bin", "notes.bin: unsupported file type .bin"),
        ("pipe.txt", "pipe.txt: not a regular file"),
        ("sub/e", "empty report"),
    ]
    return inputs, expected


def test_bad_input_matrix_keeps_every_record_in_order(
    cli: Cli, tmp_path: Path, lock: Callable[[Path], None]
) -> None:
    pack = copy_pack(tmp_path / "pack", lambda r: r["limits"].update(max_chars=LIMIT))
    inputs, expected = _write_matrix(tmp_path / "in", lock)
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
    # Failures grouped by kind, most frequent first, with the first ids.
    assert "\n  empty report: 5 (j-empty, j-space, j-zero-width, …)\n" in result.stdout
    assert re.search(r"^  malformed JSON: 2 \(.*batch.jsonl:7, .*c.jsonl:2\)$", result.stdout, re.M)
    assert "auditing" in result.stderr  # the progress bar goes to stderr
    assert "crm.csv is not UTF-8; reading it as Windows-1252" in result.stderr
    assert re.search(r"folder: hidden entries skipped: \.DS_Store$", result.stderr, re.M)
    _no_temp_files(out)

    by_id = {a.id: a for a in audits if a.ok}
    assert by_id["j-ok"].metadata == {"region": "EMEA-DACH", "rep_level": "new"}
    assert by_id["j-ok"].text == GOOD
    # The CSV text column is `comments`: its quoted newlines survive, and it is not metadata.
    assert by_id["c-1"].text.startswith("Observations:\nYou asked")
    assert by_id["c-1"].metadata == {"region": "EMEA", "manager": "m-1"}
    assert by_id["c-4"].text == "café"
    # Front matter: id from it, the rest kept as metadata (dates as ISO strings), body only.
    assert by_id["md-1"].metadata == {
        "region": "US-West",
        "rep_level": "experienced",
        "date": "2025-03-01",
    }
    assert by_id["md-1"].text.strip() == GOOD
    assert rows[[a.id for a in audits].index("md-1")]["date"] == "2025-03-01"


def test_stdin_jsonl_replaces_previous_results_atomically(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "results.jsonl").write_text("stale\n", encoding="utf-8")
    data = _line({"id": "s-1", "text": GOOD, "manager": "m-9"}) + _line(
        {"id": "s-2", "text": "Visite à l'hôpital 🏥 avec Dr Müller. " + GOOD_2}
    )
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
    result = cli(
        "audit",
        "-",
        "--out",
        str(tmp_path),
        "--quiet",
        *RULES_ONLY,
        input=GOOD + "\n\nNext steps:\n- ask for commitment\n",
    )
    assert result.exit_code == 0, result.output
    audits, rows = _results(tmp_path)
    _assert_matches(audits, [("stdin", None)])
    assert audits[0].text.startswith(GOOD)
    assert len(rows) == 1


def test_custom_csv_columns(cli: Cli, tmp_path: Path) -> None:
    src = tmp_path / "export.csv"
    src.write_text(
        f"report_id,body,region,channel\nx-1,{GOOD.replace(',', '')},APAC,f2f\nx-2,,APAC,remote\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = cli(
        "audit",
        str(src),
        "--out",
        str(out),
        "--quiet",
        "--id-col",
        "report_id",
        "--text-col",
        "body",
        *RULES_ONLY,
    )
    assert result.exit_code == 1, result.output
    audits, rows = _results(out)
    _assert_matches(audits, [("x-1", None), ("x-2", "empty report")])
    # Columns other than id and text are metadata, whatever their names.
    assert audits[0].metadata == {"region": "APAC", "channel": "f2f"}
    assert rows[0]["region"] == "APAC"


# -- unusable arguments: exit 2, one line, previous results untouched ------------------------
def _one_line_error(result, *fragments: str) -> None:
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
    _one_line_error(
        cli("audit", str(good), str(missing), "--out", str(tmp_path / "o1")),
        str(missing),
        "no such file or directory",
    )
    _one_line_error(
        cli(
            "audit",
            str(good),
            "--out",
            str(tmp_path / "o2"),
            "--ignore",
            "STAR001,XYZ999",
            *RULES_ONLY,
        ),
        "unknown rule code(s) XYZ999",
        "STAR001",
    )
    assert not (tmp_path / "o1").exists() and not (tmp_path / "o2").exists()


def test_csv_without_id_or_text_column_exits_2_and_keeps_old_results(
    cli: Cli, tmp_path: Path
) -> None:
    good = tmp_path / "good.jsonl"
    good.write_bytes(_line({"id": "g-1", "text": GOOD}))
    bad = tmp_path / "bad.csv"
    bad.write_text("ref,notes\n1,hello\n", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "results.jsonl").write_text("previous\n", encoding="utf-8")
    result = cli("audit", str(good), str(bad), "--out", str(out), "--quiet", *RULES_ONLY)
    _one_line_error(
        result,
        "bad.csv",
        "no column for id ('id') and text",
        "found ref, notes",
        "--map FIELD=COLUMN",
    )
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
    jsonl = list(
        read_jsonl(io.BytesIO(b'{"id": 7, "text": 5}\n{"id": "a", "text": "x"}\n'), "in.jsonl")
    )
    assert [r.id for r in jsonl] == ["7", "a"]
    assert jsonl[0].error == "in.jsonl:1: field 'text' must be a string"
    rows = list(
        read_csv(io.BytesIO(b'id,text,comments\n1,,fallback\n2,"a,b",\n'), "in.csv", TableOptions())
    )
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


def test_workers_write_the_same_results_in_the_same_order(
    cli: Cli, tmp_path: Path, lock: Callable[[Path], None]
) -> None:
    # A small pack: each worker process builds its own pipeline (cli_support.small_pack).
    pack = small_pack(tmp_path / "pack", lambda r: r["limits"].update(max_chars=LIMIT))
    inputs, expected = _write_matrix(tmp_path / "in", lock)
    outputs = []
    for workers in ("1", "2"):
        out = tmp_path / f"out{workers}"
        result = cli(
            "audit",
            *inputs,
            "--out",
            str(out),
            "--rubric",
            str(pack),
            "--workers",
            workers,
            "--batch-size",
            "2",
            *RULES_ONLY,
        )
        assert result.exit_code == 1, result.output
        outputs.append((out / "results.jsonl").read_bytes())
    assert outputs[0] == outputs[1]
    _assert_matches(_results(tmp_path / "out2")[0], expected)


# -- output safety ---------------------------------------------------------------------------
def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(cli: Cli, tmp_path: Path) -> None:
    formulas = [
        '=HYPERLINK("http://x","y")',
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1)",
        "\tx",
        "\rx",
    ]
    ids = ["=1", "+2", "-3", "@4", "5", "6"]
    src = tmp_path / "in.jsonl"
    src.write_bytes(
        b"".join(
            _line({"id": i, "text": GOOD, "region": f, "manager": "m-1"})
            for i, f in zip(ids, formulas, strict=True)
        )
        + _line({"id": "=7", "text": ""})
    )
    out = tmp_path / "out"
    result = cli("audit", str(src), "--out", str(out), "--quiet", *RULES_ONLY)
    assert result.exit_code == 1, result.output
    audits, rows = _results(out)
    assert [a.id for a in audits] == [*ids, "=7"]  # results.jsonl keeps the values
    assert [a.metadata["region"] for a in audits[:-1]] == formulas
    assert [r["id"] for r in rows] == ["'=1", "'+2", "'-3", "'@4", "5", "6", "'=7"]
    assert [r["region"] for r in rows[:-1]] == ["'" + f for f in formulas]
    assert rows[0]["manager"] == "m-1" and rows[0]["score"].isdigit()
    assert rows[-1]["error"].startswith("empty report")


def test_check_terminal_output_escapes_control_characters(cli: Cli, tmp_path: Path) -> None:
    src = tmp_path / "evil\x1b[2J\u202e.txt"
    src.write_text("Good call. He was fine.\n", encoding="utf-8")  # findings name the file
    result = cli("check", str(src), *RULES_ONLY)
    assert "evil\\x1b[2J\\u202e.txt:1:1: " in result.stdout
    assert "\x1b" not in result.output and "\u202e" not in result.output
    two = tmp_path / "\x1b[31mred.jsonl"
    two.write_bytes(_line({"id": "x", "text": GOOD}) * 2)
    _one_line_error(cli("check", str(two), *RULES_ONLY), "\\x1b[31mred.jsonl: expected one")


@pytest.mark.parametrize(
    ("front", "message"),
    [
        ("- a\n- b\n", "front matter must be a mapping (key: value lines), not a list"),
        ("1: one\n", "front matter keys must be text; found 1"),
        (BOMB, "anchors and aliases are not allowed"),
    ],
)
def test_check_stdin_with_bad_front_matter_exits_2(cli: Cli, front: str, message: str) -> None:
    result = cli("check", "-", *RULES_ONLY, input=f"---\n{front}---\n{GOOD}\n")
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("auditor: <stdin>: ") and message in result.stderr
