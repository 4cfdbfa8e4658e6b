"""What the commands share: option decorators, loading rule packs and models, exit 2."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from auditor.atomic import write_text_atomic
from auditor.config import (
    Checklist,
    ConfigError,
    RuleSet,
    StatsSettings,
    load_checklist,
    load_ruleset,
    load_settings,
)
from auditor.io import InputError, TableOptions, check_inputs, read_inputs
from auditor.schema import ReportAudit
from auditor.textsafety import escape_controls

if TYPE_CHECKING:
    from auditor.store import Store

F = TypeVar("F", bound=Callable[..., Any])


def _fail(message: str) -> NoReturn:
    """Exit 2 with a one-line message."""
    click.echo(f"auditor: {message}", err=True)
    sys.exit(2)


def rubric_option(fn: F) -> F:
    """Add `--rubric DIR` to a command."""
    return click.option(
        "--rubric",
        "rubric",
        type=click.Path(),
        default=None,
        help="Rule pack directory (default: the bundled rules/).",
    )(fn)


def _rules(rubric: str | None) -> RuleSet:
    try:
        return load_ruleset(rubric)
    except ConfigError as exc:
        _fail(f"invalid rule pack:\n{exc}")
        raise  # unreachable


def _checklist(rubric: str | None) -> Checklist:
    try:
        return load_checklist(rubric)
    except ConfigError as exc:
        _fail(f"invalid rule pack:\n{exc}")
        raise  # unreachable


def _open_store(target: str) -> Store:
    """The audit store at a path or URL (exit 2 when it cannot be opened)."""
    from auditor.store import Store, StoreError  # SQLAlchemy loads only for a store

    try:
        return Store(target)
    except StoreError as exc:
        _fail(escape_controls(str(exc)))


def _check_ignore(rules: RuleSet, ignore: tuple[str, ...]) -> None:
    unknown = sorted(set(ignore) - set(rules.checks_by_code))
    if unknown:
        _fail(
            f"unknown rule code(s) {', '.join(unknown)}; known: {', '.join(rules.checks_by_code)}"
        )


def one_blas_thread() -> None:
    """Run BLAS on one thread in this process (the model's matrices are small).

    With OpenBLAS's default of a thread per core, the threads contend with the process itself
    on small machines: pinned, a check starts faster and audits run ~1.1x faster (README,
    "Compiled rule-pack cache"). Worker processes already pin themselves. An explicit
    OPENBLAS_NUM_THREADS (or OMP_NUM_THREADS) is respected.
    """
    if any(os.environ.get(v) for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")):
        return
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


def _auditor(rules: RuleSet, ignore: tuple[str, ...] = (), models: tuple = (None, None, None)):
    from auditor.engine import Auditor  # spaCy loads only for commands that read reports
    from auditor.learned.artefacts import ModelLoadError
    from auditor.nlp.pipeline import ModelError

    _check_ignore(rules, ignore)
    one_blas_thread()
    try:
        return Auditor(
            rules,
            ignore=ignore,
            sentence_model=models[0],
            calibration=models[1],
            focus_model=models[2],
        )
    except (ModelError, ConfigError, ModelLoadError) as exc:
        _fail(str(exc))


def _check_models(rules: RuleSet, ignore: tuple[str, ...], models: tuple) -> None:
    """What an Auditor would refuse at start-up, checked without loading spaCy."""
    from auditor.checks import history_codes
    from auditor.learned.artefacts import ModelLoadError
    from auditor.nlp.pipeline import ModelError, model_dir, verify_model

    _check_ignore(rules, ignore)
    sentence_model, calibration = models[0], models[1]
    try:
        verify_model(model_dir())
        if calibration is not None:
            codes = [c for c in rules.checks_by_code if c not in ignore]
            calibration.check_fits(codes, sentence_model.sha256 if sentence_model else None)
            # History checks (FOL001) are judged after calibration was learned from per-report
            # labels, which never see them: their failures move the score, not the verdict.
            history = history_codes(rules)
            calibration.warn_unseen(
                [c for c in codes if c in rules.verdict_checks and c not in history]
            )
    except (ModelError, ModelLoadError) as exc:
        _fail(str(exc))


def _split_codes(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(c.strip().upper() for v in values for c in v.split(",") if c.strip())


def model_options(fn: F) -> F:
    """Add `--sentence-model`, `--calibration` and `--focus-model` DIR|none (docs/models.md)."""
    fn = click.option(
        "--focus-model",
        "focus_model",
        metavar="DIR|none",
        default=None,
        help="Learned focus decision (default: per models/defaults.json).",
    )(fn)
    fn = click.option(
        "--calibration",
        "calibration",
        metavar="DIR|none",
        default=None,
        help="Calibration to graders (default: per models/defaults.json).",
    )(fn)
    return click.option(
        "--sentence-model",
        "sentence_model",
        metavar="DIR|none",
        default=None,
        help="Sentence-role model (default: per models/defaults.json).",
    )(fn)


def input_options(fn: F) -> F:
    """Add the options that say how to read exports: mapping, preset, CSV dialect, sheet."""
    options = [
        click.option(
            "--map",
            "maps",
            multiple=True,
            metavar="FIELD=COLUMN",
            help="Column for a field (id, text, region, manager, rep, rep_level, date, "
            "rating, rating.COMPETENCY, or another name kept as metadata); A+B joins "
            "columns. Repeatable.",
        ),
        click.option(
            "--preset",
            metavar="NAME",
            help="A named column mapping (rules/presets/: veeva, salesforce).",
        ),
        click.option(
            "--date-order",
            type=click.Choice(["dmy", "mdy"]),
            default=None,
            help="Day/month order of dates like 03/04/2026 (default: from the preset; "
            "ambiguous dates are kept as given, with a warning).",
        ),
        click.option(
            "--delimiter",
            metavar="CHAR",
            help="CSV delimiter (default: detected from the header among , ; tab |).",
        ),
        click.option(
            "--encoding",
            metavar="NAME",
            help="Encoding of CSV files (default: UTF-8/UTF-16 by BOM, else UTF-8, "
            "falling back to Windows-1252).",
        ),
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


def _models(
    sentence_model: str | None, calibration: str | None, focus_model: str | None = None
) -> tuple:
    """The learned pieces to use (sentence model, calibration, focus model): a named
    directory, `none`, or the enabled default."""
    from auditor.learned.artefacts import ModelLoadError
    from auditor.learned.loading import load_learned

    try:
        sm, cal, fm, note = load_learned(sentence_model, calibration, focus_model)
    except ModelLoadError as exc:
        _fail(str(exc))
    if note:
        click.echo(f"auditor: {note}", err=True)
    return sm, cal, fm


def _progress(
    audits: Iterator[ReportAudit], quiet: bool, total: int | None = None, initial: int = 0
) -> Iterator[ReportAudit]:
    """Audits passed through, with a progress bar on stderr (a total gives an ETA)."""
    if quiet:
        yield from audits
        return
    from tqdm import tqdm

    with tqdm(
        audits,
        desc="auditing",
        unit=" reports",
        file=sys.stderr,
        mininterval=0.5,
        dynamic_ncols=True,
        total=total,
        initial=initial,
    ) as bar:
        yield from bar


def _stats_settings(rubric: str | None) -> StatsSettings:
    try:
        return load_settings(rubric)
    except ConfigError as exc:
        _fail(f"invalid rule pack:\n{exc}")
        raise  # unreachable


def saved_or_audited(
    inputs: tuple[str, ...],
    rules: RuleSet,
    rubric: str | None,
    quiet: bool,
    models: tuple[str | None, str | None, str | None] = (None, None, None),
    **input_opts: Any,
) -> Iterator[ReportAudit]:
    """The audits of one results.jsonl, or of raw reports audited first exactly as `auditor
    audit` would (with the named or default models); InputError for unusable inputs."""
    from auditor.io.results import is_results_file, read_results

    if len(inputs) == 1 and is_results_file(Path(inputs[0])):
        return read_results(Path(inputs[0]))
    check_inputs(inputs)
    engine = _auditor(rules, models=_models(*models))
    table = _table_options(rubric, **input_opts)
    return _progress(
        engine.audit_stream(read_inputs(inputs, table, limits=rules.rubric.limits)), quiet
    )


def _iso_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"not an ISO date (YYYY-MM-DD): {value!r}") from None


def window_options(fn: F) -> F:
    """Add `--since` and `--until` YYYY-MM-DD (inclusive; parsed to dates)."""
    fn = click.option(
        "--until",
        callback=_iso_date,
        metavar="YYYY-MM-DD",
        default=None,
        help="Only reports dated on or before this day.",
    )(fn)
    return click.option(
        "--since",
        callback=_iso_date,
        metavar="YYYY-MM-DD",
        default=None,
        help="Only reports dated on or after this day.",
    )(fn)


def dated_between(
    audits: Iterable[ReportAudit], since: date | None, until: date | None
) -> Iterator[ReportAudit]:
    """The audits whose report date lies in [since, until] (undated ones are then left out)."""
    from auditor.store.store import report_date

    low = since.isoformat() if since else ""
    high = until.isoformat() if until else "9999-12-31"
    for audit in audits:
        day = report_date(audit.metadata.get("date"))
        if day is not None and low <= day <= high:
            yield audit


def output_options(fn: F) -> F:
    """Add `--format text|json|html` (as `fmt`) and `--out FILE` (as `out_file`)."""
    fn = click.option(
        "--out",
        "out_file",
        type=click.Path(dir_okay=False),
        default=None,
        help="Write the output to FILE instead of stdout.",
    )(fn)
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["text", "json", "html"]),
        default="text",
        show_default=True,
    )(fn)


def emit(text: str, fmt: str, out_file: str | None) -> None:
    """Print the output, or write it atomically to `out_file` and say so on stderr (exit 2 when
    it cannot be written)."""
    if out_file:
        try:
            write_text_atomic(Path(out_file), text)
        except OSError as exc:
            _fail(escape_controls(f"--out {out_file}: {exc}"))
        click.echo(f"{fmt}: {out_file}", err=True)
    else:
        click.echo(text)
