"""`auditor check`: one draft, linter lines, score and checklist."""

from __future__ import annotations

import sys

import click

from auditor.cli.common import (
    _auditor,
    _checklist,
    _fail,
    _models,
    _rules,
    _split_codes,
    model_options,
    rubric_option,
)
from auditor.cli.group import main
from auditor.io import InputError, read_inputs
from auditor.textsafety import escape_controls

SEVERITY_WORD = {"error": "error", "warning": "warning", "info": "info"}


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col


@main.command()
@click.argument("path")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option("--ignore", multiple=True, help="Check codes to skip (comma-separated).")
@model_options
@rubric_option
def check(
    path: str,
    fmt: str,
    ignore: tuple[str, ...],
    sentence_model: str | None,
    calibration: str | None,
    rubric: str | None,
) -> None:
    """Check one draft report (a .txt/.md file, or - for stdin) and print linter lines."""
    from auditor.render.text import iter_checklist

    rules = _rules(rubric)
    checklist = _checklist(rubric)
    try:
        records = list(read_inputs([path], stdin_format="text", limits=rules.rubric.limits))
    except InputError as exc:
        _fail(escape_controls(str(exc)))
    if len(records) != 1:
        _fail(
            escape_controls(
                f"{path}: expected one report, found {len(records)} (use `auditor audit`)"
            )
        )
    engine = _auditor(rules, _split_codes(ignore), _models(sentence_model, calibration))
    audit = next(engine.audit_stream(records))
    if audit.error:
        _fail(escape_controls(audit.error))
    if fmt == "json":
        click.echo(audit.model_dump_json(indent=2))
    else:
        text = audit.text or ""
        for f in sorted(audit.findings, key=lambda f: f.evidence[0].start if f.evidence else 0):
            line, col = _line_col(text, f.evidence[0].start) if f.evidence else (1, 1)
            click.echo(
                escape_controls(
                    f"{path}:{line}:{col}: {SEVERITY_WORD[f.severity]} {f.code} {f.message}"
                )
            )
        click.echo(f"\nscore {audit.score}/100  verdict {audit.verdict}")
        click.echo("\n".join(iter_checklist(audit, checklist, rules.rubric.checks)))
    sys.exit(1 if any(f.severity == "error" for f in audit.findings) else 0)
