"""The checklist `auditor check` prints under the score (rules/checklist.yaml)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from auditor.config.base import DEFAULT_RULES_DIR, StrictModel, load_file
from auditor.schema import NextObjective, Signals, StarStatus

#: Audit fields a checklist item can show: the yes/no ones, and the focus competencies (a count).
CHECKLIST_FIELDS = (
    "focus_competencies",
    *(
        f"{prefix}.{name}"
        for prefix, model in (
            ("star", StarStatus),
            ("next_objective", NextObjective),
            ("signals", Signals),
        )
        for name, info in model.model_fields.items()
        if info.annotation is bool
    ),
)


class ChecklistItem(StrictModel):
    """One line of the checklist: its label and the audit field that ticks it."""

    label: str = Field(min_length=1)
    field: str

    @field_validator("field")
    @classmethod
    def _known_field(cls, value: str) -> str:
        if value not in CHECKLIST_FIELDS:
            raise ValueError(f"unknown field {value!r}; allowed: {', '.join(CHECKLIST_FIELDS)}")
        return value


class Checklist(StrictModel):
    """The checklist `auditor check` prints under the score (rules/checklist.yaml)."""

    items: tuple[ChecklistItem, ...] = Field(min_length=1)


def load_checklist(directory: str | Path | None = None) -> Checklist:
    """Read checklist.yaml from a rule pack, falling back to the bundled one when it has none."""
    path = Path(directory or DEFAULT_RULES_DIR) / "checklist.yaml"
    if not path.is_file():
        path = DEFAULT_RULES_DIR / "checklist.yaml"
    return load_file(Checklist, path)
