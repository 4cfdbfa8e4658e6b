"""`auditor regions`: consistency across regions, managers or periods."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import click

from auditor.cli.common import (
    _fail,
    _open_store,
    _rules,
    _stats_settings,
    dated_between,
    emit,
    input_options,
    output_options,
    rubric_option,
    saved_or_audited,
    window_options,
)
from auditor.cli.group import main
from auditor.config import RuleSet
from auditor.io import InputError
from auditor.schema import GroupBy, PeriodKind, ReportAudit
from auditor.textsafety import escape_controls


def _from_store(
    target: str, rules: RuleSet, since: date | None, until: date | None, changed: list[int]
) -> Iterator[ReportAudit]:
    """The store's latest audits with the reviewers' decisions; `changed[0]` counts the reports
    a reviewer changed."""
    with _open_store(target) as store:
        for audit in store.reviewed(rules, since, until):
            if audit.review is not None and audit.review.changed:
                changed[0] += 1
            yield audit


def _printable(target: str) -> str:
    """A store path, or its URL without the password."""
    from auditor.store.connect import shown

    return shown(target) if "://" in target else target


@main.command()
@click.argument("inputs", nargs=-1)
@click.option(
    "--store",
    "store_target",
    metavar="PATH_OR_URL",
    default=None,
    help="Read the latest audit of every report in an audit store, with reviewer decisions "
    "applied (docs/store.md), instead of INPUTS.",
)
@window_options
@click.option(
    "--by",
    type=click.Choice(["region", "manager", "rep", "period"]),
    default="region",
    show_default=True,
    help="What to group reports by.",
)
@click.option(
    "--period",
    type=click.Choice(["month", "quarter"]),
    default="quarter",
    show_default=True,
    help="Period length for trends (and for --by period).",
)
@output_options
@click.option(
    "--min-group-size",
    type=click.IntRange(1),
    default=None,
    help="Flag groups with fewer audited reports (default: stats.yaml, 20).",
)
@click.option(
    "--export",
    "export_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Also write the region, manager and rep tables to DIR as CSV and tables.xlsx.",
)
@click.option("--quiet", is_flag=True, help="No progress bar when auditing raw reports.")
@input_options
@rubric_option
def regions(
    inputs: tuple[str, ...],
    store_target: str | None,
    since: date | None,
    until: date | None,
    by: GroupBy,
    period: PeriodKind,
    fmt: str,
    out_file: str | None,
    min_group_size: int | None,
    export_dir: str | None,
    quiet: bool,
    rubric: str | None,
    **input_opts: Any,
) -> None:
    """Consistency across regions, managers or periods, from results.jsonl, raw reports or an
    audit store (--store)."""
    from auditor.io.exports import export_tables
    from auditor.render.dashboard import render_dashboard
    from auditor.render.leniency import leniency_lines
    from auditor.render.text import iter_text_report
    from auditor.stats import analyse_audits, leniency_of, tables

    rules = _rules(rubric)
    settings = _stats_settings(rubric)
    if min_group_size is not None:
        settings = settings.model_copy(update={"min_group_size": min_group_size})
    if bool(inputs) == bool(store_target):
        raise click.UsageError("give either INPUTS (results.jsonl or reports) or --store")
    changed = [0]
    audits: Iterable[ReportAudit]
    try:
        if store_target:
            audits = _from_store(store_target, rules, since, until, changed)
        else:
            audits = saved_or_audited(inputs, rules, rubric, quiet, **input_opts)
            if since or until:
                audits = dated_between(audits, since, until)
        analysis = analyse_audits(
            audits,
            rules,
            settings,
            by,
            period,
            settings.weakest_reports if fmt == "html" else 0,
        )
    except InputError as exc:
        _fail(escape_controls(str(exc)))
    source = _printable(store_target) if store_target else ", ".join(inputs)
    if not analysis.report.n_reports:
        _fail(escape_controls(f"no reports in {source}"))
    if store_target:
        note = f"{changed[0]} of {analysis.report.n_reports} reports changed by a reviewer"
        report = analysis.report.model_copy(update={"notes": [*analysis.report.notes, note]})
        analysis = dataclasses.replace(analysis, report=report)
    if fmt == "json":
        text = analysis.report.model_dump_json(indent=2)
    elif fmt == "html":
        text = render_dashboard(
            analysis.report,
            analysis.vocab,
            analysis.weakest,
            source=source,
            check_labels=settings.check_labels,
            leniency=leniency_of(analysis, settings),
        )
    else:
        text = "\n".join(
            [
                *iter_text_report(analysis.report, analysis.vocab),
                *leniency_lines(analysis.report.leniency),
            ]
        )
    if export_dir:
        try:
            written = export_tables(tables(analysis, settings), Path(export_dir))
        except OSError as exc:
            _fail(escape_controls(f"--export {export_dir}: {exc}"))
        click.echo(f"tables: {', '.join(str(p) for p in written)}", err=True)
    emit(text, fmt, out_file)
