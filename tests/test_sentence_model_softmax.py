"""The sentence model's own softmax gives scikit-learn's LogisticRegression probabilities."""

from __future__ import annotations

import numpy as np
from numpy.testing import assert_allclose
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from auditor.learned.sentence_model import (
    CHAR_PARAMS,
    WORD_PARAMS,
    LabelledSentence,
    SentenceRoleModel,
    by_report,
    token_features,
)

_ROLES = {
    "situation": "The call with Dr {n} was planned to discuss the renal data.",
    "action": "You asked Dr {n} two open questions about her patients.",
    "result": "As a result Dr {n} agreed to try it in new patients.",
    "next_objective": "By the next visit, ask Dr {n} three open questions per call.",
}
SENTENCES = [
    LabelledSentence(f"r{i}", text.format(n=name), role)
    for i, name in enumerate(("Ruiz", "Chen", "Patel", "Lee", "Ng"))
    for role, text in _ROLES.items()
]


def _vectorizer(params: dict) -> TfidfVectorizer:
    return TfidfVectorizer(**{**params, "ngram_range": tuple(params["ngram_range"])})


def test_predict_proba_equals_scikit_learn() -> None:
    sentences = SENTENCES
    model = SentenceRoleModel.train(sentences, c=20.0, seed=0)

    groups = by_report(sentences)
    texts = [s.text for g in groups for s in g]
    word, char = _vectorizer(WORD_PARAMS), _vectorizer(CHAR_PARAMS)
    x = hstack(
        [
            word.fit_transform(texts),
            char.fit_transform(texts),
            csr_matrix(np.vstack([token_features([s.text for s in g]) for g in groups])),
        ]
    )
    est = LogisticRegression(C=20.0, class_weight="balanced", max_iter=5000, random_state=0)
    est.fit(x.tocsr(), [s.role for g in groups for s in g])
    assert model.labels == tuple(est.classes_)

    ours = np.vstack(model.predict_proba_reports([[s.text for s in g] for g in groups]))
    # The artefact rounds weights and idf to 6 decimals: equal up to that rounding.
    assert_allclose(ours, est.predict_proba(x.tocsr()), atol=1e-5)

    unseen = [text.format(n="Okafor") for text in _ROLES.values()]
    x_new = hstack(
        [word.transform(unseen), char.transform(unseen), csr_matrix(token_features(unseen))]
    ).tocsr()
    assert_allclose(model.predict_proba(unseen), est.predict_proba(x_new), atol=1e-5)
