"""Report-level text scores: how likely a report coaches each competency (or serves each
priority), read from all of its words.

One-vs-rest logistic regressions over the report's TF-IDF word 1-2-grams. The focus decision
reads a candidate's score as one more feature: the rules' candidate facts see only the sentences
that mention a candidate, these scores see the whole report. Training gives out-of-fold scores
(each report scored by regressions fitted without it) so the focus decision learns how far to
trust scores on unseen reports. Prediction is numpy only (`auditor.learned.tfidf`); the
artefact is JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
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


def fit(
    texts: Sequence[str], gold: Sequence[frozenset[str]], labels: Sequence[str], c: float
) -> dict[str, Any]:
    """The artefact of regressions fitted on all `texts` (labels seen fewer than twice get none)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    kwargs = {**PARAMS, "ngram_range": tuple(PARAMS["ngram_range"])}
    vec = TfidfVectorizer(**kwargs)
    x = vec.fit_transform(texts)
    vocabulary = [t for t, _ in sorted(vec.vocabulary_.items(), key=lambda kv: kv[1])]
    weights: dict[str, list[float]] = {}
    intercepts: dict[str, float] = {}
    for label in labels:
        y = np.asarray([label in g for g in gold])
        if y.sum() < 2 or y.all():
            continue
        lr = LogisticRegression(C=c, max_iter=2000, class_weight="balanced").fit(x, y)
        weights[label] = lr.coef_[0].round(6).tolist()
        intercepts[label] = round(float(lr.intercept_[0]), 6)
    return {
        "params": PARAMS,
        "c": c,
        "vocabulary": vocabulary,
        "idf": vec.idf_.round(8).tolist(),
        "weights": weights,
        "intercepts": intercepts,
    }


def out_of_fold(
    texts: Sequence[str],
    gold: Sequence[frozenset[str]],
    labels: Sequence[str],
    c: float,
    folds: np.ndarray,
) -> list[dict[str, float]]:
    """Each report's scores from regressions fitted on the other folds."""
    out: list[dict[str, float]] = [{} for _ in texts]
    for k in sorted(set(folds.tolist())):
        train = [n for n in range(len(texts)) if folds[n] != k]
        held = [n for n in range(len(texts)) if folds[n] == k]
        scores = TextScores(fit([texts[n] for n in train], [gold[n] for n in train], labels, c))
        for n, s in zip(held, scores.batch([texts[n] for n in held]), strict=True):
            out[n] = s
    return out


class TextScores:
    """Scores from a fitted artefact."""

    def __init__(self, artefact: dict[str, Any]) -> None:
        self.vectorizer = tfidf.Tfidf(artefact["params"], artefact["vocabulary"], artefact["idf"])
        self.labels = list(artefact["weights"])
        self.weights = np.asarray([artefact["weights"][k] for k in self.labels]).reshape(
            len(self.labels), len(artefact["vocabulary"])
        )
        self.intercepts = np.asarray([artefact["intercepts"][k] for k in self.labels])

    def batch(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """Per text, the probability of each label."""
        if not texts or not self.labels:
            return [{} for _ in texts]
        z = self.vectorizer.transform(texts) @ self.weights.T + self.intercepts
        p = 1.0 / (1.0 + np.exp(-z))
        return [dict(zip(self.labels, row.tolist(), strict=True)) for row in p]
