"""Out-of-fold audits of a labelled file, for fitting the calibration honestly.

The calibration learns from audits of the labelled reports. Audited with a focus model trained
on those same reports, their focus decisions are better than on any new report (the model has
seen their labels), and the calibration would learn to trust them too much. Here each labelled
report is audited with a focus model refitted without its fold, with the shipped model's
settings (its C per kind, its text-score regularisation); threshold and cap are chosen again by
the refit's own cross-validation, as they were for the shipped model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from auditor.engine import Auditor
from auditor.learned.focus_model import FocusModel, train_examples
from auditor.schema import FailedRecord, Report, ReportAudit


def out_of_fold_audits(
    engine: Auditor,
    records: Sequence[Report | FailedRecord],
    labels: Mapping[str, dict[str, Any]],
    folds: int = 5,
    seed: int = 0,
) -> list[ReportAudit]:
    """Every record's audit, in input order; labelled reports audited out of fold.

    `engine` carries the shipped focus model; without one, or with fewer labelled reports
    than folds, every record is audited by `engine` as it is.
    """
    model = engine.focus_model
    pairs = [(n, r) for n, r in enumerate(records) if isinstance(r, Report) and r.id in labels]
    if model is None or len(pairs) < folds:
        return list(engine.audit_stream(records))
    labelled = [n for n, _ in pairs]
    reports = [r for _, r in pairs]
    rules_only = engine.with_models()  # candidates as `auditor train --model focus` reads them
    examples = train_examples(
        (ann, labels[r.id]) for ann, r in zip(rules_only.annotate(reports), reports, strict=True)
    )
    fold_of = np.random.default_rng(seed).permutation(len(labelled)) % folds
    out: dict[int, ReportAudit] = {}
    for k in range(folds):
        refit, _ = FocusModel.train(
            [ex for ex, f in zip(examples, fold_of, strict=True) if f != k],
            c=model.chosen_c(),
            seed=seed,
            text_c=model.text_c,
        )
        held = [n for n, f in zip(labelled, fold_of, strict=True) if f == k]
        auditor = engine.with_models(
            engine.sentence_model, engine.calibration, engine.sentence_mode, refit
        )
        out.update(zip(held, auditor.audit_stream(records[n] for n in held), strict=True))
    rest = [n for n in range(len(records)) if n not in out]
    out.update(zip(rest, engine.audit_stream(records[n] for n in rest), strict=True))
    return [out[n] for n in range(len(records))]
