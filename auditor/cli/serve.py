"""`auditor serve`: the draft page and the HTTP API."""

from __future__ import annotations

import json
import os

import click

from auditor.access import TOKEN_ENV, AccessConfigError, AccessPolicy, read_token
from auditor.cli.common import (
    F,
    _auditor,
    _check_models,
    _models,
    _open_store,
    _rules,
    model_options,
    rubric_option,
)
from auditor.cli.group import main
from auditor.project import ServeLimits

_LIMITS = ServeLimits()


def limit_options(fn: F) -> F:
    """Add the connection limits (--header-timeout ... --max-header-bytes; docs/api.md)."""
    seconds = click.FloatRange(min=0, min_open=True)
    options = [
        click.option(
            "--header-timeout",
            type=seconds,
            default=_LIMITS.header_timeout,
            show_default=True,
            help="Seconds from a request's first byte to the end of its header.",
        ),
        click.option(
            "--body-timeout",
            type=seconds,
            default=_LIMITS.body_timeout,
            show_default=True,
            help="Seconds from the end of a request header to the end of its body.",
        ),
        click.option(
            "--idle-timeout",
            type=seconds,
            default=_LIMITS.idle_timeout,
            show_default=True,
            help="Seconds a new or kept-alive connection may wait before sending a request.",
        ),
        click.option(
            "--max-connections",
            type=click.IntRange(min=1),
            default=_LIMITS.max_connections,
            show_default=True,
            help="Open connections per server process; more are refused with 503.",
        ),
        click.option(
            "--max-header-bytes",
            type=click.IntRange(min=1024),
            default=_LIMITS.max_header_bytes,
            show_default=True,
            help="Longest request line and header; a longer one gets 400.",
        ),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


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
@click.option(
    "--allow-origin",
    multiple=True,
    metavar="URL",
    help="An origin (https://crm.example.com) whose pages may call the API, e.g. through "
    "/embed.js. Repeatable. Other sites' requests get 403.",
)
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False),
    help=f"File whose first line is the API token every /api/ request must send "
    f"(Authorization: Bearer). Default: ${TOKEN_ENV}, or no token.",
)
@click.option(
    "--store",
    "store_target",
    metavar="PATH_OR_URL",
    default=None,
    help="An audit store: serve the reviewer decision routes /api/reviews (docs/store.md). "
    "Needs an API token.",
)
@limit_options
@model_options
@rubric_option
def serve(
    host: str,
    port: int,
    workers: int,
    allow_origin: tuple[str, ...],
    token_file: str | None,
    store_target: str | None,
    sentence_model: str | None,
    calibration: str | None,
    focus_model: str | None,
    rubric: str | None,
    **limit_values: float,
) -> None:
    """Serve the draft page (GET /), the HTTP API (POST /api/check) and /embed.js (docs/api.md)."""
    from auditor.api import SERVE_CONFIG_ENV, create_app, serve_workers
    from auditor.serving import serve as serve_app

    limits = ServeLimits(**limit_values)  # type: ignore[arg-type]  # click checked the types
    try:
        access = AccessPolicy.build(allow_origin, read_token(token_file))
    except AccessConfigError as exc:
        raise click.UsageError(str(exc)) from None
    if store_target and access.token is None:
        # Decisions change how reports score: they are never open to anyone who can connect.
        raise click.UsageError(
            f"--store needs an API token: --token-file FILE or ${TOKEN_ENV} (docs/store.md)"
        )
    store = _open_store(store_target) if store_target else None

    rules = _rules(rubric)
    models = _models(sentence_model, calibration, focus_model)
    url = f"auditor: open http://{host}:{port}/ (API: /openapi.json, docs/api.md)"
    if workers == 1:
        # spaCy and the models load once, before listening; same defaults as `auditor check`.
        app = create_app(engine=_auditor(rules, models=models), access=access, store=store)
        click.echo(url, err=True)
        serve_app(app, host, port, limits)
        return
    # Each worker process loads its own pipeline from this configuration (api.app_from_env),
    # checked here first so that a bad model fails once, with a clear message.
    _check_models(rules, (), models)
    if store is not None:
        store.close()  # opened (and migrated) once here; each worker opens its own
    skipped = calibration is None and models[1] is None  # off by default, or skipped above
    os.environ[SERVE_CONFIG_ENV] = json.dumps(
        {
            "rubric": rubric,
            "sentence_model": sentence_model,
            "calibration": "none" if skipped else calibration,
            "focus_model": focus_model,
            # The token itself stays out of the environment: each worker reads the file
            # (or inherits $FCR_AUDITOR_TOKEN).
            "allow_origin": list(access.origins),
            "token_file": token_file,
            "store": store_target,
        }
    )
    click.echo(f"{url}; {workers} worker processes", err=True)
    serve_workers(host, port, workers, limits)
