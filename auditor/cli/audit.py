"""`auditor audit`: a batch into results.jsonl, results.csv and dashboard.html."""

from __future__ import annotations

import dataclasses
import errno
import functools
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any, NoReturn

import click

from auditor.cli.common import (
    _auditor,
    _check_models,
    _fail,
    _models,
    _open_store,
    _progress,
    _rules,
    _split_codes,
    _stats_settings,
    _table_options,
    input_options,
    model_options,
    rubric_option,
)
from auditor.cli.group import main
from auditor.config import ConfigError, RuleSet
from auditor.io import AtomicResults, InputError, check_inputs, read_inputs
from auditor.io.counting import count_records
from auditor.io.results import PARTIAL
from auditor.textsafety import escape_controls


def _parallel(rules: RuleSet, ignore: tuple[str, ...], models: tuple, workers: int):
    """`audit_stream` over worker processes; what would fail in them is checked here first."""
    from auditor.parallel import audit_parallel

    _check_models(rules, ignore, models)
    return functools.partial(
        audit_parallel,
        workers=workers,
        rules=rules,
        ignore=ignore,
        sentence_model=models[0],
        calibration=models[1],
        focus_model=models[2],
    )


def _dask(
    rules: RuleSet, ignore: tuple[str, ...], models: tuple, workers: int, scheduler: str | None
):
    """`audit_stream` on a Dask cluster: a local one of `workers` processes, or `scheduler`'s."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        _fail("--engine dask needs Dask: pip install 'fcr-auditor[dask]'")
    from auditor.dask_engine import audit_dask

    _check_models(rules, ignore, models)
    return functools.partial(
        audit_dask,
        workers=workers,
        scheduler=scheduler,
        rules=rules,
        ignore=ignore,
        sentence_model=models[0],
        calibration=models[1],
        focus_model=models[2],
    )


def _run_failed(exc: BaseException, out: AtomicResults | None) -> NoReturn:
    """Exit 3: one line on what failed (a traceback too with AUDITOR_DEBUG=1)."""
    from auditor.batch import failure

    if os.environ.get("AUDITOR_DEBUG") == "1":
        traceback.print_exception(exc)
    click.echo(f"auditor: audit failed: {failure(exc, out)}", err=True)
    sys.exit(3)


def _open_results(
    out_dir: Path,
    inputs: tuple[str, ...],
    rules: RuleSet,
    models: tuple,
    options: dict[str, Any],
    resume: bool,
) -> AtomicResults:
    """The results writer, fresh or resuming an interrupted run (exit 2 when it cannot)."""
    from auditor.batch import open_results
    from auditor.io.results import ResumeError

    try:
        out = open_results(out_dir, inputs, rules, models, options, resume)
    except ResumeError as exc:
        _fail(str(exc))
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise
        _fail(f"{out_dir}: cannot write the results there ({exc.strerror})")
    if out.discarded:
        click.echo(
            f"auditor: starting afresh: the {out.discarded} results of an interrupted run "
            f"in {out.partial} are discarded (--resume would continue it)",
            err=True,
        )
    if out.done:
        click.echo(f"auditor: resuming after the {out.done} results in {out.partial}", err=True)
    return out


@main.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    required=True,
    help="Directory for results.jsonl and results.csv.",
)
@input_options
@click.option(
    "--stdin-format",
    type=click.Choice(["auto", "jsonl", "csv", "text"]),
    default="auto",
    show_default=True,
)
@click.option("--batch-size", default=32, show_default=True, type=click.IntRange(1, 1024))
@click.option("--ignore", multiple=True, help="Check codes to skip (comma-separated).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes, each with its own pipeline (about 350 MB each).",
)
@click.option(
    "--resume",
    is_flag=True,
    help=f"Continue an interrupted run from DIR/{PARTIAL} (same inputs and options).",
)
@click.option(
    "--engine",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="Run on this machine, or on a Dask cluster (docs/batch.md).",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    default=None,
    help="With --engine dask: a running cluster's scheduler, e.g. tcp://host:8786 "
    "(default: a local cluster of --workers processes).",
)
@click.option(
    "--store",
    "store_target",
    metavar="PATH_OR_URL",
    default=None,
    help="Also keep the audits in an audit store: a SQLite file or postgresql://... "
    "(docs/store.md). A rerun stores nothing new.",
)
@model_options
@rubric_option
def audit(
    inputs: tuple[str, ...],
    out_dir: str,
    stdin_format: str,
    batch_size: int,
    ignore: tuple[str, ...],
    quiet: bool,
    workers: int,
    resume: bool,
    engine: str,
    scheduler: str | None,
    store_target: str | None,
    sentence_model: str | None,
    calibration: str | None,
    focus_model: str | None,
    rubric: str | None,
    **input_opts: Any,
) -> None:
    """Audit a batch: CSV/TSV, .xlsx, .parquet, JSON Lines, .txt/.md, directories, or - (stdin)."""
    rules = _rules(rubric)
    table = _table_options(rubric, **input_opts)
    try:
        check_inputs(inputs)
    except InputError as exc:
        _fail(escape_controls(str(exc)))
    if scheduler and engine != "dask":
        _fail("--scheduler needs --engine dask")
    models = _models(sentence_model, calibration, focus_model)
    codes = _split_codes(ignore)
    if engine == "dask":
        stream = _dask(rules, codes, models, workers, scheduler)
    elif workers == 1:
        stream = _auditor(rules, codes, models).audit_stream
    else:
        stream = _parallel(rules, codes, models, workers)
    options = {
        "ignore": sorted(codes),
        "table": dataclasses.asdict(table),
        "stdin_format": stdin_format,
    }
    from auditor.batch import audit_config, audit_into, follow_through_pass, write_dashboard
    from auditor.store import StoreWriter

    store = _open_store(store_target) if store_target else None
    writer = StoreWriter(store, audit_config(rules, models, codes)) if store else None
    try:
        finish = follow_through_pass(rules, codes, models[1], store.history if store else None)
    except ConfigError as exc:
        if store is not None:
            store.close()
        _fail(f"invalid rule pack:\n{exc}")
    out: AtomicResults | None = None
    try:
        out = _open_results(Path(out_dir), inputs, rules, models, options, resume)
        start = time.perf_counter()
        total = None if quiet else count_records(inputs, table)
        progress = functools.partial(_progress, quiet=quiet, total=total, initial=out.done)
        tally = audit_into(
            out,
            stream,
            read_inputs(inputs, table, stdin_format, rules.rubric.limits),
            batch_size,
            progress,
            finish=finish,
            store=writer,
        )
        dashboard = write_dashboard(Path(out_dir), rules, _stats_settings(rubric))
    except InputError as exc:
        if out is not None:
            out.abort()
        _fail(escape_controls(str(exc)))
    except KeyboardInterrupt:
        if out is not None:
            out.close()
        click.echo(
            "auditor: interrupted; rerun the same command with --resume to continue", err=True
        )
        sys.exit(130)
    except Exception as exc:
        if out is not None:
            out.close()
        _run_failed(exc, out)
    finally:
        if store is not None:
            store.close()
    click.echo(tally.text(time.perf_counter() - start))
    click.echo(f"results: {Path(out_dir) / 'results.jsonl'}, {Path(out_dir) / 'results.csv'}")
    click.echo(f"dashboard: {dashboard}")
    if store is not None and writer is not None:
        click.echo(f"store: {store.where}: {writer.tally.text()}")
    sys.exit(1 if tally.counts["error"] else 0)
