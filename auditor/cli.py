"""The `auditor` command: a thin adapter that parses arguments, calls the engine and prints.

Exit codes: 0 success; 1 findings of error severity (check) or records that failed (audit) or
failing examples (rules test); 2 unusable arguments, input or rule pack (also `audit --resume`
when there is nothing to resume or the inputs, rule pack, models or options changed); 3 the run
itself failed (audit: an unexpected error, out of disk space, worker processes unusable), with
one line on stderr and the results so far kept for `audit --resume` (a traceback too with
AUDITOR_DEBUG=1); 130 interrupted (Ctrl-C; `audit --resume` continues).
"""

from __future__ import annotations

import dataclasses
import errno
import functools
import itertools
import json
import logging
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from auditor.atomic import write_text_atomic
from auditor.config import ConfigError, RuleSet, load_ruleset
from auditor.io import AtomicResults, InputError, TableOptions, check_inputs, read_inputs
from auditor.io.counting import count_records
from auditor.io.results import PARTIAL
from auditor.io.summary import RunTally
from auditor.schema import ReportAudit
from auditor.textsafety import escape_controls

F = TypeVar("F", bound=Callable[..., Any])
SEVERITY_WORD = {"error": "error", "warning": "warning", "info": "info"}


def _fail(message: str) -> None:
    """Exit 2 with a one-line message."""
    click.echo(f"auditor: {message}", err=True)
    sys.exit(2)


def rubric_option(fn: F) -> F:
    """Add `--rubric DIR` to a command."""
    return click.option("--rubric", "rubric", type=click.Path(), default=None,
                        help="Rule pack directory (default: the bundled rules/).")(fn)


def _rules(rubric: str | None) -> RuleSet:
    try:
        return load_ruleset(rubric)
    except ConfigError as exc:
        _fail(f"invalid rule pack:\n{exc}")
        raise  # unreachable


def _check_ignore(rules: RuleSet, ignore: tuple[str, ...]) -> None:
    unknown = sorted(set(ignore) - set(rules.checks_by_code))
    if unknown:
        _fail(f"unknown rule code(s) {', '.join(unknown)}; known: "
              f"{', '.join(rules.checks_by_code)}")


def _auditor(rules: RuleSet, ignore: tuple[str, ...] = (),  # noqa: ANN202
             models: tuple = (None, None)):
    from auditor.engine import Auditor  # spaCy loads only for commands that read reports
    from auditor.learned.artefacts import ModelLoadError
    from auditor.nlp.pipeline import ModelError

    _check_ignore(rules, ignore)
    try:
        return Auditor(rules, ignore=ignore, sentence_model=models[0], calibration=models[1])
    except (ModelError, ConfigError, ModelLoadError) as exc:
        _fail(str(exc))


def _check_models(rules: RuleSet, ignore: tuple[str, ...], models: tuple) -> None:
    """What an Auditor would refuse at start-up, checked without loading spaCy."""
    from auditor.learned.artefacts import ModelLoadError
    from auditor.nlp.pipeline import ModelError, model_dir, verify_model

    _check_ignore(rules, ignore)
    sentence_model, calibration = models
    try:
        verify_model(model_dir())
        if calibration is not None:
            calibration.check_fits([c for c in rules.checks_by_code if c not in ignore],
                                   sentence_model.sha256 if sentence_model else None)
    except (ModelError, ModelLoadError) as exc:
        _fail(str(exc))


def _parallel(rules: RuleSet, ignore: tuple[str, ...], models: tuple,  # noqa: ANN202
              workers: int):
    """`audit_stream` over worker processes; what would fail in them is checked here first."""
    from auditor.parallel import audit_parallel

    _check_models(rules, ignore, models)
    return functools.partial(audit_parallel, workers=workers, rules=rules, ignore=ignore,
                             sentence_model=models[0], calibration=models[1])


