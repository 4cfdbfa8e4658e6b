"""`auditor train` and `auditor calibrate`: the learned pieces."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from auditor.cli.common import _auditor, _fail, _models, _open_store, _rules, rubric_option
from auditor.cli.group import main
from auditor.io import read_inputs


@main.command()
@click.argument("data", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    required=True,
    help="Model directory to write (the model file and card.json).",
)
@click.option(
    "--model",
    "kind",
    type=click.Choice(["sentence-roles", "focus"]),
    default="sentence-roles",
    show_default=True,
    help="sentence-roles: DATA is {report_id, text, role} sentence annotations; focus: DATA "
    "is labelled reports (docs/labels.md) and the model learns which mentioned competencies "
    "and priorities they coach.",
)
@click.option(
    "--test",
    "test",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Held-out data of the same kind; its metrics go into the model card.",
)
@click.option(
    "--c",
    "c",
    default=None,
    type=click.FloatRange(min=1e-6),
    help="Inverse regularisation strength of the logistic regression "
    "(default: 20 for sentence-roles; for focus, chosen by cross-validation).",
)
@click.option("--seed", default=0, show_default=True, type=int)
@rubric_option
def train(
    data: str,
    out_dir: str,
    kind: str,
    test: str | None,
    c: float | None,
    seed: int,
    rubric: str | None,
) -> None:
    """Train a learned piece: the sentence-role model or the focus decision (docs/models.md)."""
    if kind == "focus":
        _train_focus(data, out_dir, test, c, seed, rubric)
        return
    from auditor.learned.artefacts import ModelLoadError
    from auditor.learned.sentence_model import train_from_file

    start = time.perf_counter()
    try:
        model, card = train_from_file(data, test, c=20.0 if c is None else c, seed=seed)
        model.save(out_dir, card)
    except (ValueError, ModelLoadError) as exc:
        _fail(str(exc))
    facts = card["training_data"]
    click.echo(
        f"trained on {facts['sentences']} sentences of {facts['reports']} reports in "
        f"{time.perf_counter() - start:.1f}s -> {out_dir}"
    )
    if "test_metrics" in card:
        m = card["test_metrics"]
        click.echo(
            f"test: {m['n']} sentences, accuracy {m['accuracy']:.3f}, macro F1 {m['macro_f1']:.3f}"
        )
        for role, r in m["labels"].items():
            click.echo(
                f"  {role:<16}p {r['precision']:.3f}  r {r['recall']:.3f}  "
                f"f1 {r['f1']:.3f}  n {r['support']}"
            )


def _train_focus(
    data: str, out_dir: str, test: str | None, c: float | None, seed: int, rubric: str | None
) -> None:
    """`auditor train --model focus`: fit on labelled reports read by the rules."""
    from auditor.evaluate import LabelError, read_labels
    from auditor.learned.focus_model import FocusModel, data_facts, evaluate_focus

    start = time.perf_counter()
    rules = _rules(rubric)
    try:
        gold = read_labels(Path(data))
        t_gold = read_labels(Path(test)) if test else {}
    except LabelError as exc:
        _fail(str(exc))
    engine = _auditor(rules, models=(None, None, None))
    examples = _examples(engine, data, gold)
    try:
        model, card = FocusModel.train(examples, c=c, seed=seed)
    except ValueError as exc:
        _fail(str(exc))
    card["training_data"] = data_facts(Path(data), examples)
    if test:
        t_examples = _examples(engine, test, t_gold)
        card["test_data"] = data_facts(Path(test), t_examples)
        card["test_metrics"] = evaluate_focus(model, t_examples)
    model.save(out_dir, card)
    click.echo(
        f"trained on {len(examples)} reports in {time.perf_counter() - start:.1f}s -> {out_dir}"
    )
    for kind, cv in card["cross_validation"].items():
        click.echo(
            f"  {kind:<11} cross-validated micro F1 {cv['micro_f1']:.3f} "
            f"(rules {cv['rules_micro_f1']:.3f}); C {cv['c']}, threshold {cv['threshold']}, "
            f"at most {cv['max_chosen'] or 'any'}"
        )
    for kind, m in card.get("test_metrics", {}).items():
        click.echo(
            f"  {kind:<11} test micro F1 {m['micro_f1']:.3f} (rules {m['rules_micro_f1']:.3f})"
        )


def _examples(engine, path: str, gold: dict) -> list:
    """Focus-model examples: each labelled report's annotations and its gold labels."""
    from auditor.learned.focus_model import train_examples
    from auditor.schema import Report

    reports = [r for r in read_inputs([path]) if isinstance(r, Report) and r.id in gold]
    return train_examples(
        (ann, gold[r.id]) for ann, r in zip(engine.annotate(reports), reports, strict=True)
    )


