"""`auditor rules`: inspect, validate and test a rule pack."""

from __future__ import annotations

import sys

import click

from auditor.cli.common import _auditor, _fail, _rules, rubric_option
from auditor.cli.group import main
from auditor.config import ConfigError, load_checklist, load_ruleset, load_settings


@main.group()
def rules() -> None:
    """Inspect, validate and test a rule pack."""


def _pack_dir(rubric: str | None, directory: str | None) -> str | None:
    """The pack `--rubric` names; a positional DIRECTORY (deprecated) still works, with a note."""
    if directory is None:
        return rubric
    if rubric is not None and rubric != directory:
        _fail(f"give the rule pack once: --rubric {rubric} or {directory}, not both")
    click.echo(
        f"note: the positional rule pack directory is deprecated; use --rubric {directory}",
        err=True,
    )
    return directory


@rules.command(name="validate")
@click.argument("directory", required=False, metavar="[DIRECTORY]")
@rubric_option
def rules_validate(directory: str | None, rubric: str | None) -> None:
    """Validate a rule pack (--rubric; default: the bundled one), its stats.yaml and
    checklist.yaml too. A positional DIRECTORY is a deprecated alias of --rubric."""
    from auditor.checks import build_checks

    directory = _pack_dir(rubric, directory)
    problems: list[str] = []
    try:
        pack = load_ruleset(directory)
        checks = build_checks(pack)
    except ConfigError as exc:
        problems.append(str(exc))
    for load in (load_settings, load_checklist):  # optional files: the bundled one stands in
        try:
            load(directory)
        except ConfigError as exc:
            problems.append(str(exc))
    if problems:
        _fail("invalid rule pack:\n" + "\n".join(problems))
    click.echo(
        f"{pack.source}: valid ({len(checks)} checks, "
        f"{len(pack.priority_ids)} priorities, {len(pack.competency_ids)} competencies)"
    )
    _warn_default_calibration(
        [c.spec.code for c in checks if c.spec.code in pack.verdict_checks and not c.type.history]
    )


def _warn_default_calibration(codes: list[str]) -> None:
    """Warn (stderr) when the enabled default calibration never saw some of the pack's checks."""
    from auditor.learned.artefacts import ModelLoadError, default_model_dir
    from auditor.learned.calibration import Calibration

    path = default_model_dir("calibration")
    if path is None:
        return
    try:
        Calibration.load(path).warn_unseen(codes)
    except ModelLoadError as exc:
        click.echo(f"auditor: warning: the default calibration is not usable: {exc}", err=True)


@rules.command(name="list")
@rubric_option
def rules_list(rubric: str | None) -> None:
    """List the checks of the rule pack and the check types available."""
    from auditor.checks import registered_types

    pack = _rules(rubric)
    for c in pack.rubric.checks:
        click.echo(f"{c.code}  {c.name:<30} {c.severity:<8} w={c.weight:<5g} {c.type}")
    click.echo(
        "\ncheck types: " + ", ".join(f"{t.name} ({t.doc})" for t in registered_types().values())
    )


@rules.command(name="explain")
@click.argument("code")
@rubric_option
def rules_explain(code: str, rubric: str | None) -> None:
    """Explain one check: what it flags, why, and its examples."""
    pack = _rules(rubric)
    spec = pack.checks_by_code.get(code.upper())
    if spec is None:
        _fail(f"unknown rule code {code!r}; known: {', '.join(pack.checks_by_code)}")
    click.echo(
        f"{spec.code} {spec.name} ({spec.severity}, weight {spec.weight:g}, type {spec.type})"
    )
    click.echo(f"\nmessage:    {spec.message}\nsuggestion: {spec.suggestion}")
    click.echo(f"why:        {spec.why}")
    click.echo("\nflags:")
    for ex in spec.examples.flag:
        click.echo(f"  - {ex}")
    click.echo("passes:")
    for ex in spec.examples.pass_:
        click.echo(f"  - {ex}")


@rules.command(name="test")
@click.argument("directory", required=False, metavar="[DIRECTORY]")
@rubric_option
def rules_test(directory: str | None, rubric: str | None) -> None:
    """Run every check's own examples (of --rubric, default the bundled pack) through the full
    pipeline. A positional DIRECTORY is a deprecated alias of --rubric."""
    from auditor.selftest import run_examples

    pack = _rules(_pack_dir(rubric, directory))
    engine = _auditor(pack)
    failures = 0
    for outcome in run_examples(engine):
        failures += not outcome.ok
        status = "ok  " if outcome.ok else "FAIL"
        click.echo(f"{status} {outcome.code} must {outcome.expect}: {outcome.text[:70]}")
    click.echo(f"\n{failures} failing example(s)")
    sys.exit(1 if failures else 0)
