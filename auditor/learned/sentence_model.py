"""The sentence-role model: train, save, load and predict (strings in, role labels out).

The model is a multinomial logistic regression over word and character n-gram TF-IDF plus a few
cheap token features of each sentence. It is stored as plain JSON (vocabularies, idf, weights),
never pickled, beside a JSON model card that pins the artefact's sha256.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix, hstack

from auditor.atomic import write_text_atomic
from auditor.jsonlines import read_json_lines
from auditor.learned import tfidf
from auditor.learned.artefacts import (
    CARD_FILE,
    ModelLoadError,
    file_facts,
    read_verified,
    write_card,
)
from auditor.learned.hybrid import DEFAULT_HYBRID, HYBRID_FILE, ROLES, HybridConfig

MODEL_FILE = "model.json"
FORMAT = "fcr-auditor/sentence-roles"
FORMAT_VERSION = 1

#: Vectorizer settings; kept in the artefact so a loaded model rebuilds exactly these.
WORD_PARAMS: dict[str, Any] = {
    "analyzer": "word",
    "ngram_range": [1, 2],
    "min_df": 2,
    "sublinear_tf": True,
    "lowercase": True,
}
CHAR_PARAMS: dict[str, Any] = {
    "analyzer": "char_wb",
    "ngram_range": [3, 5],
    "min_df": 3,
    "sublinear_tf": True,
    "lowercase": True,
}
# Rounding the weights makes the JSON small and training reproducible to the byte.
DECIMALS = 6

_QUOTE = re.compile(r"[\"“”]|(?:^|\s)'\w")
_DIGIT = re.compile(r"\d")
_FIRST_PERSON = re.compile(r"^\W*(?:i|we|my|our)\b", re.IGNORECASE)
_YOU = re.compile(r"\byou(?:r|rs)?\b", re.IGNORECASE)
TOKEN_FEATURES = (
    "position",
    "first",
    "last",
    "quote",
    "digit",
    "question",
    "length",
    "first_person",
    "second_person",
)


# -- data ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class LabelledSentence:
    """One annotated sentence of a report."""

    report_id: str
    text: str
    role: str


def read_sentences(path: str | Path) -> list[LabelledSentence]:
    """Sentence annotations from JSON Lines ({"report_id", "text", "role"}, in report order)."""
    out = []
    p = Path(path)
    for where, obj in read_json_lines(p):
        try:
            item = LabelledSentence(str(obj["report_id"]), str(obj["text"]), str(obj["role"]))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"{where}: expected {{report_id, text, role}} ({exc!r})") from None
        if item.role not in ROLES:
            raise ValueError(f"{where}: unknown role {item.role!r}; allowed: {', '.join(ROLES)}")
        out.append(item)
    if not out:
        raise ValueError(f"{p}: no sentences")
    return out


def by_report(sentences: Iterable[LabelledSentence]) -> list[list[LabelledSentence]]:
    """Sentences grouped per report, reports and sentences in file order."""
    groups: dict[str, list[LabelledSentence]] = {}
    for s in sentences:
        groups.setdefault(s.report_id, []).append(s)
    return list(groups.values())


def token_features(sentences: Sequence[str]) -> np.ndarray:
    """Cheap per-sentence features; position features need the report's sentences in order."""
    n = len(sentences)
    rows = []
    for i, text in enumerate(sentences):
        rows.append(
            [
                i / (n - 1) if n > 1 else 0.0,  # objectives close reports, situations open them
                float(i == 0),
                float(i == n - 1),
                float(bool(_QUOTE.search(text))),  # quoted words are often the rep's voice
                float(bool(_DIGIT.search(text))),
                float(text.rstrip().endswith("?")),
                min(len(text.split()) / 30.0, 2.0),
                float(bool(_FIRST_PERSON.search(text))),
                float(bool(_YOU.search(text))),
            ]
        )
    return np.asarray(rows, dtype=float).reshape(n, len(TOKEN_FEATURES))


# -- the model ----------------------------------------------------------------------------------
def _vectorizer(
    params: dict[str, Any],
    vocabulary: Sequence[str] | None = None,
    idf: Sequence[float] | None = None,
) -> Any:
    if vocabulary is not None and idf is not None and tfidf.supports(params):
        return tfidf.Tfidf(params, vocabulary, idf)  # the same numbers, without scikit-learn
    from sklearn.feature_extraction.text import TfidfVectorizer

    kwargs = {**params, "ngram_range": tuple(params["ngram_range"])}
    if vocabulary is None:
        return TfidfVectorizer(**kwargs)
    kwargs.pop("min_df")
    vec = TfidfVectorizer(**kwargs, vocabulary={t: i for i, t in enumerate(vocabulary)})
    vec.idf_ = np.asarray(idf, dtype=float)
    return vec


