"""Read a rule pack directory into one validated RuleSet, with the checks across its files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditor.config.base import DEFAULT_RULES_DIR, ConfigError, load_file
from auditor.config.language import LanguageSettings
from auditor.config.ratings import load_ratings
from auditor.config.rules import Lexicon, Reading, Rubric, RuleSet, Sections, Strategy, Taxonomy


def _check_unknown(path: Path, key: str, values: Any, allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise ConfigError(
            f"{path}: {key}: unknown id(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}"
        )


def _cross_check(root: Path, rules: RuleSet, lexicon_paths: dict[str, Path]) -> None:
    """Ids referenced across files must exist."""
    strategy = root / "strategy.yaml"
    _check_unknown(
        strategy, "active_priorities", rules.strategy.active_priorities, rules.priority_ids
    )
    _check_unknown(strategy, "alignment", rules.strategy.alignment, rules.priority_ids)
    for prio, comps in rules.strategy.alignment.items():
        _check_unknown(strategy, f"alignment.{prio}", comps, rules.competency_ids)
    tax = root / "taxonomy.yaml"
    for kind, ids in (("priorities", rules.priority_ids), ("competencies", rules.competency_ids)):
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ConfigError(f"{tax}: {kind}: duplicate id(s) {', '.join(dupes)}")
    rubric = root / "rubric.yaml"
    codes = tuple(c.code for c in rules.rubric.checks)
    dupes = sorted({c for c in codes if codes.count(c) > 1})
    if dupes:
        raise ConfigError(f"{rubric}: checks: duplicate code(s) {', '.join(dupes)}")
    scoring = rules.rubric.scoring
    refs = {
        "scoring.strong_requires": scoring.strong_requires,
        "scoring.weak_if_any": scoring.weak_if_any,
        "scoring.compliance.check": (scoring.compliance.check,) if scoring.compliance else (),
    }
    for n, rule in enumerate(scoring.weak_if_count):
        refs[f"scoring.weak_if_count[{n}]"] = rule.checks + rule.and_failed
    for key, values in refs.items():
        _check_unknown(rubric, key, values, codes)
    if scoring.thresholds.adequate > scoring.thresholds.strong:
        raise ConfigError(f"{rubric}: scoring.thresholds: adequate must not exceed strong")
    for label, lexicon in rules.lexicons.items():
        masked = lexicon.not_evidence_for
        for key, ids, allowed in (
            ("priorities", masked.priorities, rules.priority_ids),
            ("competencies", masked.competencies, rules.competency_ids),
        ):
            _check_unknown(lexicon_paths[label], f"not_evidence_for.{key}", ids, allowed)
    for needed in ("judgmental", "compliance_risk", "metric"):
        if needed not in rules.lexicons:
            raise ConfigError(f"{root / 'lexicons'}: no lexicon with label {needed!r}")


def load_ruleset(directory: str | Path | None = None) -> RuleSet:
    """Read and validate the rule pack in `directory` (default: the bundled rules/)."""
    root = Path(directory) if directory else DEFAULT_RULES_DIR
    if not root.is_dir():
        raise ConfigError(f"{root}: rule pack directory not found")
    parts: dict[str, Any] = {}
    for key, model in (
        ("taxonomy", Taxonomy),
        ("sections", Sections),
        ("strategy", Strategy),
        ("rubric", Rubric),
    ):
        path = root / f"{key}.yaml"
        parts[key] = load_file(model, path)
    lexicons: dict[str, Lexicon] = {}
    lexicon_paths: dict[str, Path] = {}
    lex_dir = root / "lexicons"
    for path in sorted(lex_dir.glob("*.yaml")) if lex_dir.is_dir() else ():
        lexicon = load_file(Lexicon, path)
        if lexicon.label in lexicons:
            raise ConfigError(f"{path}: label: {lexicon.label!r} is defined by another lexicon")
        lexicons[lexicon.label] = lexicon
        lexicon_paths[lexicon.label] = path
    reading = root / "reading.yaml"
    if reading.is_file():  # optional: without it, the defaults in `Reading`
        parts["reading"] = load_file(Reading, reading)
    language = root / "language.yaml"
    if language.is_file():  # optional: without it, an English pack (`LanguageSettings`)
        parts["language"] = load_file(LanguageSettings, language)
    parts["ratings"] = load_ratings(root)
    rules = RuleSet(source=str(root), lexicons=lexicons, **parts)
    _cross_check(root, rules, lexicon_paths)
    return rules
