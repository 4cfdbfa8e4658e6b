"""`auditor check`: drafts (files, globs or - for stdin), linter lines, score and checklist."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import click

from auditor.cli.common import (
    _auditor,
    _checklist,
    _models,
    _rules,
    _split_codes,
    model_options,
    rubric_option,
)
from auditor.cli.group import main
from auditor.config import Limits
from auditor.io import InputError, Record, expand_globs, read_inputs
from auditor.schema import ReportAudit
from auditor.scoring import FAIL_ON, FailOn, fails
from auditor.textsafety import escape_controls


def _read_one(path: str, limits: Limits) -> Record | str:
    """The one report `path` holds, or why it cannot be checked."""
    try:
        records = list(read_inputs([path], stdin_format="text", limits=limits))
    except InputError as exc:
        return str(exc)
    if len(records) != 1:
        return f"{path}: expected one report, found {len(records)} (use `auditor audit`)"
    return records[0]


def _error_line(path: str, message: str) -> str:
    """`auditor: PATH: message`, the path named once."""
    name = "<stdin>" if path == "-" else path
    named = message if message.startswith(name) else f"{name}: {message}"
    return escape_controls(f"auditor: {named}")


@main.command()
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option("--ignore", multiple=True, help="Check codes to skip (comma-separated).")
@click.option(
    "--quiet", "-q", is_flag=True, help="Only the linter lines (no suggestions, score, checklist)."
)
@click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour the severities: auto = on a terminal unless NO_COLOR is set.",
)
@click.option(
    "--fail-on",
    type=click.Choice(FAIL_ON),
    default="error",
    show_default=True,
    help="Exit 1 on an error-severity finding, on a warning or error, or on a weak verdict.",
)
@model_options
@rubric_option
def check(
    paths: tuple[str, ...],
    fmt: str,
    ignore: tuple[str, ...],
    quiet: bool,
    color: str,
    fail_on: FailOn,
    sentence_model: str | None,
    calibration: str | None,
    focus_model: str | None,
    rubric: str | None,
) -> None:
    """Check draft reports (.txt/.md files, glob patterns, or - for stdin): linter lines, each
    check's spans and suggestion, score, verdict and checklist. Several files, or a pattern, in
    JSON give JSON Lines (one audit per file, in argument order).

    Exit 0 when no file fails the --fail-on gate, 1 when one does, 2 when a file could not be
    checked (the others still are) or for bad usage.
    """
    from auditor.render.lint import iter_lint, wants_color

    rules = _rules(rubric)
    checklist = _checklist(rubric)
    inputs = [
        (path, err or _read_one(path, rules.rubric.limits)) for path, err in expand_globs(paths)
    ]
    several = len(paths) > 1 or [path for path, _ in inputs] != list(paths)
    records = [x for _, x in inputs if not isinstance(x, str)]
    audits: Iterator[ReportAudit] = iter(())
    if records:
        engine = _auditor(
            rules, _split_codes(ignore), _models(sentence_model, calibration, focus_model)
        )
        audits = engine.audit_stream(records)
    paint = wants_color(color, sys.stdout.isatty(), os.environ.get("NO_COLOR"))
    unreadable = failed = shown = False
    for path, item in inputs:
        audit = None if isinstance(item, str) else next(audits)
        problem = item if audit is None else audit.error
        if problem is not None or audit is None:
            unreadable = True
            click.echo(_error_line(path, str(problem)), err=True)
            if fmt == "json" and several:
                click.echo(ReportAudit(id=path, error=problem).model_dump_json())
            continue
        failed = failed or fails(audit, fail_on)
        if fmt == "json":
            click.echo(audit.model_dump_json(indent=None if several else 2))
            continue
        if shown and not quiet:
            click.echo("")
        for line in iter_lint(
            path, audit, rules, checklist, quiet=quiet, color=paint, named_summary=several
        ):
            click.echo(line, color=paint)
        shown = True
    sys.exit(2 if unreadable else 1 if failed else 0)