def _dask(rules: RuleSet, ignore: tuple[str, ...], models: tuple, workers: int,  # noqa: ANN202
          scheduler: str | None):
    """`audit_stream` on a Dask cluster: a local one of `workers` processes, or `scheduler`'s."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        _fail("--engine dask needs Dask: pip install 'fcr-auditor[dask]'")
    from auditor.dask_engine import audit_dask

    _check_models(rules, ignore, models)
    return functools.partial(audit_dask, workers=workers, scheduler=scheduler, rules=rules,
                             ignore=ignore, sentence_model=models[0], calibration=models[1])


def _split_codes(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(c.strip().upper() for v in values for c in v.split(",") if c.strip())


def model_options(fn: F) -> F:
    """Add `--sentence-model DIR|none` and `--calibration DIR|none` (docs/models.md)."""
    fn = click.option("--calibration", "calibration", metavar="DIR|none", default=None,
                      help="Calibration to graders (default: per models/defaults.json).")(fn)
    return click.option("--sentence-model", "sentence_model", metavar="DIR|none", default=None,
                        help="Sentence-role model (default: per models/defaults.json).")(fn)


def input_options(fn: F) -> F:
    """Add the options that say how to read exports: mapping, preset, CSV dialect, sheet."""
    options = [
        click.option("--map", "maps", multiple=True, metavar="FIELD=COLUMN",
                     help="Column for a field (id, text, region, manager, rep, rep_level, date, "
                          "or another name kept as metadata); A+B joins columns. Repeatable."),
        click.option("--preset", metavar="NAME",
                     help="A named column mapping (rules/presets/: veeva, salesforce)."),
        click.option("--date-order", type=click.Choice(["dmy", "mdy"]), default=None,
                     help="Day/month order of dates like 03/04/2026 (default: from the preset; "
                          "ambiguous dates are kept as given, with a warning)."),
        click.option("--delimiter", metavar="CHAR",
                     help="CSV delimiter (default: detected from the header among , ; tab |)."),
        click.option("--encoding", metavar="NAME",
                     help="Encoding of CSV files (default: UTF-8/UTF-16 by BOM, else UTF-8, "
                          "falling back to Windows-1252)."),
        click.option("--sheet", metavar="NAME", help="Worksheet of .xlsx files (default: first)."),
        click.option("--id-col", default=None, help="Same as --map id=COLUMN."),
        click.option("--text-col", multiple=True, help="Same as --map text=COLUMN."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _table_options(rubric: str | None, **options: Any) -> TableOptions:
    """How to read tables, from the input options (exit 2 when they cannot be used)."""
    try:
        return TableOptions.from_options(rubric=rubric, **options)
    except InputError as exc:
        _fail(str(exc))
        raise  # unreachable


def _models(sentence_model: str | None, calibration: str | None) -> tuple:
    """The learned pieces to use: a named directory, `none`, or the enabled default."""
    from auditor.learned.artefacts import ModelLoadError
    from auditor.learned.calibration import load_learned

    try:
        sm, cal, note = load_learned(sentence_model, calibration)
    except ModelLoadError as exc:
        _fail(str(exc))
    if note:
        click.echo(f"auditor: {note}", err=True)
    return sm, cal


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
@click.option("--config", "config_file", type=click.Path(dir_okay=False, exists=True),
              default=None, help="Project configuration (default: the nearest auditor.toml or "
                                 "pyproject.toml [tool.auditor] from here upwards).")
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
    io_log = logging.getLogger("auditor.io")
    io_log.handlers[:] = [handler]
    io_log.propagate = False


# -- check ------------------------------------------------------------------------------------
def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col


def _checklist(audit: ReportAudit) -> str:
    def mark(ok: bool) -> str:
        return "x" if ok else " "

    star, obj, sig = audit.star, audit.next_objective, audit.signals
    assert star and obj and sig
    focus = audit.focus_competencies
    items = [
        ("situation", star.situation), ("action", star.action), ("result", star.result),
        (f"focus 1-2 ({', '.join(focus) or 'none'})", 1 <= len(focus) <= 2),
        ("next objective", obj.present), ("SMART", obj.smart),
        ("observed behaviour", sig.observed_behavior), ("reinforcement", sig.reinforcement),
        ("rep's voice", sig.dialogue),
    ]
    return "\n".join(f"  [{mark(ok)}] {name}" for name, ok in items)


@main.command()
@click.argument("path")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--ignore", multiple=True, help="Check codes to skip (comma-separated).")
@model_options
@rubric_option
def check(path: str, fmt: str, ignore: tuple[str, ...], sentence_model: str | None,
          calibration: str | None, rubric: str | None) -> None:
    """Check one draft report (a .txt/.md file, or - for stdin) and print linter lines."""
    rules = _rules(rubric)
    try:
        records = list(read_inputs([path], stdin_format="text", limits=rules.rubric.limits))
    except InputError as exc:
        _fail(escape_controls(str(exc)))
    if len(records) != 1:
        _fail(escape_controls(f"{path}: expected one report, found {len(records)} "
                              "(use `auditor audit`)"))
    engine = _auditor(rules, _split_codes(ignore), _models(sentence_model, calibration))
    audit = next(engine.audit_stream(records))
    if audit.error:
        _fail(escape_controls(audit.error))
    if fmt == "json":
        click.echo(audit.model_dump_json(indent=2))
    else:
        text = audit.text or ""
        for f in sorted(audit.findings, key=lambda f: f.evidence[0].start if f.evidence else 0):
            line, col = _line_col(text, f.evidence[0].start) if f.evidence else (1, 1)
            click.echo(escape_controls(
                f"{path}:{line}:{col}: {SEVERITY_WORD[f.severity]} {f.code} {f.message}"))
        click.echo(f"\nscore {audit.score}/100  verdict {audit.verdict}")
        click.echo(_checklist(audit))
    sys.exit(1 if any(f.severity == "error" for f in audit.findings) else 0)


# -- audit ------------------------------------------------------------------------------------
def _progress(audits: Iterator[ReportAudit], quiet: bool,
              total: int | None = None, initial: int = 0) -> Iterator[ReportAudit]:
    """Audits passed through, with a progress bar on stderr (a total gives an ETA)."""
    if quiet:
        yield from audits
        return
    from tqdm import tqdm

    with tqdm(audits, desc="auditing", unit=" reports", file=sys.stderr, mininterval=0.5,
              dynamic_ncols=True, total=total, initial=initial) as bar:
        yield from bar


def _run_failed(exc: BaseException, out: AtomicResults | None) -> NoReturn:
    """Exit 3: one line on what failed (a traceback too with AUDITOR_DEBUG=1)."""
    if os.environ.get("AUDITOR_DEBUG") == "1":
        traceback.print_exception(exc)
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        what = f"out of disk space ({exc.filename or 'writing the results'})"
    else:
        what = f"{type(exc).__name__}: {exc}"
    if out is not None and out.partial.is_file():
        what += (f"; the results so far are kept in {out.partial}: rerun the same command with "
                 f"--resume to continue")
    click.echo(f"auditor: audit failed: {what}", err=True)
    sys.exit(3)


def _open_results(out_dir: Path, inputs: tuple[str, ...], rules: RuleSet, models: tuple,
                  options: dict[str, Any], resume: bool) -> AtomicResults:
    """The results writer, fresh or resuming an interrupted run (exit 2 when it cannot)."""
    from auditor.io.fingerprint import fingerprint, json_digest
    from auditor.io.results import ResumeError

    if resume and "-" in inputs:
        _fail("--resume cannot check that stdin holds the same reports; save them to a file")
    sm, cal = models
    learned = {"sentence model": sm and sm.sha256,
               "hybrid": sm and json_digest(sm.hybrid.model_dump(mode="json")),
               "calibration": cal and json_digest(cal.artefact)}
    try:
        out = AtomicResults(out_dir, fingerprint(list(inputs), rules.source, learned, options),
                            resume)
    except ResumeError as exc:
        _fail(str(exc))
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise
        _fail(f"{out_dir}: cannot write the results there ({exc.strerror})")
    if out.discarded:
        click.echo(f"auditor: starting afresh: the {out.discarded} results of an interrupted run "
                   f"in {out.partial} are discarded (--resume would continue it)", err=True)
    if out.done:
        click.echo(f"auditor: resuming after the {out.done} results in {out.partial}", err=True)
    return out


@main.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True,
              help="Directory for results.jsonl and results.csv.")
@input_options
@click.option("--stdin-format", type=click.Choice(["auto", "jsonl", "csv", "text"]),
              default="auto", show_default=True)
@click.option("--batch-size", default=32, show_default=True, type=click.IntRange(1, 1024))
@click.option("--ignore", multiple=True, help="Check codes to skip (comma-separated).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes, each with its own pipeline (about 350 MB each).")
@click.option("--resume", is_flag=True,
              help=f"Continue an interrupted run from DIR/{PARTIAL} (same inputs and options).")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local",
              show_default=True, help="Run on this machine, or on a Dask cluster (docs/batch.md).")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="With --engine dask: a running cluster's scheduler, e.g. tcp://host:8786 "
                   "(default: a local cluster of --workers processes).")
@model_options
@rubric_option
def audit(inputs: tuple[str, ...], out_dir: str, stdin_format: str, batch_size: int,
          ignore: tuple[str, ...], quiet: bool, workers: int, resume: bool, engine: str,
          scheduler: str | None, sentence_model: str | None, calibration: str | None,
          rubric: str | None, **input_opts: Any) -> None:
    """Audit a batch: CSV/TSV, .xlsx, .parquet, JSON Lines, .txt/.md, directories, or - (stdin)."""
    rules = _rules(rubric)
    table = _table_options(rubric, **input_opts)
    try:
        check_inputs(inputs)
    except InputError as exc:
        _fail(escape_controls(str(exc)))
    if scheduler and engine != "dask":
        _fail("--scheduler needs --engine dask")
    models = _models(sentence_model, calibration)
    codes = _split_codes(ignore)
    if engine == "dask":
        stream = _dask(rules, codes, models, workers, scheduler)
    elif workers == 1:
        stream = _auditor(rules, codes, models).audit_stream
    else:
        stream = _parallel(rules, codes, models, workers)
    options = {"ignore": sorted(codes), "table": dataclasses.asdict(table),
               "stdin_format": stdin_format}
    out: AtomicResults | None = None
    try:
        out = _open_results(Path(out_dir), inputs, rules, models, options, resume)
        tally = RunTally()
        for done in out.done_audits() if out.done else ():
            tally.add(done)
        start = time.perf_counter()
        total = None if quiet else count_records(inputs, table)
        records = itertools.islice(
            read_inputs(inputs, table, stdin_format, rules.rubric.limits), out.done, None)
        for result in _progress(stream(records, batch_size=batch_size), quiet, total, out.done):
            out.write(result)
            tally.add(result)
        out.commit()
        dashboard = _write_dashboard(Path(out_dir), rules, rubric)
    except InputError as exc:
        if out is not None:
            out.abort()
        _fail(escape_controls(str(exc)))
    except KeyboardInterrupt:
        if out is not None:
            out.close()
        click.echo("auditor: interrupted; rerun the same command with --resume to continue",
                   err=True)
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 (exit 3, one line, partial results kept)
        if out is not None:
            out.close()
        _run_failed(exc, out)
    click.echo(tally.text(time.perf_counter() - start))
    click.echo(f"results: {Path(out_dir) / 'results.jsonl'}, {Path(out_dir) / 'results.csv'}")
    click.echo(f"dashboard: {dashboard}")
    sys.exit(1 if tally.counts["error"] else 0)


# -- eval -------------------------------------------------------------------------------------
@main.command(name="eval")
@click.argument("labelled", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--diffs", is_flag=True, help="Also list each report's disagreements (text).")
@click.option("--ablation", is_flag=True,
              help="Also measure rules, model, hybrid and calibrated (docs/models.md).")
@model_options
@rubric_option
def eval_(labelled: str, fmt: str, diffs: bool, ablation: bool, sentence_model: str | None,
          calibration: str | None, rubric: str | None) -> None:
    """Compare audits of a labelled JSON Lines file with its gold labels."""
    from auditor.evaluate import LabelError, evaluate, iter_text_table, read_labels

    rules = _rules(rubric)
    try:
        gold = read_labels(Path(labelled))
    except LabelError as exc:
        _fail(str(exc))
    models = _models(sentence_model, calibration)
    engine = _auditor(rules, models=models)
    ev = evaluate(gold, engine.audit_stream(read_inputs([labelled])))
    result = ev.result()
    if ablation:
        result["ablation"] = _ablation(engine, gold, labelled, models)
    if fmt == "json":
        click.echo(json.dumps(result, indent=2))
        return
    for line in iter_text_table(result):
        click.echo(line)
    if ablation:
        for line in _ablation_table(result["ablation"]):
            click.echo(line)
    if diffs:
        for rep in ev.per_report:
            if rep["diffs"]:
                click.echo(f"{rep['id']}: " + "; ".join(rep["diffs"]))


def _ablation(engine, gold: dict, labelled: str, models: tuple) -> dict[str, Any]:  # noqa: ANN001
    """Metrics of rules only, model only, hybrid and calibrated on one file (docs/models.md)."""
    from auditor.evaluate import evaluate
    from auditor.learned.artefacts import ModelLoadError, default_model_dir
    from auditor.learned.calibration import Calibration
    from auditor.learned.sentence_model import SentenceRoleModel

    try:  # the pieces in use, else the shipped ones even when they are off by default
        sm = models[0] or SentenceRoleModel.load(default_model_dir("sentence_model", False))
        cal = models[1] or Calibration.load(default_model_dir("calibration", False))
    except (ModelLoadError, TypeError) as exc:
        _fail(f"--ablation needs a sentence model and a calibration: {exc}")
    audits = {}
    for name, variant in (("rules", engine.with_models()),
                          ("model", engine.with_models(sm, sentence_mode="model")),
                          ("hybrid", engine.with_models(sm))):
        audits[name] = list(variant.audit_stream(read_inputs([labelled])))
    base = "hybrid" if cal.sentence_model else "rules"  # the pipeline it was fitted on
    if cal.sentence_model not in (None, sm.sha256):
        _fail("--ablation: the calibration was fitted with another sentence model")
    audits["calibrated"] = [cal.apply(a) for a in audits[base]]
    return {name: evaluate(gold, a).result() for name, a in audits.items()}


def _ablation_table(ablation: dict[str, Any]) -> Iterator[str]:
    """F1 per label and verdict agreement, one column per variant."""
    names = list(ablation)
    yield "\nablation (f1; quality rows: accuracy, kappa, weighted kappa)"
    yield f"{'label':<24}" + "".join(f"{n:>11}" for n in names)
    for key in next(iter(ablation.values()))["labels"]:
        yield f"{key:<24}" + "".join(f"{ablation[n]['labels'][key]['f1']:>11.3f}" for n in names)
    for key in ("accuracy", "kappa", "weighted_kappa"):
        yield f"{'quality ' + key:<24}" + "".join(
            f"{ablation[n]['quality'][key] or 0:>11.3f}" for n in names)


# -- rules ------------------------------------------------------------------------------------
@main.group()
def rules() -> None:
    """Inspect, validate and test a rule pack."""


@rules.command(name="validate")
@click.argument("directory", required=False)
def rules_validate(directory: str | None) -> None:
    """Validate a rule pack (default: the bundled one)."""
    from auditor.checks import build_checks

    pack = _rules(directory)
    try:
        checks = build_checks(pack)
    except ConfigError as exc:
        _fail(f"invalid rule pack:\n{exc}")
    click.echo(f"{pack.source}: valid ({len(checks)} checks, "
               f"{len(pack.priority_ids)} priorities, {len(pack.competency_ids)} competencies)")


@rules.command(name="list")
@rubric_option
def rules_list(rubric: str | None) -> None:
    """List the checks of the rule pack and the check types available."""
    from auditor.checks import registered_types

    pack = _rules(rubric)
    for c in pack.rubric.checks:
        click.echo(f"{c.code}  {c.name:<30} {c.severity:<8} w={c.weight:<5g} {c.type}")
    click.echo("\ncheck types: " + ", ".join(f"{t.name} ({t.doc})"
                                              for t in registered_types().values()))


@rules.command(name="explain")
@click.argument("code")
@rubric_option
def rules_explain(code: str, rubric: str | None) -> None:
    """Explain one check: what it flags, why, and its examples."""
    pack = _rules(rubric)
    spec = pack.checks_by_code.get(code.upper())
    if spec is None:
        _fail(f"unknown rule code {code!r}; known: {', '.join(pack.checks_by_code)}")
    click.echo(f"{spec.code} {spec.name} ({spec.severity}, weight {spec.weight:g}, "
               f"type {spec.type})")
    click.echo(f"\nmessage:    {spec.message}\nsuggestion: {spec.suggestion}")
    click.echo(f"why:        {spec.why}")
    click.echo("\nflags:")
    for ex in spec.examples.flag:
        click.echo(f"  - {ex}")
    click.echo("passes:")
    for ex in spec.examples.pass_:
        click.echo(f"  - {ex}")


@rules.command(name="test")
@click.argument("directory", required=False)
def rules_test(directory: str | None) -> None:
    """Run every check's own examples through the full pipeline."""
    from auditor.selftest import run_examples

    pack = _rules(directory)
    engine = _auditor(pack)
    failures = 0
    for outcome in run_examples(engine):
        failures += not outcome.ok
        status = "ok  " if outcome.ok else "FAIL"
        click.echo(f"{status} {outcome.code} must {outcome.expect}: {outcome.text[:70]}")
    click.echo(f"\n{failures} failing example(s)")
    sys.exit(1 if failures else 0)


