"""`auditor rep REP_ID`: one rep's reports over time, objectives followed up, trends."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path

import click

from auditor.cli.common import (
    _fail,
    _open_store,
    _rules,
    _stats_settings,
    dated_between,
    emit,
    output_options,
    rubric_option,
    window_options,
)
from auditor.cli.group import main
from auditor.config import RuleSet
from auditor.schema import ReportAudit
from auditor.textsafety import escape_controls


def _stored(target: str, rules: RuleSet, rep: str, since: date | None, until: date | None):
    """The rep's latest audits in the store with the reviewers' decisions applied."""
    with _open_store(target) as store:
        yield from store.reviewed(rules, since, until, rep)


def _of_rep(
    audits: Iterable[ReportAudit], rep: str, unreadable: list[int]
) -> Iterator[ReportAudit]:
    """The rep's audits; `unreadable[0]` counts records that name no rep and were not audited
    (e.g. a results line that is not an audit), which may have been the rep's."""
    from auditor.stats.timeline import rep_of

    wanted = rep.strip()
    for audit in audits:
        name = rep_of(audit)
        if name == wanted:
            yield audit
        elif name is None and not audit.ok:
            unreadable[0] += 1


@main.command()
@click.argument("rep_id")
@click.argument("results", required=False, type=click.Path(dir_okay=False))
@click.option(
    "--store",
    "store_target",
    metavar="PATH_OR_URL",
    default=None,
    help="Read the audit store (latest versions, reviewer decisions applied) instead of RESULTS.",
)
@window_options
@output_options
@rubric_option
def rep(
    rep_id: str,
    results: str | None,
    store_target: str | None,
    since: date | None,
    until: date | None,
    fmt: str,
    out_file: str | None,
    rubric: str | None,
) -> None:
    """One rep's reports over time from a results.jsonl or an audit store (--store): visits,
    competencies coached, objectives and whether they were followed up, trends."""
    from auditor.io.results import is_results_file, read_results
    from auditor.render.rep import iter_rep_text, render_rep_html
    from auditor.stats import vocabulary
    from auditor.stats.timeline import rep_timeline

    rules = _rules(rubric)
    settings = _stats_settings(rubric).rep
    assert settings is not None  # load_settings fills it from the bundled pack
    if bool(results) == bool(store_target):
        raise click.UsageError("give either RESULTS (a results.jsonl) or --store")
    audits: Iterable[ReportAudit]
    if store_target:
        audits = _stored(store_target, rules, rep_id.strip(), since, until)
    else:
        path = Path(results or "")
        if not is_results_file(path):
            _fail(escape_controls(f"{path}: not a results.jsonl of `auditor audit`"))
        audits = read_results(path)
        if since or until:
            audits = dated_between(audits, since, until)
    unreadable = [0]
    found = list(_of_rep(audits, rep_id, unreadable))
    source = str(results)
    if store_target:  # opened by now: its URL parses; shown without a password
        from auditor.store.connect import engine_url, shown

        source = shown(engine_url(store_target))
    if not found:
        window = (
            f" between {since or 'the start'} and {until or 'the end'}" if since or until else ""
        )
        _fail(escape_controls(f"rep {rep_id!r} not found in {source}{window}"))
    timeline = rep_timeline(rep_id.strip(), found, vocabulary(rules).competencies, settings)
    if unreadable[0]:
        note = f"{unreadable[0]} record(s) that were not audited name no rep and are not listed."
        timeline = timeline.model_copy(update={"notes": [*timeline.notes, note]})
    if fmt == "json":
        text = timeline.model_dump_json(indent=2)
    elif fmt == "html":
        text = render_rep_html(timeline, source)
    else:
        text = "\n".join(iter_rep_text(timeline))
    emit(text, fmt, out_file)
