"""The JSON bodies the HTTP API returns: audits with UTF-16 offsets and the active rubric.

Offsets: every evidence object carries `start`/`end` (Python str indices = Unicode code points,
as everywhere in the auditor) and `start_utf16`/`end_utf16` (UTF-16 code units, what JavaScript
string indices count). They differ after any character outside the Basic Multilingual Plane
(most emoji). See docs/api.md.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from auditor.checks.generic import count_range
from auditor.config import Checklist, RuleSet
from auditor.render.lint import display_names, named_message
from auditor.schema import Evidence, Finding, NextObjective, ReportAudit, Severity, Tag

#: Characters that take two UTF-16 code units (a surrogate pair) in JavaScript strings.
ASTRAL = re.compile("[\U00010000-\U0010ffff]")


class ApiEvidence(Evidence):
    """Evidence with UTF-16 offsets added for JavaScript clients."""

    start_utf16: int = Field(description="`start` counted in UTF-16 code units.")
    end_utf16: int = Field(description="`end` counted in UTF-16 code units.")


# pydantic lets a subclass narrow a field to a subtype (ApiEvidence is an Evidence); mypy sees
# list as invariant, hence the ignores on the narrowed fields below.
class ApiTag(Tag):
    """A taxonomy tag whose evidence carries UTF-16 offsets too."""

    evidence: list[ApiEvidence] = Field(default_factory=list)  # type: ignore[assignment]


class ApiFinding(Finding):
    """A finding whose evidence carries UTF-16 offsets too, and its message for people."""

    evidence: list[ApiEvidence] = Field(default_factory=list)  # type: ignore[assignment]
    display_message: str | None = Field(
        default=None,
        description="`message` with competency and priority ids shown by their taxonomy names "
        "(as `auditor check` prints it); `message` keeps the ids.",
    )


class ApiNextObjective(NextObjective):
    """The next-objective status whose evidence carries UTF-16 offsets too."""

    evidence: list[ApiEvidence] = Field(default_factory=list)  # type: ignore[assignment]


class CheckResponse(ReportAudit):
    """The ReportAudit of the draft, every evidence with code-point and UTF-16 offsets."""

    priorities: list[ApiTag] = Field(default_factory=list)  # type: ignore[assignment]
    competencies: list[ApiTag] = Field(default_factory=list)  # type: ignore[assignment]
    next_objective: ApiNextObjective | None = None
    findings: list[ApiFinding] = Field(default_factory=list)  # type: ignore[assignment]


class RubricExamples(BaseModel):
    """Texts the check must flag and texts it must pass."""

    model_config = ConfigDict(populate_by_name=True)

    flag: list[str]
    pass_: list[str] = Field(alias="pass")


class RubricCheck(BaseModel):
    """One active check as the rule pack configures it."""

    code: str
    name: str
    type: str
    severity: Severity
    weight: float
    message: str
    suggestion: str
    why: str
    examples: RubricExamples


class TaxonomyItem(BaseModel):
    """A strategic priority or a competency."""

    id: str
    name: str
    definition: str


class Limits(BaseModel):
    """Request limits of this server."""

    max_chars: int = Field(description="Longest text accepted, in code points.")
    max_body_bytes: int = Field(description="Largest request body accepted, in bytes.")


class ChecklistEntry(BaseModel):
    """One checklist line (rules/checklist.yaml): its label and the audit field that ticks it."""

    label: str
    field: str = Field(
        description="A yes/no field of the audit (e.g. star.situation), or focus_competencies: "
        "ticked when their number is within `focus_range`."
    )


class CountRange(BaseModel):
    """How many items of a signal no check flags: `min` to `max` (None: no upper limit)."""

    min: int
    max: int | None


class RubricResponse(BaseModel):
    """The active rule pack: checks, taxonomy, active priorities, verdict thresholds, limits,
    the checklist and the focus range per rep level."""

    source: str = Field(description="The rule pack's name (its directory name, never a path).")
    source_sha256: str = Field(description="sha256 over the rule pack's files.")
    checks: list[RubricCheck]
    priorities: list[TaxonomyItem]
    competencies: list[TaxonomyItem]
    active_priorities: list[str]
    thresholds: dict[str, float]
    limits: Limits
    checklist: list[ChecklistEntry] = Field(default_factory=list)
    focus_range: dict[str, CountRange] = Field(
        default_factory=dict,
        description="Acceptable number of focus competencies by rep level: `default` (no "
        "level given), `new`, `experienced`.",
    )


# -- offsets ----------------------------------------------------------------------------------
class Utf16Offsets:
    """Converts code-point offsets of one text to UTF-16 code-unit offsets."""

    def __init__(self, text: str) -> None:
        self._astral = [m.start() for m in ASTRAL.finditer(text)]

    def __call__(self, offset: int) -> int:
        """UTF-16 offset of code-point `offset`: one extra unit per astral character before it."""
        return offset + bisect_left(self._astral, offset)


def _with_utf16(node: Any, utf16: Utf16Offsets) -> Any:
    """Add start_utf16/end_utf16 to every evidence dict in a dumped ReportAudit (in place)."""
    if isinstance(node, dict):
        if {"start", "end", "text"} <= node.keys():
            node["start_utf16"] = utf16(node["start"])
            node["end_utf16"] = utf16(node["end"])
        for value in node.values():
            _with_utf16(value, utf16)
    elif isinstance(node, list):
        for value in node:
            _with_utf16(value, utf16)
    return node


def to_response(audit: ReportAudit, rules: RuleSet | None = None) -> dict[str, Any]:
    """The ReportAudit as JSON-ready data with UTF-16 offsets on every evidence.

    With `rules`, every finding also carries `display_message` (ids shown by their names).
    """
    body = _with_utf16(audit.model_dump(mode="json"), Utf16Offsets(audit.text or ""))
    if rules is not None:
        names, specs = display_names(rules), rules.checks_by_code
        for f in body.get("findings") or []:
            spec = specs.get(f["code"])
            f["display_message"] = (
                named_message(f["message"], spec.message, names) if spec else f["message"]
            )
    return body


# -- rubric ------------------------------------------------------------------------------------
#: Keys of `RubricResponse.focus_range`: no rep level given, then each level.
REP_LEVELS = {"default": None, "new": "new", "experienced": "experienced"}


def rubric_response(
    rules: RuleSet,
    checks: list[str],
    max_body_bytes: int,
    name: str,
    sha256: str,
    checklist: Checklist | None = None,
) -> RubricResponse:
    """The active checks (those the engine runs), the taxonomy and the checklist of a rule pack.

    The pack is named by `name` and `sha256`: a response never shows the server's paths.
    """
    active = set(checks)
    specs = [c for c in rules.rubric.checks if c.code in active]

    def items(entries: Any) -> list[TaxonomyItem]:
        return [TaxonomyItem(id=e.id, name=e.name, definition=e.definition) for e in entries]

    return RubricResponse(
        source=name,
        source_sha256=sha256,
        checks=[
            RubricCheck(
                **c.model_dump(include=set(RubricCheck.model_fields) - {"examples"}),
                examples=RubricExamples(flag=list(c.examples.flag), pass_=list(c.examples.pass_)),
            )
            for c in rules.rubric.checks
            if c.code in active
        ],
        priorities=items(rules.taxonomy.priorities),
        competencies=items(rules.taxonomy.competencies),
        active_priorities=list(rules.strategy.active_priorities),
        thresholds=rules.rubric.scoring.thresholds.model_dump(),
        limits=Limits(max_chars=rules.rubric.limits.max_chars, max_body_bytes=max_body_bytes),
        checklist=[
            ChecklistEntry(label=i.label, field=i.field)
            for i in (checklist.items if checklist else ())
        ],
        focus_range={
            key: CountRange(min=low, max=high)
            for key, level in REP_LEVELS.items()
            for low, high in [count_range(specs, "focus_competencies", level)]
        },
    )