# -- serve ------------------------------------------------------------------------------------
@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Server processes, each with its own pipeline (about 350 MB each).")
@model_options
@rubric_option
def serve(host: str, port: int, workers: int, sentence_model: str | None,
          calibration: str | None, rubric: str | None) -> None:
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
    os.environ[SERVE_CONFIG_ENV] = json.dumps({
        "rubric": rubric, "sentence_model": sentence_model,
        "calibration": "none" if skipped else calibration})
    click.echo(f"{url}; {workers} worker processes", err=True)
    serve_workers(host, port, workers)


# -- train / calibrate ------------------------------------------------------------------------
@main.command()
@click.argument("sentences", type=click.Path(exists=True, dir_okay=False))
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True,
              help="Model directory to write (model.json, card.json, hybrid.yaml).")
@click.option("--test", "test", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Held-out sentence annotations; their metrics go into the model card.")
@click.option("--c", "c", default=20.0, show_default=True, type=click.FloatRange(min=1e-6),
              help="Inverse regularisation strength of the logistic regression.")
@click.option("--seed", default=0, show_default=True, type=int)
def train(sentences: str, out_dir: str, test: str | None, c: float, seed: int) -> None:
    """Train the sentence-role model on {"report_id", "text", "role"} JSON Lines."""
    from auditor.learned.sentence_model import train_from_file

    start = time.perf_counter()
    try:
        model, card = train_from_file(sentences, test, c=c, seed=seed)
    except ValueError as exc:
        _fail(str(exc))
    model.save(out_dir, card)
    data = card["training_data"]
    click.echo(f"trained on {data['sentences']} sentences of {data['reports']} reports in "
               f"{time.perf_counter() - start:.1f}s -> {out_dir}")
    if "test_metrics" in card:
        m = card["test_metrics"]
        click.echo(f"test: {m['n']} sentences, accuracy {m['accuracy']:.3f}, "
                   f"macro F1 {m['macro_f1']:.3f}")
        for role, r in m["labels"].items():
            click.echo(f"  {role:<16}p {r['precision']:.3f}  r {r['recall']:.3f}  "
                       f"f1 {r['f1']:.3f}  n {r['support']}")


@main.command()
@click.argument("labelled", type=click.Path(exists=True, dir_okay=False))
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True,
              help="Calibration directory to write (calibration.json, card.json).")