def _vocabulary(vec: Any) -> list[str]:
    return [t for t, _ in sorted(vec.vocabulary_.items(), key=lambda kv: kv[1])]


class SentenceRoleModel:
    """Labels each sentence of a report with its role (strings in, labels out)."""

    def __init__(self, artefact: dict[str, Any], hybrid: HybridConfig | None = None) -> None:
        """Wrap a validated artefact; `hybrid` defaults to the shipped combination settings."""
        try:
            if artefact["format"] != FORMAT or artefact["format_version"] != FORMAT_VERSION:
                raise ValueError(f"format {artefact['format']!r} v{artefact['format_version']}")
            self.labels: tuple[str, ...] = tuple(artefact["labels"])
            self._word = _vectorizer(
                artefact["word"]["params"], artefact["word"]["vocabulary"], artefact["word"]["idf"]
            )
            self._char = _vectorizer(
                artefact["char"]["params"], artefact["char"]["vocabulary"], artefact["char"]["idf"]
            )
            self.coef = np.asarray(artefact["coef"], dtype=float)
            self.intercept = np.asarray(artefact["intercept"], dtype=float)
            n_features = (
                len(artefact["word"]["vocabulary"])
                + len(artefact["char"]["vocabulary"])
                + len(TOKEN_FEATURES)
            )
            if list(artefact["token_features"]) != list(TOKEN_FEATURES):
                raise ValueError("token features differ from this version's")
            if self.coef.shape != (len(self.labels), n_features) or self.intercept.shape != (
                len(self.labels),
            ):
                raise ValueError(
                    f"weights of shape {self.coef.shape} do not fit "
                    f"{len(self.labels)} labels x {n_features} features"
                )
            if set(self.labels) - set(ROLES):
                raise ValueError(f"unknown labels {sorted(set(self.labels) - set(ROLES))}")
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelLoadError(f"not a valid sentence-role model: {exc}") from None
        self.artefact = artefact
        self.hybrid = hybrid or HybridConfig.load(DEFAULT_HYBRID)

    @classmethod
    def train(
        cls, sentences: Sequence[LabelledSentence], c: float = 20.0, seed: int = 0
    ) -> SentenceRoleModel:
        """Fit on annotated sentences (deterministic for a given input and seed)."""
        from sklearn.linear_model import LogisticRegression

        groups = by_report(sentences)
        texts = [s.text for g in groups for s in g]
        y = [s.role for g in groups for s in g]
        word, char = _vectorizer(WORD_PARAMS), _vectorizer(CHAR_PARAMS)
        x = hstack(
            [
                word.fit_transform(texts),
                char.fit_transform(texts),
                csr_matrix(np.vstack([token_features([s.text for s in g]) for g in groups])),
            ]
        ).tocsr()
        est = LogisticRegression(C=c, class_weight="balanced", max_iter=5000, random_state=seed)
        est.fit(x, y)
        return cls(
            {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "labels": [str(label) for label in est.classes_],
                "word": {
                    "params": WORD_PARAMS,
                    "vocabulary": _vocabulary(word),
                    "idf": np.round(word.idf_, DECIMALS).tolist(),
                },
                "char": {
                    "params": CHAR_PARAMS,
                    "vocabulary": _vocabulary(char),
                    "idf": np.round(char.idf_, DECIMALS).tolist(),
                },
                "token_features": list(TOKEN_FEATURES),
                "coef": np.round(est.coef_, DECIMALS).tolist(),
                "intercept": np.round(est.intercept_, DECIMALS).tolist(),
                "settings": {
                    "C": c,
                    "seed": seed,
                    "class_weight": "balanced",
                    "estimator": "LogisticRegression(lbfgs, multinomial)",
                },
            }
        )

    def predict_proba(self, sentences: Sequence[str]) -> np.ndarray:
        """Role probabilities (rows: sentences, columns: `labels`) for one report's sentences."""
        return self.predict_proba_reports([sentences])[0]

    def predict_proba_reports(self, reports: Sequence[Sequence[str]]) -> list[np.ndarray]:
        """`predict_proba` for several reports in one pass (much cheaper than one call each)."""
        flat = [s for sentences in reports for s in sentences]
        if not flat:
            return [np.zeros((0, len(self.labels))) for _ in reports]
        # Position features are relative to each report's own sentences.
        features = np.vstack([token_features(sentences) for sentences in reports])
        x = hstack(
            [self._word.transform(flat), self._char.transform(flat), csr_matrix(features)]
        ).tocsr()
        z = x @ self.coef.T + self.intercept
        z = np.exp(z - z.max(axis=1, keepdims=True))  # softmax, as multinomial LR predicts
        proba = z / z.sum(axis=1, keepdims=True)
        return np.split(proba, np.cumsum([len(sentences) for sentences in reports])[:-1])

    def predict(self, sentences: Sequence[str]) -> list[str]:
        """The most likely role of each sentence of one report."""
        proba = self.predict_proba(sentences)
        return [self.labels[i] for i in proba.argmax(axis=1)]

    def evaluate(self, sentences: Sequence[LabelledSentence]) -> dict[str, Any]:
        """Accuracy, macro F1, per-role precision/recall/F1 and confusion on annotated data."""
        from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
        from sklearn.metrics import precision_recall_fscore_support as prfs

        gold, pred = [], []
        for group in by_report(sentences):
            gold += [s.role for s in group]
            pred += self.predict([s.text for s in group])
        labels = list(self.labels)
        p, r, f, n = prfs(gold, pred, labels=labels, zero_division=0)
        return {
            "n": len(gold),
            "accuracy": round(float(accuracy_score(gold, pred)), 4),
            "macro_f1": round(
                float(f1_score(gold, pred, labels=labels, average="macro", zero_division=0)), 4
            ),
            "labels": {
                lab: {
                    "precision": round(float(p[i]), 4),
                    "recall": round(float(r[i]), 4),
                    "f1": round(float(f[i]), 4),
                    "support": int(n[i]),
                }
                for i, lab in enumerate(labels)
            },
            "confusion": confusion_matrix(gold, pred, labels=labels).tolist(),
            "order": labels,
        }

    @cached_property
    def sha256(self) -> str:
        """Digest of the serialised weights (what a model card pins; computed once)."""
        return hashlib.sha256(_dumps(self.artefact).encode("utf-8")).hexdigest()

    def save(self, directory: str | Path, card: dict[str, Any] | None = None) -> Path:
        """Write model.json, card.json and (unless present) the shipped hybrid.yaml."""
        root = Path(directory)
        root.mkdir(parents=True, exist_ok=True)
        write_text_atomic(root / MODEL_FILE, _dumps(self.artefact))
        write_card(
            root,
            "sentence_roles",
            MODEL_FILE,
            {"labels": list(self.labels), "settings": self.artefact["settings"], **(card or {})},
        )
        if not (root / HYBRID_FILE).is_file():
            write_text_atomic(root / HYBRID_FILE, DEFAULT_HYBRID.read_text(encoding="utf-8"))
        return root

    @classmethod
    def load(cls, directory: str | Path) -> SentenceRoleModel:
        """Load a verified model directory; raise ModelLoadError when anything does not fit."""
        root = Path(directory)
        card, artefact = read_verified(root, "sentence_roles")
        model = cls(artefact, HybridConfig.load(root / HYBRID_FILE))
        if list(card.get("labels", [])) != list(model.labels):
            raise ModelLoadError(
                f"{root / CARD_FILE}: label set {card.get('labels')} "
                f"does not match the model's {list(model.labels)}"
            )
        return model


def train_from_file(
    path: str | Path, test: str | Path | None = None, c: float = 20.0, seed: int = 0
) -> tuple[SentenceRoleModel, dict[str, Any]]:
    """Train on an annotation file; the card facts include test metrics when `test` is given."""
    train_set = read_sentences(path)
    model = SentenceRoleModel.train(train_set, c=c, seed=seed)
    card: dict[str, Any] = {"training_data": _data_facts(Path(path), train_set)}
    if test is not None:
        test_set = read_sentences(test)
        card["test_data"] = _data_facts(Path(test), test_set)
        card["test_metrics"] = model.evaluate(test_set)
    return model, card


def _data_facts(path: Path, sentences: Sequence[LabelledSentence]) -> dict[str, Any]:
    return {
        **file_facts(path),
        "sentences": len(sentences),
        "reports": len({s.report_id for s in sentences}),
    }


def _dumps(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
