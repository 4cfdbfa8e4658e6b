"""The checklist under `auditor check`'s score: items from rules/checklist.yaml, and the focus
range from the rubric's occurrence checks on focus_competencies for the report's rep level."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from cli_support import RULES_ONLY, Cli, copy_pack

from auditor.config import ConfigError, load_checklist

# The rubric's FOC001 example: three focus competencies (planning, questioning, objections).
BROAD = (
    "Lots to work on after today. Planning: you had no written objective for two of the "
    "calls. Questions: you asked Dr Ross only closed questions. Objections: when she "
    "raised cost you went straight to the copay card.\n"
)


def focus_line(cli: Cli, tmp_path: Path, rep_level: str | None, *args: str) -> str:
    """The checklist's focus line for BROAD written by a rep of `rep_level`."""
    draft = tmp_path / "draft.txt"
    front = f"---\nrep_level: {rep_level}\n---\n" if rep_level else ""
    draft.write_text(front + BROAD, encoding="utf-8")
    result = cli("check", str(draft), *RULES_ONLY, *args)
    assert result.exit_code == 0, result.output
    return next(x for x in result.stdout.splitlines() if x[6:].startswith("focus "))


@pytest.mark.parametrize(
    ("rep_level", "expected"),
    [
        (None, "  [ ] focus 1-2 (Call planning, Customer discovery, Objection handling)"),
        ("experienced", "  [ ] focus 1-2 (Call planning, Customer discovery, Objection handling)"),
        ("New", "  [x] focus 1-3 (Call planning, Customer discovery, Objection handling)"),
    ],
)
def test_focus_range_follows_the_rubric_for_the_rep_level(
    cli: Cli, tmp_path: Path, rep_level: str | None, expected: str
) -> None:
    assert focus_line(cli, tmp_path, rep_level) == expected


def test_checklist_items_and_range_come_from_the_rule_pack(cli: Cli, tmp_path: Path) -> None:
    def edit(rubric: dict) -> None:
        for check in rubric["checks"]:
            if check["code"] == "FOC001":
                check["params"] = {"signal": "focus_competencies", "max": 4}

    pack = copy_pack(tmp_path / "pack", edit)
    (pack / "checklist.yaml").write_text(
        yaml.safe_dump(
            {
                "items": [
                    {"label": "breadth", "field": "focus_competencies"},
                    {"label": "objective", "field": "next_objective.present"},
                ]
            }
        ),
        encoding="utf-8",
    )
    draft = tmp_path / "draft.txt"
    draft.write_text(BROAD, encoding="utf-8")
    result = cli("check", str(draft), *RULES_ONLY, "--rubric", str(pack))
    assert result.stdout.splitlines()[-2:] == [
        "  [x] breadth 1-4 (Call planning, Customer discovery, Objection handling)",
        "  [ ] objective",
    ]


def test_checklist_fields_are_validated(tmp_path: Path) -> None:
    (tmp_path / "checklist.yaml").write_text(
        "items:\n  - {label: tone, field: signals.tone}\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError) as err:
        load_checklist(tmp_path)
    assert "checklist.yaml" in str(err.value) and "items[0].field" in str(err.value)
    assert "signals.dialogue" in str(err.value)  # the allowed fields are listed


def test_a_pack_without_a_checklist_uses_the_bundled_one(tmp_path: Path) -> None:
    assert load_checklist(tmp_path) == load_checklist()
