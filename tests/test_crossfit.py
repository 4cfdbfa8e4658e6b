"""Out-of-fold audits for calibration: no labelled report is judged by a model that saw it."""

from __future__ import annotations

import json
from pathlib import Path

from auditor.crossfit import out_of_fold_audits
from auditor.learned.focus_model import FocusModel, train_examples
from auditor.schema import FailedRecord, Report

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "sample_reports"


def _f1(audits, labels) -> float:
    tp = fp = fn = 0
    for a in audits:
        if a.id not in labels:
            continue
        got = set(a.focus_competencies)
        gold = set(labels[a.id]["competencies"])
        tp, fp, fn = tp + len(got & gold), fp + len(got - gold), fn + len(gold - got)
    return 2 * tp / (2 * tp + fp + fn)


def test_out_of_fold_audits_keep_order_and_do_not_reuse_the_labels(engine) -> None:
    lines = (CORPUS / "dev.jsonl").read_text(encoding="utf-8").splitlines()[:36]
    rows = [json.loads(line) for line in lines]
    reports = [Report(id=r["id"], text=r["text"]) for r in rows]
    labels = {r["id"]: r["labels"] for r in rows[:30]}  # the last six are unlabelled
    examples = train_examples(
        (ann, labels[r.id])
        for ann, r in zip(engine.annotate(reports[:30]), reports[:30], strict=True)
    )
    shipped, _ = FocusModel.train(examples, c=0.5)
    fitted = engine.with_models(focus_model=shipped)
    records = [*reports[:3], FailedRecord(id="broken", error="bad row"), *reports[3:]]

    out = out_of_fold_audits(fitted, records, labels, folds=3)

    assert [a.id for a in out] == [r.id for r in records]
    assert out[3].error == "bad row"
    in_sample = list(fitted.audit_stream(records))
    # Unlabelled reports are audited by the shipped model, as they would be anyway.
    assert [a.focus_competencies for a in out[-6:]] == [
        a.focus_competencies for a in in_sample[-6:]
    ]
    # The shipped model saw these labels: in sample it looks better than it will on new reports.
    assert _f1(in_sample, labels) > _f1(out, labels)
