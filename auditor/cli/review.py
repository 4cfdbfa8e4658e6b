"""`auditor review`: record a reviewer's decision on a stored audit, or list the trail."""

from __future__ import annotations

import json

import click

from auditor.cli.common import _fail, _open_store, _rules, rubric_option
from auditor.cli.group import main
from auditor.schema import VERDICTS, ReviewDecision, ReviewKind
from auditor.textsafety import escape_controls


def describe(decision: ReviewDecision) -> str:
    """One line of the trail: when, who, what, on which report, and why."""
    what = (
        f"set the verdict to {decision.verdict}"
        if decision.kind == "verdict"
        else f"{decision.kind}ed {decision.code}"
    )
    return escape_controls(
        f"#{decision.id} {decision.at} {decision.reviewer} {what} on {decision.report_id}: "
        f"{decision.reason}"
    )


@main.command()
@click.argument("report_id", required=False)
@click.option(
    "--store",
    "store_target",
    metavar="PATH_OR_URL",
    required=True,
    help="The audit store (docs/store.md).",
)
@click.option("--accept", metavar="CODE", help="Confirm the report's finding CODE.")
@click.option("--reject", metavar="CODE", help="Reject the report's finding CODE.")
@click.option("--verdict", type=click.Choice(VERDICTS), help="Set the report's verdict.")
@click.option("--reviewer", metavar="NAME", help="Who decides.")
@click.option("--reason", metavar="TEXT", help="Why.")
@click.option("--list", "list_trail", is_flag=True, help="List the decisions (of REPORT_ID).")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@rubric_option
def review(
    report_id: str | None,
    store_target: str,
    accept: str | None,
    reject: str | None,
    verdict: str | None,
    reviewer: str | None,
    reason: str | None,
    list_trail: bool,
    fmt: str,
    rubric: str | None,
) -> None:
    """Accept or reject a stored audit's finding, or set its verdict; --list shows the trail.

    Decisions are appended, never changed: the latest per finding (and for the verdict) counts
    wherever the store is read (`auditor regions --store`).
    """
    from auditor.store import ReviewError  # SQLAlchemy loads only for a store

    options: tuple[tuple[ReviewKind, str | None], ...] = (
        ("accept", accept),
        ("reject", reject),
        ("verdict", verdict),
    )
    asked = [(kind, value) for kind, value in options if value is not None]
    if list_trail and asked:
        raise click.UsageError("--list cannot be combined with a decision")
    if not list_trail:
        if len(asked) != 1 or report_id is None:
            raise click.UsageError(
                "give REPORT_ID and one of --accept CODE, --reject CODE or --verdict (or --list)"
            )
        if not reviewer or not reason:
            raise click.UsageError("a decision needs --reviewer NAME and --reason TEXT")
    with _open_store(store_target) as store:
        if list_trail:
            trail = store.reviews(report_id)
            if fmt == "json":
                click.echo(json.dumps([d.model_dump() for d in trail], indent=2))
            else:
                for decision in trail:
                    click.echo(describe(decision))
            return
        assert report_id is not None and reviewer is not None and reason is not None
        kind, value = asked[0]
        try:
            decision = store.review(report_id, kind, value, reviewer, reason)
        except ReviewError as exc:
            _fail(escape_controls(str(exc)))
        applied = store.current(report_id, _rules(rubric))
    assert applied is not None and applied.review is not None  # just recorded on it
    if fmt == "json":
        body = {"decision": decision.model_dump(), "audit": applied.model_dump(mode="json")}
        click.echo(json.dumps(body, indent=2))
        return
    was = applied.review
    click.echo(f"recorded {describe(decision)}")
    click.echo(
        f"{escape_controls(report_id)}: score {was.score} -> {applied.score}, "
        f"verdict {was.verdict} -> {applied.verdict}"
    )
