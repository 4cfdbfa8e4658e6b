"""Report-level text scores: how likely a report coaches each competency (or serves each
priority), read from all of its words.

One-vs-rest logistic regressions over the report's TF-IDF word 1-2-grams, one set per kind
(competency, priority) over one shared vocabulary. The focus decision reads a candidate's score
as one more feature: the rules' candidate facts see only the sentences that mention a candidate,
these scores see the whole report. Training gives out-of-fold scores (each report scored by
regressions fitted without it) so the focus decision learns how far to trust scores on unseen
reports. Prediction is numpy only (`auditor.learned.tfidf`); the artefact is JSON.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from auditor.learned import tfidf

#: TF-IDF settings (reproduced without scikit-learn at prediction time).
PARAMS: dict[str, Any] = {
    "analyzer": "word",
    "ngram_range": [1, 2],
    "min_df": 2,
    "lowercase": True,
    "sublinear_tf": True,
}

#: Per kind, each report's gold ids.
Gold = Mapping[str, Sequence[frozenset[str]]]
#: A report's score per id of each kind.
KindScores = dict[str, dict[str, float]]


def fit(texts: Sequence[str], gold: Gold, c: float) -> dict[str, Any]:
    """The artefact of regressions fitted on all `texts`, per kind of `gold` (ids seen fewer
    than twice, or in every report, get none)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = TfidfVectorizer(**{**PARAMS, "ngram_range": tuple(PARAMS["ngram_range"])})
    x = vec.fit_transform(texts)
    kinds: dict[str, Any] = {}
    for kind, sets in gold.items():
        weights: dict[str, list[float]] = {}
        intercepts: dict[str, float] = {}
        for label in sorted({g for gs in sets for g in gs}):
            y = np.asarray([label in g for g in sets])
            if y.sum() < 2 or y.all():
                continue
            lr = LogisticRegression(C=c, max_iter=2000, class_weight="balanced").fit(x, y)
            weights[label] = lr.coef_[0].round(6).tolist()
            intercepts[label] = round(float(lr.intercept_[0]), 6)
        kinds[kind] = {"weights": weights, "intercepts": intercepts}
    vocabulary = [t for t, _ in sorted(vec.vocabulary_.items(), key=lambda kv: kv[1])]
    return {
        "params": PARAMS,
        "c": c,
        "vocabulary": vocabulary,
        "idf": vec.idf_.round(8).tolist(),
        "kinds": kinds,
    }


def out_of_fold(texts: Sequence[str], gold: Gold, c: float, folds: np.ndarray) -> list[KindScores]:
    """Each report's scores from regressions fitted on the other folds."""
    out: list[KindScores] = [{} for _ in texts]
    for k in sorted(set(folds.tolist())):
        train = [n for n in range(len(texts)) if folds[n] != k]
        held = [n for n in range(len(texts)) if folds[n] == k]
        part = {kind: [sets[n] for n in train] for kind, sets in gold.items()}
        scores = TextScores(fit([texts[n] for n in train], part, c))
        for n, s in zip(held, scores.batch([texts[n] for n in held]), strict=True):
            out[n] = s
    return out


class TextScores:
    """Scores from a fitted artefact: one TF-IDF transform per text serves every kind."""

    def __init__(self, artefact: dict[str, Any]) -> None:
        self.vectorizer = tfidf.Tfidf(artefact["params"], artefact["vocabulary"], artefact["idf"])
        width = len(artefact["vocabulary"])
        self.kinds: dict[str, tuple[list[str], np.ndarray, np.ndarray]] = {}
        for kind, spec in artefact["kinds"].items():
            labels = list(spec["weights"])
            weights = np.asarray([spec["weights"][k] for k in labels]).reshape(len(labels), width)
            intercepts = np.asarray([spec["intercepts"][k] for k in labels])
            self.kinds[kind] = (labels, weights, intercepts)

    def batch(self, texts: Sequence[str]) -> list[KindScores]:
        """Per text, per kind, the probability of each id."""
        if not texts:
            return []
        x = self.vectorizer.transform(texts)
        out: list[KindScores] = [{} for _ in texts]
        for kind, (labels, weights, intercepts) in self.kinds.items():
            if not labels:
                continue
            p = 1.0 / (1.0 + np.exp(-(x @ weights.T + intercepts)))
            for scores, row in zip(out, p, strict=True):
                scores[kind] = dict(zip(labels, row.tolist(), strict=True))
        return out