@click.option("--test", "test", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Held-out labelled reports; agreement before/after goes into the card.")
@click.option("--l2", default=1.0, show_default=True, type=click.FloatRange(min=0),
              help="L2 penalty on the weights.")
@click.option("--gates", type=click.Choice(["rubric", "none"]), default="rubric",
              show_default=True, help="Keep the rubric's weak_if_any gates as hard rules.")
@click.option("--sentence-model", "sentence_model", metavar="DIR|none", default=None,
              help="Audit with this sentence model (default: per models/defaults.json).")
@rubric_option
def calibrate(labelled: str, out_dir: str, test: str | None, l2: float, gates: str,
              sentence_model: str | None, rubric: str | None) -> None:
    """Learn check weights and verdict thresholds that reproduce the graders' verdicts."""
    from auditor.evaluate import LabelError, read_labels
    from auditor.learned.calibration import calibrate as fit

    rules = _rules(rubric)
    try:
        gold = {k: v.get("quality") for k, v in read_labels(Path(labelled)).items()}
        t_gold = {k: v.get("quality") for k, v in read_labels(Path(test)).items()} if test else {}
    except LabelError as exc:
        _fail(str(exc))
    sm = _models(sentence_model, "none")[0]
    engine = _auditor(rules, models=(sm, None))
    codes = [c.spec.code for c in engine.checks]
    try:
        cal, facts = fit(
            Path(labelled), list(engine.audit_stream(read_inputs([labelled]))), gold, codes,
            l2=l2, gates=rules.rubric.scoring.weak_if_any if gates == "rubric" else (),
            sentence_model=sm.sha256 if sm else None,
            test=(Path(test), list(engine.audit_stream(read_inputs([test]))), t_gold)
            if test else None)
    except ValueError as exc:
        _fail(str(exc))
    cal.save(out_dir, facts)
    click.echo(f"weights (logits; failed checks lower the verdict) -> {out_dir}")
    for name, weight in cal.table():
        click.echo(f"  {name:<22}{weight:>8.2f}")
    click.echo(f"thresholds: weak | {cal.thresholds[0]:.2f} | adequate | "
               f"{cal.thresholds[1]:.2f} | strong;  gates: {', '.join(cal.gates) or 'none'}")
    rows = [("cross-validated", facts["cross_validation"])]
    rows += [("test", facts["test_metrics"])] if test else []
    for label, m in rows:
        for when in ("before", "after"):
            q = m[when]
            click.echo(f"{label:<16}{when:<7} accuracy {q['accuracy']:.3f}  kappa "
                       f"{q['kappa']:.3f}  weighted kappa {q['weighted_kappa']:.3f}  "
                       f"confusion {q['confusion']}")


# -- regions ----------------------------------------------------------------------------------
def _stats_settings(rubric: str | None, min_group_size: int | None = None):  # noqa: ANN202
    from auditor.config import load_settings

    try:
        settings = load_settings(rubric)
    except ConfigError as exc:
        _fail(f"invalid rule pack:\n{exc}")
    if min_group_size is not None:
        settings = settings.model_copy(update={"min_group_size": min_group_size})
    return settings


def _write_dashboard(out_dir: Path, rules: RuleSet, rubric: str | None) -> Path:
    """Render DIR/dashboard.html from the committed DIR/results.jsonl, read back as a stream."""
    from auditor.io.results import read_results
    from auditor.render.dashboard import render_dashboard
    from auditor.stats import Collector, analyse, vocabulary

    settings = _stats_settings(rubric)
    results = out_dir / "results.jsonl"
    collector = Collector(settings.weakest_reports).extend(read_results(results))
    vocab = vocabulary(rules)
    path = out_dir / "dashboard.html"
    write_text_atomic(path, render_dashboard(analyse(collector.records, vocab, settings), vocab,
                                       collector.weakest(), source=str(results)))
    return path


@main.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--by", type=click.Choice(["region", "manager", "period"]), default="region",
              show_default=True, help="What to group reports by.")
