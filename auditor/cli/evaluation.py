"""`auditor eval`: audits of a labelled file against its gold labels."""

from __future__ import annotations

import json
from pathlib import Path

import click

from auditor.cli.common import _auditor, _fail, _models, _rules, model_options, rubric_option
from auditor.cli.group import main
from auditor.io import read_inputs


@main.command(name="eval")
@click.argument("labelled", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option("--diffs", is_flag=True, help="Also list each report's disagreements (text).")
@click.option(
    "--ablation",
    is_flag=True,
    help="Also measure rules, model, hybrid and calibrated (docs/models.md).",
)
@model_options
@rubric_option
def eval_(
    labelled: str,
    fmt: str,
    diffs: bool,
    ablation: bool,
    sentence_model: str | None,
    calibration: str | None,
    focus_model: str | None,
    rubric: str | None,
) -> None:
    """Compare audits of a labelled JSON Lines file with its gold labels."""
    from auditor.evaluate import (
        AblationError,
        LabelError,
        ablation_metrics,
        evaluate,
        iter_ablation_table,
        iter_text_table,
        read_labels,
    )

    rules = _rules(rubric)
    try:
        gold = read_labels(Path(labelled))
    except LabelError as exc:
        _fail(str(exc))
    models = _models(sentence_model, calibration, focus_model)
    engine = _auditor(rules, models=models)
    ev = evaluate(gold, engine.audit_stream(read_inputs([labelled])))
    result = ev.result()
    if ablation:
        try:
            result["ablation"] = ablation_metrics(
                engine, gold, list(read_inputs([labelled])), *models
            )
        except AblationError as exc:
            _fail(str(exc))
    if fmt == "json":
        click.echo(json.dumps(result, indent=2))
        return
    for line in iter_text_table(result):
        click.echo(line)
    if ablation:
        for line in iter_ablation_table(result["ablation"]):
            click.echo(line)
    if diffs:
        for rep in ev.per_report:
            if rep["diffs"]:
                click.echo(f"{rep['id']}: " + "; ".join(rep["diffs"]))
