"""`auditor check`'s text output: linter lines grouped per check, with every span of the check
and its suggestion on indented continuation lines, then the score, verdict, compliance status, a
calibration's change of the verdict and the checklist.

One linter line per check code, at its first span: `PATH:LINE:COL: SEVERITY CODE message`.
Under it (not with `quiet`), when the check has more than one span, one line per span
(`    LINE:COL "quoted text"`), then `    suggestion: ...`. Competency and priority ids in
messages and in the checklist are shown by their taxonomy names; the JSON output keeps ids.
Colour (the severity and the verdict) is ANSI SGR, only when the caller asks for it; every piece
of report or path text is escaped before any colour code is added.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from string import Formatter

from auditor.config import Checklist, CheckSpec, RuleSet
from auditor.render.text import iter_checklist
from auditor.schema import ReportAudit
from auditor.textsafety import escape_controls

#: Wording of the continuation lines and the summary (messages come from rules/rubric.yaml).
INDENT = "    "
SUGGESTION = "suggestion: "
SCORE_LINE = "score {score}/100  verdict {verdict}"
COMPLIANCE_LINE = "compliance: {status}"
COMPLIANCE_RISK = " (a gate: the report is weak, its score at most {cap})"
CALIBRATED_LINE = "calibrated: {rubric} -> {calibrated} ({reason})"
#: A quoted span is cut to this many characters (an ellipsis marks the cut).
MAX_QUOTE = 60

#: ANSI SGR codes: severity and verdict words on a colour terminal.
_SGR = {
    "error": "1;31",
    "warning": "33",
    "info": "36",
    "weak": "1;31",
    "adequate": "33",
    "strong": "32",
    "risk": "1;31",
    "clear": "32",
}


def paint(word: str, color: bool) -> str:
    """`word` in its colour (severity or verdict) when `color`, else unchanged."""
    code = _SGR.get(word)
    return f"\x1b[{code}m{word}\x1b[0m" if color and code else word


def wants_color(choice: str, isatty: bool, no_color: str | None) -> bool:
    """`--color always|never`, or `auto`: on a terminal when NO_COLOR is unset or empty."""
    if choice != "auto":
        return choice == "always"
    return isatty and not no_color


def display_names(rules: RuleSet) -> dict[str, str]:
    """Taxonomy names of competency and priority ids."""
    tax = rules.taxonomy
    return {t.id: t.name for t in (*tax.priorities, *tax.competencies)}


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset of `text`."""
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col


def _quote(text: str) -> str:
    text = " ".join(text.split())
    if len(text) > MAX_QUOTE:
        text = text[: MAX_QUOTE - 1].rstrip() + "\u2026"
    return f'"{text}"'


def named_message(message: str, template: str, names: Mapping[str, str]) -> str:
    """`message` with the ids its template's `{items}` list became shown by their names.

    The message is matched against its template (rules/rubric.yaml), so only the list the check
    filled in is renamed, never a quoted piece of the report; a message that does not match is
    returned unchanged.
    """
    if "{items}" not in template:
        return message
    pattern, named = [], False
    try:
        for literal, name, _, _ in Formatter().parse(template):
            pattern.append(re.escape(literal))
            if name is not None:
                pattern.append("(?P<items>.*?)" if name == "items" and not named else ".*?")
                named = named or name == "items"
    except ValueError:
        return message
    m = re.fullmatch("".join(pattern), message, re.S)
    if m is None:
        return message
    items = ", ".join(names.get(x, x) for x in m["items"].split(", "))
    return message[: m.start("items")] + items + message[m.end("items") :]


@dataclass
class Span:
    """One evidence span of a check: its offset, position and text."""

    start: int
    line: int
    col: int
    text: str


@dataclass
class CheckGroup:
    """Every finding of one check code in a report: one message, all the spans."""

    code: str
    severity: str
    message: str
    suggestion: str
    spans: list[Span] = field(default_factory=list)

    @property
    def position(self) -> tuple[int, int]:
        """LINE, COL of the first span (1, 1 for a check without spans)."""
        return (self.spans[0].line, self.spans[0].col) if self.spans else (1, 1)


def group_findings(
    audit: ReportAudit, checks: Mapping[str, CheckSpec], names: Mapping[str, str]
) -> list[CheckGroup]:
    """The audit's findings grouped by check code, in text order of each check's first span.

    A group's message is its earliest finding's, with ids shown by their names; spans are in
    text order, identical spans once.
    """
    text = audit.text or ""
    first = sorted(audit.findings, key=lambda f: min((e.start for e in f.evidence), default=0))
    groups: dict[str, CheckGroup] = {}
    seen: set[tuple[str, int, int]] = set()
    for f in first:
        spec = checks.get(f.code)
        group = groups.get(f.code)
        if group is None:
            message = named_message(f.message, spec.message, names) if spec else f.message
            group = groups[f.code] = CheckGroup(f.code, f.severity, message, f.suggestion)
        for e in f.evidence:
            if (f.code, e.start, e.end) not in seen:
                seen.add((f.code, e.start, e.end))
                group.spans.append(Span(e.start, *line_col(text, e.start), e.text))
    for group in groups.values():
        group.spans.sort(key=lambda s: s.start)
    return sorted(groups.values(), key=lambda g: g.spans[0].start if g.spans else 0)


def iter_lint(
    label: str,
    audit: ReportAudit,
    rules: RuleSet,
    checklist: Checklist,
    *,
    quiet: bool = False,
    color: bool = False,
    named_summary: bool = False,
) -> Iterator[str]:
    """The lines `auditor check` prints for one audited report read from `label` (a path or -).

    `quiet`: the linter lines only. `named_summary`: the score line starts with `label: ` (when
    several files are checked in one run).
    """
    names = display_names(rules)
    where = escape_controls(label)
    for g in group_findings(audit, rules.checks_by_code, names):
        line, col = g.position
        yield (
            f"{where}:{line}:{col}: {paint(g.severity, color)} {g.code} "
            f"{escape_controls(g.message)}"
        )
        if quiet:
            continue
        if len(g.spans) > 1:
            for s in g.spans:
                yield f"{INDENT}{s.line}:{s.col} {escape_controls(_quote(s.text))}"
        yield f"{INDENT}{SUGGESTION}{escape_controls(g.suggestion)}"
    if quiet:
        return
    yield ""
    score = SCORE_LINE.format(score=audit.score, verdict=paint(audit.verdict or "", color))
    yield f"{where}: {score}" if named_summary else score
    gate = rules.rubric.scoring.compliance
    if audit.compliance and gate:
        status = COMPLIANCE_LINE.format(status=paint(audit.compliance, color))
        yield status + (
            COMPLIANCE_RISK.format(cap=gate.max_score) if audit.compliance == "risk" else ""
        )
    if change := audit.verdict_change:
        yield CALIBRATED_LINE.format(**change.model_dump())
    yield from iter_checklist(audit, checklist, rules.rubric.checks, names)
