"""Agreement of verdicts with graders: accuracy, Cohen's kappa (plain and quadratic weighted)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from auditor.schema import VERDICTS


def agreement(gold: Sequence[str], pred: Sequence[str]) -> dict[str, Any]:
    """Accuracy, Cohen's kappa, quadratic weighted kappa and confusion (rows gold) of verdicts."""
    from sklearn.metrics import cohen_kappa_score, confusion_matrix

    g = [VERDICTS.index(v) for v in gold]
    p = [VERDICTS.index(v) for v in pred]
    same = len(set(g) | set(p)) == 1  # kappa is undefined when only one class occurs
    labels = list(range(len(VERDICTS)))
    return {
        "accuracy": round(float(np.mean(np.equal(g, p))), 4) if g else None,
        "kappa": 1.0 if same else round(float(cohen_kappa_score(g, p, labels=labels)), 4),
        "weighted_kappa": 1.0
        if same
        else round(float(cohen_kappa_score(g, p, labels=labels, weights="quadratic")), 4),
        "confusion": confusion_matrix(g, p, labels=labels).tolist(),
        "order": list(VERDICTS),
    }