@click.option("--period", type=click.Choice(["month", "quarter"]), default="quarter",
              show_default=True, help="Period length for trends (and for --by period).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "html"]), default="text",
              show_default=True)
@click.option("--out", "out_file", type=click.Path(dir_okay=False), default=None,
              help="Write the output to FILE instead of stdout.")
@click.option("--min-group-size", type=click.IntRange(1), default=None,
              help="Flag groups with fewer audited reports (default: stats.yaml, 20).")
@click.option("--quiet", is_flag=True, help="No progress bar when auditing raw reports.")
@input_options
@rubric_option
def regions(inputs: tuple[str, ...], by: str, period: str, fmt: str, out_file: str | None,
            min_group_size: int | None, quiet: bool, rubric: str | None,
            **input_opts: Any) -> None:
    """Consistency across regions, managers or periods, from results.jsonl or raw reports."""
    from auditor.io.results import is_results_file, read_results
    from auditor.render.text import iter_text_report
    from auditor.stats import Collector, analyse, vocabulary

    rules = _rules(rubric)
    settings = _stats_settings(rubric, min_group_size)
    collector = Collector(settings.weakest_reports if fmt == "html" else 0)
    if len(inputs) == 1 and is_results_file(Path(inputs[0])):
        collector.extend(read_results(Path(inputs[0])))
    else:  # raw reports: audit them first, exactly as `auditor audit` would
        try:
            check_inputs(inputs)
            engine = _auditor(rules, models=_models(None, None))
            table = _table_options(rubric, **input_opts)
            collector.extend(_progress(
                engine.audit_stream(read_inputs(inputs, table, limits=rules.rubric.limits)),
                quiet))
        except InputError as exc:
            _fail(escape_controls(str(exc)))
    if not collector.records:
        _fail(escape_controls(f"no reports in {', '.join(inputs)}"))
    vocab = vocabulary(rules)
    report = analyse(collector.records, vocab, settings, by, period)  # type: ignore[arg-type]
    if fmt == "json":
        text = report.model_dump_json(indent=2)
    elif fmt == "html":
        from auditor.render.dashboard import render_dashboard

        text = render_dashboard(report, vocab, collector.weakest(), source=", ".join(inputs))
    else:
        text = "\n".join(iter_text_report(report, vocab))
    if out_file:
        write_text_atomic(Path(out_file), text)
        click.echo(f"{fmt}: {out_file}", err=True)
    else:
        click.echo(text)


