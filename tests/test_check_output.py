"""`auditor check`'s output people act on: checks grouped with their spans and suggestion, names
not ids, --quiet, several files and globs, --fail-on, colour, JSON Lines."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from cli_support import RULES_ONLY, Cli

from auditor.config import RuleSet
from auditor.render.lint import named_message, wants_color
from auditor.schema import ReportAudit

LINTER = re.compile(
    r"(?P<path>.+):(?P<line>\d+):(?P<col>\d+): (error|warning|info) (?P<code>[A-Z]{2,5}\d{3}) .+"
)
#: Four judgemental words (one twice) on line 2, no error of another kind.
JUDGED = (
    "Call objective with Dr Ruiz was to agree a trial of Cardiova.\n"
    "You were lazy and unprofessional today, frankly lazy.\n"
)
#: Warnings only, verdict adequate.
ADEQUATE = (
    "Call objective with Dr Ruiz was to agree a trial of Cardiova in newly diagnosed "
    "patients. You opened with her own patient numbers and asked two open questions "
    "before showing any data. As a result she agreed to try it in two patients. By the "
    "next ride-along on 15 May, ask for a follow-up date before leaving the room."
)
#: Warnings only, verdict weak.
WEAK = "Good day overall, the rep seems motivated and has potential.\n"
#: An error-severity finding (a compliance red flag).
RISKY = (
    "Call objective: agree a trial.\nOffer Dr Silva tickets to the match if he prescribes more.\n"
)


def _write(folder: Path, **texts: str) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, text in texts.items():
        paths[name] = folder / name.replace("_", ".")
        paths[name].write_text(text, encoding="utf-8")
    return paths


def test_findings_of_a_check_are_one_entry_with_all_spans_and_the_suggestion(
    cli: Cli, tmp_path: Path, rules: RuleSet
) -> None:
    draft = _write(tmp_path, d_txt=JUDGED)["d_txt"]
    result = cli("check", str(draft), *RULES_ONLY)
    lines = result.stdout.splitlines()
    judged = [i for i, x in enumerate(lines) if LINTER.fullmatch(x) and " JUD001 " in x]
    assert len(judged) == 1, result.stdout
    at = judged[0]
    assert lines[at].startswith(f"{draft}:2:10: error JUD001 ")
    spans = lines[at + 1 : at + 5]
    assert spans == [
        '    2:10 "lazy"',
        '    2:19 "unprofessional"',
        '    2:41 "frankly"',
        '    2:49 "lazy"',
    ]
    assert lines[at + 5] == f"    suggestion: {rules.checks_by_code['JUD001'].suggestion}"
    # every check's entry ends with its suggestion, from the rubric
    for i, x in enumerate(lines):
        if m := LINTER.fullmatch(x):
            rest = lines[i + 1 :]
            end = next(j for j, y in enumerate(rest) if not y.startswith("    "))
            suggestion = rules.checks_by_code[m["code"]].suggestion
            assert rest[end - 1] == f"    suggestion: {suggestion}"
    codes = [LINTER.fullmatch(x)["code"] for x in lines if LINTER.fullmatch(x)]
    assert len(codes) == len(set(codes))


def test_messages_and_checklist_show_names_json_keeps_ids(
    cli: Cli, tmp_path: Path, rules: RuleSet
) -> None:
    broad = rules.checks_by_code["FOC001"].examples.flag[0]
    draft = _write(tmp_path, broad_txt=broad)["broad_txt"]
    text = cli("check", str(draft), *RULES_ONLY).stdout
    audit = ReportAudit.model_validate_json(
        cli("check", str(draft), "--format", "json", *RULES_ONLY).stdout
    )
    names = {c.id: c.name for c in rules.taxonomy.competencies}
    assert len(audit.focus_competencies) > 2
    (foc,) = [f for f in audit.findings if f.code == "FOC001"]
    assert all(c in foc.message for c in audit.focus_competencies)  # JSON: ids
    (line,) = [x for x in text.splitlines() if " FOC001 " in x]
    shown = ", ".join(names[c] for c in audit.focus_competencies)
    assert f"({shown})" in line
    assert f"  [ ] focus 1-2 ({shown})" in text.splitlines()
    assert not any(c in text for c in audit.focus_competencies)


def test_names_replace_only_the_list_the_template_filled() -> None:
    names = {"customer_discovery": "Customer discovery", "messaging": "Messaging"}
    template = 'Focus ({items}) in "{text}".'
    message = 'Focus (customer_discovery, messaging) in "customer_discovery".'
    assert named_message(message, template, names) == (
        'Focus (Customer discovery, Messaging) in "customer_discovery".'
    )
    assert named_message('Quoted: "messaging".', 'Quoted: "{text}".', names) == (
        'Quoted: "messaging".'
    )
    assert named_message("changed wording", template, names) == "changed wording"


def test_quiet_prints_only_linter_lines(cli: Cli, tmp_path: Path) -> None:
    draft = _write(tmp_path, d_txt=JUDGED)["d_txt"]
    full = cli("check", str(draft), *RULES_ONLY)
    quiet = cli("check", str(draft), "--quiet", *RULES_ONLY)
    assert quiet.exit_code == full.exit_code == 1
    lines = quiet.stdout.splitlines()
    assert lines and all(LINTER.fullmatch(x) for x in lines)
    assert lines == [x for x in full.stdout.splitlines() if LINTER.fullmatch(x)]


def test_several_files_and_a_glob_in_argument_order(cli: Cli, tmp_path: Path) -> None:
    paths = _write(tmp_path / "drafts", b_txt=WEAK, a_txt=ADEQUATE, c_md=JUDGED)
    first = _write(tmp_path, risky_txt=RISKY)["risky_txt"]
    pattern = str(tmp_path / "drafts" / "*.txt")  # quoted: expanded by auditor, not the shell
    result = cli("check", str(first), pattern, *RULES_ONLY)
    assert result.exit_code == 1, result.output
    order = [str(first), str(paths["a_txt"]), str(paths["b_txt"])]  # glob matches sorted
    lint = [LINTER.fullmatch(x) for x in result.stdout.splitlines()]
    seen = list(dict.fromkeys(m["path"] for m in lint if m))
    assert seen == order
    summaries = [x for x in result.stdout.splitlines() if ": score " in x]
    assert [s.split(": score ")[0] for s in summaries] == order
    assert str(paths["c_md"]) not in result.stdout


def test_a_missing_file_exits_2_after_the_others(cli: Cli, tmp_path: Path) -> None:
    paths = _write(tmp_path, a_txt=ADEQUATE, b_txt=WEAK)
    missing = tmp_path / "nope.txt"
    result = cli("check", str(paths["a_txt"]), str(missing), str(paths["b_txt"]), *RULES_ONLY)
    assert result.exit_code == 2
    assert result.stderr == f"auditor: {missing}: no such file or directory\n"
    out = result.stdout
    assert f"{paths['a_txt']}: score " in out and f"{paths['b_txt']}: score " in out
    nothing = cli("check", str(tmp_path / "none-*.txt"), *RULES_ONLY)
    assert nothing.exit_code == 2 and "no file matches" in nothing.stderr


@pytest.mark.parametrize(
    ("text", "fail_on", "code"),
    [
        (ADEQUATE, "error", 0),
        (ADEQUATE, "warning", 1),
        (ADEQUATE, "weak", 0),
        (WEAK, "error", 0),
        (WEAK, "warning", 1),
        (WEAK, "weak", 1),
        (RISKY, "error", 1),
        (RISKY, "warning", 1),
    ],
)
def test_fail_on(cli: Cli, tmp_path: Path, text: str, fail_on: str, code: int) -> None:
    draft = _write(tmp_path, d_txt=text)["d_txt"]
    result = cli("check", str(draft), "--fail-on", fail_on, "--quiet", *RULES_ONLY)
    assert result.exit_code == code, result.output
    default = cli("check", str(draft), "--quiet", *RULES_ONLY)
    assert default.exit_code == (1 if text is RISKY else 0)  # today's semantics


def test_colour_only_when_asked_or_on_a_terminal(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    draft = _write(tmp_path, d_txt=RISKY)["d_txt"]
    always = cli("check", str(draft), "--color", "always", *RULES_ONLY).stdout
    assert "\x1b[1;31merror\x1b[0m CMP001" in always and "verdict \x1b[1;31mweak" in always
    for args in (("--color", "never"), ()):  # piped: auto is off
        assert "\x1b" not in cli("check", str(draft), *args, *RULES_ONLY).stdout
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b" not in cli("check", str(draft), "--color", "auto", *RULES_ONLY).stdout
    assert "\x1b[" in cli("check", str(draft), "--color", "always", *RULES_ONLY).stdout


@pytest.mark.parametrize(
    ("choice", "tty", "no_color", "expected"),
    [
        ("auto", True, None, True),
        ("auto", True, "", True),  # NO_COLOR counts when set and not empty
        ("auto", True, "1", False),
        ("auto", False, None, False),
        ("always", False, "1", True),
        ("never", True, None, False),
    ],
)
def test_wants_color(choice: str, tty: bool, no_color: str | None, expected: bool) -> None:
    assert wants_color(choice, tty, no_color) is expected


def test_json_lines_for_several_files(cli: Cli, tmp_path: Path) -> None:
    paths = _write(tmp_path, b_txt=WEAK, a_txt=ADEQUATE)
    missing = str(tmp_path / "nope.txt")
    args = (str(paths["b_txt"]), missing, str(paths["a_txt"]))
    result = cli("check", *args, "--format", "json", *RULES_ONLY)
    assert result.exit_code == 2
    lines = result.stdout.splitlines()
    audits = [ReportAudit.model_validate(json.loads(x)) for x in lines]
    assert [a.id for a in audits] == ["b", missing, "a"]
    assert audits[1].error and audits[0].error is None and audits[2].verdict == "adequate"
    single = cli("check", str(paths["a_txt"]), "--format", "json", *RULES_ONLY).stdout
    assert single.startswith("{\n  ") and ReportAudit.model_validate_json(single) == audits[2]
    glob_one = cli("check", str(tmp_path / "a*.txt"), "--format", "json", *RULES_ONLY).stdout
    assert glob_one.count("\n") == 1  # a pattern gives JSON Lines even for one match


def test_stdin_among_files(cli: Cli, tmp_path: Path) -> None:
    draft = _write(tmp_path, a_txt=ADEQUATE)["a_txt"]
    result = cli("check", "-", str(draft), "--quiet", *RULES_ONLY, input=JUDGED)
    assert result.exit_code == 1
    paths = [LINTER.fullmatch(x)["path"] for x in result.stdout.splitlines()]
    assert paths[0] == "-" and paths[-1] == str(draft) and "-" in paths