@main.command()
@click.argument("labelled", type=click.Path(exists=True, dir_okay=False), required=False)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    required=True,
    help="Calibration directory to write (calibration.json, card.json).",
)
@click.option(
    "--store",
    "store_target",
    metavar="PATH_OR_URL",
    default=None,
    help="Learn from an audit store instead of LABELLED: the stored audits a reviewer set a "
    "verdict on (`auditor review --verdict`), with that verdict as the grade.",
)
@click.option(
    "--test",
    "test",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Held-out labelled reports; agreement before/after goes into the card.",
)
@click.option(
    "--l2",
    default=1.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="L2 penalty on the weights.",
)
@click.option(
    "--gates",
    type=click.Choice(["rubric", "none"]),
    default="rubric",
    show_default=True,
    help="Fit with the rubric's weak_if_any and compliance gates as hard rules.",
)
@click.option(
    "--sentence-model",
    "sentence_model",
    metavar="DIR|none",
    default=None,
    help="Audit with this sentence model (default: per models/defaults.json).",
)
@click.option(
    "--focus-model",
    "focus_model",
    metavar="DIR|none",
    default=None,
    help="Audit with this focus model (default: per models/defaults.json).",
)
@click.option(
    "--focus-folds",
    default=5,
    show_default=True,
    type=click.IntRange(min=0),
    help="Audit LABELLED out of fold: each report with a focus model refitted without its "
    "fold (the shipped model saw these reports' labels); 0 audits with the focus model as is.",
)
@rubric_option
def calibrate(
    labelled: str | None,
    out_dir: str,
    store_target: str | None,
    test: str | None,
    l2: float,
    gates: str,
    sentence_model: str | None,
    focus_model: str | None,
    focus_folds: int,
    rubric: str | None,
) -> None:
    """Learn check weights and verdict thresholds that reproduce the graders' verdicts."""
    from auditor.evaluate import LabelError, read_labels
    from auditor.learned.calibration import calibrate as fit

    if (labelled is None) == (store_target is None):
        raise click.UsageError("give either LABELLED or --store")
    rules = _rules(rubric)
    try:
        labels = read_labels(Path(labelled)) if labelled else {}
        t_gold = {k: v.get("quality") for k, v in read_labels(Path(test)).items()} if test else {}
    except LabelError as exc:
        _fail(str(exc))
    sm, _, fm = _models(sentence_model, "none", focus_model)
    engine = _auditor(rules, models=(sm, None, fm))
    codes = [c.spec.code for c in engine.checks]
    data: Path | dict[str, Any]
    if store_target:
        data, audits, gold = _reviewed(store_target)
    else:
        data = Path(str(labelled))
        audits = _calibration_audits(engine, str(labelled), labels, focus_folds)
        gold = {k: v.get("quality") for k, v in labels.items()}
    try:
        cal, facts = fit(
            data,
            audits,
            gold,
            codes,
            l2=l2,
            gates=rules.rubric.scoring.gate_checks if gates == "rubric" else (),
            sentence_model=sm.sha256 if sm else None,
            test=(Path(test), list(engine.audit_stream(read_inputs([test]))), t_gold)
            if test
            else None,
        )
    except ValueError as exc:
        _fail(str(exc))
    folded = fm is not None and focus_folds >= 2 and not store_target
    facts["focus_folds"] = focus_folds if folded else 0
    cal.save(out_dir, facts)
    click.echo(f"weights (logits; failed checks lower the verdict) -> {out_dir}")
    for name, weight in cal.table():
        click.echo(f"  {name:<22}{weight:>8.2f}")
    click.echo(
        f"thresholds: weak | {cal.thresholds[0]:.2f} | adequate | "
        f"{cal.thresholds[1]:.2f} | strong;  gates: {', '.join(cal.gates) or 'none'}"
    )
    rows = [("cross-validated", facts["cross_validation"])]
    rows += [("test", facts["test_metrics"])] if test else []
    for label, m in rows:
        for when in ("before", "after"):
            q = m[when]
            click.echo(
                f"{label:<16}{when:<7} accuracy {q['accuracy']:.3f}  kappa "
                f"{q['kappa']:.3f}  weighted kappa {q['weighted_kappa']:.3f}  "
                f"confusion {q['confusion']}"
            )


def _calibration_audits(engine, labelled: str, labels: dict, folds: int) -> list:
    """The labelled file's audits the calibration learns from (out of fold with `folds`)."""
    from auditor.crossfit import out_of_fold_audits

    records = list(read_inputs([labelled]))
    if folds < 2:
        return list(engine.audit_stream(records))
    return out_of_fold_audits(engine, records, labels, folds=folds)


def _reviewed(target: str) -> tuple[dict[str, Any], list, dict[str, str | None]]:
    """The card facts, audits and grades of the stored audits a reviewer set a verdict on."""
    with _open_store(target) as store:
        graded = list(store.graded())
        backend = store.engine.url.get_backend_name()  # no path or host in the card
    audits = [audit for audit, _ in graded]
    gold: dict[str, str | None] = {audit.id: verdict for audit, verdict in graded}
    return {"store": backend, "reviewed_reports": len(audits)}, audits, gold