# -- config -----------------------------------------------------------------------------------
_UNSET = {"rubric": "the bundled rules/", "sentence_model": "per models/defaults.json",
          "calibration": "per models/defaults.json", "preset": "none", "date_order": "none",
          "delimiter": "detected", "encoding": "detected", "sheet": "the first sheet",
          "out_dir": "none (audit needs --out)", "maps": "id, text, region, manager, rep, "
          "rep_level, date by their own names", "ignore": "none"}


@main.command(name="config")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.pass_context
def config_cmd(ctx: click.Context, fmt: str) -> None:
    """Print the effective settings and where each one comes from."""
    from auditor.project import ProjectConfig

    project = ctx.obj
    given = project.options()
    declared = {p.name: p.default for name in ("audit", "check", "serve")
                for p in main.commands[name].params}
    rows = []
    for key, spec in ProjectConfig.model_fields.items():
        name = {"map": "maps"}.get(key, key)
        option = spec.alias or key
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
        click.echo(json.dumps({"config_file": str(project.path) if project.path else None,
                               "settings": rows}, indent=2))
        return
    where = project.path or "none (auditor.toml or pyproject.toml [tool.auditor], from here up)"
    click.echo(f"config file: {where}")
    for row in rows:
        click.echo(f"  {row['setting']:<15}{str(row['value']):<40} {row['source']}")
    click.echo("command-line options win over these settings.")
