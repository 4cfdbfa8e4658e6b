"""`auditor config`: the effective settings and where each comes from."""

from __future__ import annotations

import json

import click

from auditor.cli.group import main

_UNSET = {
    "rubric": "the bundled rules/",
    "sentence_model": "per models/defaults.json",
    "calibration": "per models/defaults.json",
    "preset": "none",
    "date_order": "none",
    "delimiter": "detected",
    "encoding": "detected",
    "sheet": "the first sheet",
    "out_dir": "none (audit needs --out)",
    "maps": "id, text, region, manager, rep, rep_level, date by their own names",
    "ignore": "none",
    "allow_origin": "none (same origin only)",
    "token_file": "$FCR_AUDITOR_TOKEN, else no token",
}


@main.command(name="config")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.pass_context
def config_cmd(ctx: click.Context, fmt: str) -> None:
    """Print the effective settings and where each one comes from."""
    from auditor.project import SERVE_KEYS, ProjectConfig

    project = ctx.obj
    given = project.options()
    declared = {
        p.name: p.default
        for name in ("audit", "check", "serve")
        for p in main.commands[name].params
    }
    rows = []
    settings = [
        (spec.alias or key, {"map": "maps"}.get(key, key))
        for key, spec in ProjectConfig.model_fields.items()
        if key != "serve"
    ] + [(f"serve.{key}", key) for key in SERVE_KEYS]
    for option, name in settings:
        if name in given:
            value, source = given[name], str(project.path)
        else:
            default = declared.get(name)
            plain = isinstance(default, str | int | float | bool) and default is not None
            value = default if plain else _UNSET.get(name, "none")
            source = "default"
        if isinstance(value, tuple):
            value = ", ".join(value)
        rows.append({"setting": option, "value": value, "source": source})
    if fmt == "json":
        click.echo(
            json.dumps(
                {"config_file": str(project.path) if project.path else None, "settings": rows},
                indent=2,
            )
        )
        return
    where = project.path or "none (auditor.toml or pyproject.toml [tool.auditor], from here up)"
    click.echo(f"config file: {where}")
    for row in rows:
        click.echo(f"  {row['setting']:<24}{str(row['value']):<40} {row['source']}")
    click.echo("command-line options win over these settings.")
