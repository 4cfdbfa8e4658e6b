"""`auditor outcomes`: coaching in one period against a KPI's change to the next."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from auditor.cli.common import (
    _fail,
    _rules,
    _stats_settings,
    emit,
    input_options,
    model_options,
    output_options,
    rubric_option,
    saved_or_audited,
)
from auditor.cli.group import main
from auditor.io import InputError
from auditor.schema import PeriodKind
from auditor.textsafety import escape_controls


@main.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option(
    "--kpi",
    "kpi_file",
    required=True,
    type=click.Path(dir_okay=False),
    help="KPI per rep (or territory) and period: CSV/TSV, .xlsx or JSON Lines.",
)
@click.option(
    "--kpi-map",
    "kpi_maps",
    multiple=True,
    metavar="FIELD=COLUMN",
    help="KPI column for rep, territory, period or value (default: columns of those names; "
    "period also month, quarter, date; value also kpi). Repeatable.",
)
@click.option(
    "--kpi-name",
    default=None,
    help="The KPI's name in the output (default: its value column).",
)
@click.option(
    "--by",
    "unit",
    type=click.Choice(["rep", "territory"]),
    default="rep",
    show_default=True,
    help="The report metadata field and KPI column that join them.",
)
@click.option(
    "--period",
    type=click.Choice(["month", "quarter"]),
    default="month",
    show_default=True,
    help="Period length: coaching in one period, the KPI's change to the next.",
)
@output_options
@click.option("--quiet", is_flag=True, help="No progress bar when auditing raw reports.")
@input_options
@model_options
@rubric_option
def outcomes(
    inputs: tuple[str, ...],
    kpi_file: str,
    kpi_maps: tuple[str, ...],
    kpi_name: str | None,
    unit: str,
    period: PeriodKind,
    fmt: str,
    out_file: str | None,
    quiet: bool,
    sentence_model: str | None,
    calibration: str | None,
    focus_model: str | None,
    rubric: str | None,
    **input_opts: Any,
) -> None:
    """Association of coaching (results.jsonl or raw reports) with the next period's KPI change."""
    from auditor.io.kpi import parse_kpi_map, read_kpi
    from auditor.render.outcomes import iter_outcomes_text, render_outcomes_html
    from auditor.stats import vocabulary
    from auditor.stats.outcomes import analyse_outcomes, collect_coaching

    rules = _rules(rubric)
    settings = _stats_settings(rubric).outcomes
    assert settings is not None  # load_settings fills it from the bundled pack
    try:
        columns = parse_kpi_map(kpi_maps)
        kpi = read_kpi(Path(kpi_file), unit, columns, input_opts.get("date_order"))
        audits = saved_or_audited(
            inputs, rules, rubric, quiet, (sentence_model, calibration, focus_model), **input_opts
        )
        coaching = collect_coaching(audits, unit, period)
    except InputError as exc:
        _fail(escape_controls(str(exc)))
    if not (coaching.used or coaching.failed or coaching.no_unit or coaching.undated):
        _fail(escape_controls(f"no reports in {', '.join(inputs)}"))
    report = analyse_outcomes(
        coaching,
        kpi,
        settings,
        vocabulary(rules).competencies,
        unit,
        period,
        kpi_name or kpi.value_column,
    )
    if report.kpi_problems:
        click.echo(f"auditor: {len(report.kpi_problems)} KPI row(s) not used", err=True)
    if fmt == "json":
        text = report.model_dump_json(indent=2)
    elif fmt == "html":
        text = render_outcomes_html(report, source=", ".join(inputs))
    else:
        text = "\n".join(iter_outcomes_text(report))
    emit(text, fmt, out_file)
