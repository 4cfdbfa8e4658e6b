"""The `auditor` command group: project configuration as option defaults, logging."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import click

from auditor.cli.common import _fail
from auditor.config import ConfigError


def _defaults_for(group: click.Group, options: dict[str, Any]) -> dict[str, Any]:
    """click's default_map: each (sub)command gets the settings it has an option for."""
    out: dict[str, Any] = {}
    for name, cmd in group.commands.items():
        if isinstance(cmd, click.Group):
            out[name] = _defaults_for(cmd, options)
        else:
            params = {p.name for p in cmd.params}
            out[name] = {k: v for k, v in options.items() if k in params}
    return out


@click.group()
@click.version_option(package_name="fcr-auditor")
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="Project configuration (default: the nearest auditor.toml or "
    "pyproject.toml [tool.auditor] from here upwards).",
)
@click.pass_context
def main(ctx: click.Context, config_file: str | None) -> None:
    """Audit field coaching reports against a "what good looks like" rubric."""
    from auditor.project import load_project

    try:
        project = load_project(Path(config_file) if config_file else None)
    except ConfigError as exc:
        _fail(f"invalid configuration: {exc}")
    ctx.obj = project
    ctx.default_map = _defaults_for(main, project.options())
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("auditor: %(message)s"))
    for name in ("auditor.io", "auditor.learned"):
        named = logging.getLogger(name)
        named.handlers[:] = [handler]
        named.propagate = False
