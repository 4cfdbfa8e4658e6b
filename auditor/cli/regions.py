"""`auditor regions`: consistency across regions, managers or periods."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from auditor.atomic import write_text_atomic
from auditor.cli.common import (
    _fail,
    _rules,
    _stats_settings,
    input_options,
    rubric_option,
    saved_or_audited,
)
from auditor.cli.group import main
from auditor.io import InputError
from auditor.schema import GroupBy, PeriodKind
from auditor.textsafety import escape_controls


@main.command()
@click.argument("inputs", nargs=-1, required=True)
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
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "html"]),
    default="text",
    show_default=True,
)
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write the output to FILE instead of stdout.",
)
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
    """Consistency across regions, managers or periods, from results.jsonl or raw reports."""
    from auditor.io.exports import export_tables
    from auditor.render.dashboard import render_dashboard
    from auditor.render.leniency import leniency_lines
    from auditor.render.text import iter_text_report
    from auditor.stats import analyse_audits, tables

    rules = _rules(rubric)
    settings = _stats_settings(rubric)
    if min_group_size is not None:
        settings = settings.model_copy(update={"min_group_size": min_group_size})
    try:
        analysis = analyse_audits(
            saved_or_audited(inputs, rules, rubric, quiet, **input_opts),
            rules,
            settings,
            by,
            period,
            settings.weakest_reports if fmt == "html" else 0,
        )
    except InputError as exc:
        _fail(escape_controls(str(exc)))
    if not analysis.report.n_reports:
        _fail(escape_controls(f"no reports in {', '.join(inputs)}"))
    if fmt == "json":
        text = analysis.report.model_dump_json(indent=2)
    elif fmt == "html":
        text = render_dashboard(
            analysis.report,
            analysis.vocab,
            analysis.weakest,
            source=", ".join(inputs),
            check_labels=settings.check_labels,
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
    if out_file:
        write_text_atomic(Path(out_file), text)
        click.echo(f"{fmt}: {out_file}", err=True)
    else:
        click.echo(text)
