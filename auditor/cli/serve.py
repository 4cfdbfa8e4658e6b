"""`auditor serve`: the draft page and the HTTP API."""

from __future__ import annotations

import json
import os

import click

from auditor.cli.common import (
    _auditor,
    _check_models,
    _models,
    _rules,
    model_options,
    rubric_option,
)
from auditor.cli.group import main


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes, each with its own pipeline (about 350 MB each).",
)
@model_options
@rubric_option
def serve(
    host: str,
    port: int,
    workers: int,
    sentence_model: str | None,
    calibration: str | None,
    rubric: str | None,
) -> None:
    """Serve the draft page (GET /) and the HTTP API (POST /api/check; see docs/api.md)."""
    import uvicorn

    from auditor.api import SERVE_CONFIG_ENV, create_app, serve_workers

    rules = _rules(rubric)
    models = _models(sentence_model, calibration)
    url = f"auditor: open http://{host}:{port}/ (API: /openapi.json, docs/api.md)"
    if workers == 1:
        # spaCy and the models load once, before listening; same defaults as `auditor check`.
        app = create_app(engine=_auditor(rules, models=models))
        click.echo(url, err=True)
        uvicorn.run(app, host=host, port=port, log_level="info")
        return
    # Each worker process loads its own pipeline from this configuration (api.app_from_env),
    # checked here first so that a bad model fails once, with a clear message.
    _check_models(rules, (), models)
    skipped = calibration is None and models[1] is None  # off by default, or skipped above
    os.environ[SERVE_CONFIG_ENV] = json.dumps(
        {
            "rubric": rubric,
            "sentence_model": sentence_model,
            "calibration": "none" if skipped else calibration,
        }
    )
    click.echo(f"{url}; {workers} worker processes", err=True)
    serve_workers(host, port, workers)
