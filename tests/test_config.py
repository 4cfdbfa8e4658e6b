"""Rule pack validation and the `auditor rules` commands.

Each file in tests/fixtures/bad_rules/ describes one broken pack (the bundled rules/ with one
thing changed) and the fragments its error must name: the file, the key and the allowed values.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from cli_support import Cli, copy_pack

from auditor.checks import registered_types
from auditor.config import ConfigError, Reading, RuleSet, load_ruleset
from auditor.selftest import reading_examples
from auditor.token_patterns import token_pattern_errors

BAD_RULES = Path(__file__).parent / "fixtures" / "bad_rules"
CASES = sorted(BAD_RULES.glob("*.yaml"))


def _set(data: Any, path: list[Any], value: Any, append: bool) -> None:
    for key in path[:-1]:
        data = data[key]
    if append:
        data[path[-1]].append(value)
    else:
        data[path[-1]] = value


def broken_pack(case: Path, dest: Path) -> tuple[Path, list[str]]:
    """Build the broken pack a fixture describes; return its file and the expected fragments."""
    spec = yaml.safe_load(case.read_text(encoding="utf-8"))
    copy_pack(dest)
    target = dest / spec["file"]
    if spec.get("delete"):
        target.unlink()
    elif "text" in spec:
        target.write_text(spec["text"], encoding="utf-8")
    else:
        append = "append" in spec
        path, value = spec["append" if append else "set"]
        data = yaml.safe_load(target.read_text(encoding="utf-8"))
        _set(data, path, value, append)
        target.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return target, spec["expect"]


def test_every_failure_mode_has_a_fixture() -> None:
    assert {c.stem for c in CASES} >= {
        "unknown_severity",
        "extra_key",
        "bad_check_code",
        "unknown_check_type",
        "bad_check_params",
        "unknown_alignment_competency",
        "duplicate_check_code",
        "invalid_regex",
        "invalid_token_pattern",
        "missing_file",
        "invalid_yaml",
        "scoring_unknown_code",
        "empty_examples",
        "stats_out_of_range",
        "checklist_unknown_field",
    }


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_rules_validate_names_file_key_and_allowed_values(
    cli: Cli, tmp_path: Path, case: Path
) -> None:
    target, expect = broken_pack(case, tmp_path / "pack")
    result = cli("rules", "validate", "--rubric", str(tmp_path / "pack"))
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.startswith("auditor: invalid rule pack:\n")
    assert str(target) in result.stderr  # the full path of the broken file
    for fragment in expect:
        assert fragment in result.stderr, (fragment, result.stderr)
    assert "Traceback" not in result.stderr


def test_rules_validate_checks_stats_and_checklist_and_names_every_broken_file(
    cli: Cli, tmp_path: Path
) -> None:
    pack = copy_pack(tmp_path / "pack")
    stats = pack / "stats.yaml"
    stats.write_text(stats.read_text(encoding="utf-8") + "min_group_sise: 5\n", encoding="utf-8")
    checklist = pack / "checklist.yaml"
    checklist.write_text("items: []\n", encoding="utf-8")
    result = cli("rules", "validate", "--rubric", str(pack))
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert f"{stats}: min_group_sise: Extra inputs are not permitted" in result.stderr
    assert f"{checklist}: items: " in result.stderr
    assert "Traceback" not in result.stderr


def test_broken_pack_fails_at_load_not_at_use(tmp_path: Path) -> None:
    target, _ = broken_pack(BAD_RULES / "unknown_severity.yaml", tmp_path / "pack")
    with pytest.raises(ConfigError, match=r"checks\[0\]\.severity"):
        load_ruleset(target.parent)


def test_commands_refuse_a_broken_pack(cli: Cli, tmp_path: Path) -> None:
    broken_pack(BAD_RULES / "scoring_unknown_code.yaml", tmp_path / "pack")
    draft = tmp_path / "draft.txt"
    draft.write_text("You asked two open questions.", encoding="utf-8")
    for args in (
        ("check", str(draft)),
        ("audit", str(draft), "--out", str(tmp_path / "o")),
        ("rules", "list"),
    ):
        result = cli(*args, "--rubric", str(tmp_path / "pack"))
        assert result.exit_code == 2, (args, result.output)
        assert "scoring.weak_if_any: unknown id(s) XYZ999" in result.stderr
    assert not (tmp_path / "o").exists()


def test_rules_validate_accepts_the_bundled_pack(cli: Cli, rules: RuleSet) -> None:
    result = cli("rules", "validate")
    assert result.exit_code == 0, result.output
    assert (
        f"valid ({len(rules.rubric.checks)} checks, {len(rules.priority_ids)} priorities, "
        f"{len(rules.competency_ids)} competencies)"
    ) in result.stdout


def test_rules_list_shows_every_check_and_type(cli: Cli, rules: RuleSet) -> None:
    result = cli("rules", "list")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    for check in rules.rubric.checks:
        line = next(x for x in lines if x.startswith(check.code + " "))
        assert check.name in line and check.severity in line and line.endswith(check.type)
    for name in registered_types():
        assert f"{name} (" in result.stdout


def test_rules_explain(cli: Cli, rules: RuleSet) -> None:
    spec = rules.checks_by_code["CMP001"]
    result = cli("rules", "explain", "cmp001")  # codes are case-insensitive
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith(f"CMP001 {spec.name} ({spec.severity}, weight {spec.weight:g}")
    for text in (
        spec.message,
        spec.suggestion,
        spec.why,
        *spec.examples.flag,
        *spec.examples.pass_,
    ):
        assert text in out
    assert out.index("flags:") < out.index(spec.examples.flag[0]) < out.index("passes:")

    unknown = cli("rules", "explain", "NOPE001")
    assert unknown.exit_code == 2
    assert unknown.stderr.count("\n") == 1
    assert "unknown rule code 'NOPE001'" in unknown.stderr and "CMP001" in unknown.stderr


def test_rules_test_passes_on_the_bundled_pack(cli: Cli, rules: RuleSet) -> None:
    result = cli("rules", "test")
    assert result.exit_code == 0, result.output
    n = sum(len(c.examples.flag) + len(c.examples.pass_) for c in rules.rubric.checks)
    n += len(list(reading_examples(rules)))
    assert "ok   reading.praise must not find reinforcement: " in result.stdout
    assert sum(line.startswith("ok ") for line in result.stdout.splitlines()) == n
    assert result.stdout.rstrip().endswith("0 failing example(s)")


def test_rules_test_fails_when_an_example_does_not_hold(cli: Cli, tmp_path: Path) -> None:
    def swap(rubric: dict[str, Any]) -> None:
        star = next(c for c in rubric["checks"] if c["code"] == "STAR001")
        star["examples"]["flag"] = [star["examples"]["pass"][0]]  # a text that passes

    pack = copy_pack(tmp_path / "pack", swap)
    result = cli("rules", "test", "--rubric", str(pack))
    assert result.exit_code == 1, result.output
    failing = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
    assert len(failing) == 1 and failing[0].startswith("FAIL STAR001 must flag: ")
    assert result.stdout.rstrip().endswith("1 failing example(s)")


@pytest.mark.parametrize("command", ["validate", "test"])
def test_rules_positional_directory_is_a_deprecated_alias_of_rubric(
    cli: Cli, tmp_path: Path, command: str
) -> None:
    from auditor.config import DEFAULT_RULES_DIR

    pack = DEFAULT_RULES_DIR  # the bundled pack: the session's pipeline is already built

    new = cli("rules", command, "--rubric", str(pack))
    old = cli("rules", command, str(pack))
    assert new.exit_code == old.exit_code == 0, (new.output, old.output)
    assert new.stdout == old.stdout
    assert "deprecated" not in new.stderr
    assert "deprecated; use --rubric" in old.stderr
    both = cli("rules", command, "--rubric", str(pack), str(tmp_path))
    assert both.exit_code == 2 and "not both" in both.stderr


def test_loading_the_rule_pack_and_deriving_do_not_import_spacy() -> None:
    code = (
        "import sys; from auditor.config import load_ruleset; load_ruleset(); "
        "import auditor.nlp.derivation; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'spacy', 'thinc'}))"
    )
    env = {"PYTHONPATH": str(Path(__file__).resolve().parent.parent), "PATH": ""}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == "[]", out.stderr


@pytest.mark.parametrize(
    "pattern",
    [
        [{"LOWER": "call"}],
        [{"lower": "call", "OP": "{1,3}"}],
        [{"TAG": {"IN": ["VB", "VBP"]}}],
        [{"LEMMA": {"NOT_IN": ["be"]}, "IS_SENT_START": True}],
        [{"LENGTH": {">=": 3}}],
        [{"_": {"x": 1}}],
        [{"LOWER": {"FUZZY2": "clinic"}}],
        [{"ENT_IOB": "B"}],
        [],
        [{"LOWERR": "call"}],
        [{"LOWER": None}],
        [{"LOWER": 1}],
        [{"IS_PUNCT": "yes"}],
        [{"OP": "{x}"}],
        [{"OP": "++"}],
        [{"LENGTH": {"IN": ["a"]}}],
        [{"ENT_IOB": "X"}],
        [{"TAG": {"IN": "VB"}}],
        [{"LOWER": {"ANY": ["a"]}}],
    ],
)
def test_token_pattern_check_agrees_with_spacy(pattern: list[dict[str, Any]]) -> None:
    from spacy.schemas import validate_token_pattern

    assert bool(token_pattern_errors(pattern)) == bool(validate_token_pattern(pattern))


def test_a_pack_without_reading_yaml_reads_as_the_bundled_one(
    tmp_path: Path, rules: RuleSet
) -> None:
    pack = copy_pack(tmp_path / "pack")
    (pack / "reading.yaml").unlink()
    assert load_ruleset(pack).reading == Reading()
    no_examples = {"praise": {"examples"}, "exceptions": {"examples"}}
    assert Reading().model_dump(exclude=no_examples) == rules.reading.model_dump(
        exclude=no_examples
    )
