"""The learned focus decision: which mentioned competencies a report coaches, which priorities
it serves.

The rules find the candidates (every competency or priority mentioned) and the evidence; a small
logistic regression per kind reads each candidate's facts (`Candidate.features`: counts by
sentence role, position, the rules' own score, the strongest competitor) and the words of the
sentences that mention it, and keeps the candidates whose probability reaches a threshold chosen
by cross-validation on the training reports. Prediction is numpy only; the weights are JSON.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from auditor.annotations import Annotations, Candidate
from auditor.atomic import write_text_atomic
from auditor.learned import text_scores
from auditor.learned.artefacts import file_facts, read_verified, write_card

MODEL_FILE = "focus.json"
KIND = "focus_model"
KINDS = ("competency", "priority")
#: The report-level label each candidate kind is judged against.
GOLD_KEY = {"competency": "competencies", "priority": "priorities"}
#: Regularisation of the report text scores (compared by cross-validation on dev: 1, 4, 16).
TEXT_C = 4.0


@dataclass(frozen=True)
class Example:
    """One report's candidates, rep level, text and gold ids per kind (for training)."""

    candidates: tuple[Candidate, ...]
    rep_level: str | None
    gold: dict[str, frozenset[str]]
    text: str = ""
    #: Text scores per kind; during training, the out-of-fold ones.
    scores: dict[str, Scores] = dataclasses.field(default_factory=dict)


#: A report's text score per id of one kind (empty without a text model).
Scores = dict[str, float]

#: Name prefixes of the word and word-pair features.
WORD_PREFIXES = ("w=", "b=")


def _of(candidates: Iterable[Candidate], kind: str) -> list[Candidate]:
    """The candidates of one kind, in order."""
    return [c for c in candidates if c.kind == kind]


def _ngrams(words: Sequence[str]) -> set[str]:
    grams = {f"w={w}" for w in words}
    grams.update(f"b={a} {b}" for a, b in zip(words, words[1:], strict=False))
    return grams


def _raw(c: Candidate, rep_level: str | None, scores: Scores) -> dict[str, float]:
    """Every feature of a candidate, before the vocabulary selects the columns.

    With report text scores, `text_p` is the candidate's score and `text_rank` how many ids
    of its kind score higher.
    """
    out = dict(c.features)
    out["rep_new"] = float(rep_level == "new")
    if scores:
        p = scores.get(c.id, 0.0)
        out["text_p"] = p
        out["text_rank"] = float(sum(1 for v in scores.values() if v > p))
    out.update(dict.fromkeys(_ngrams(c.words), 1.0))
    return out


class _Side:
    """The decision for one candidate kind: columns, standardisation, weights and rule."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.columns = {name: i for i, name in enumerate(spec["features"])}
        self.mean = np.asarray(spec["mean"], dtype=float)
        self.scale = np.asarray(spec["scale"], dtype=float)
        self.weights = np.asarray(spec["weights"], dtype=float)
        self.intercept = float(spec["intercept"])
        self.threshold = float(spec["threshold"])
        self.max_chosen: int | None = spec["max_chosen"]
        self.floor: float | None = spec.get("floor")

    def matrix(self, rows: Sequence[dict[str, float]]) -> np.ndarray:
        x = np.zeros((len(rows), len(self.columns)))
        for r, row in enumerate(rows):
            for name, value in row.items():
                j = self.columns.get(name)
                if j is not None:
                    x[r, j] = value
        return x

    def probas(
        self, cands: Sequence[Candidate], rep_level: str | None, scores: Scores
    ) -> list[float]:
        """The probability that each candidate is coached (or served)."""
        if not cands:
            return []
        x = self.matrix([_raw(c, rep_level, scores) for c in cands])
        z = ((x - self.mean) / self.scale) @ self.weights + self.intercept
        return (1.0 / (1.0 + np.exp(-z))).tolist()


def choose(
    proba: Sequence[float], threshold: float, max_chosen: int | None, floor: float | None = None
) -> list[int]:
    """Indices of the chosen candidates, most probable first.

    A candidate is chosen when its probability reaches `threshold`; with a `floor`, the most
    probable one is chosen when it reaches the floor (a report usually coaches something).
    """
    order = sorted(range(len(proba)), key=lambda i: -proba[i])
    chosen = [i for i in order if proba[i] >= threshold]
    if not chosen and order and floor is not None and proba[order[0]] >= floor:
        chosen = order[:1]
    return chosen[:max_chosen] if max_chosen else chosen


class FocusModel:
    """Decides focus competencies and served priorities among the rules' candidates."""

    def __init__(self, artefact: dict[str, Any]) -> None:
        self.artefact = artefact
        self.sides = {kind: _Side(artefact["kinds"][kind]) for kind in KINDS}
        text = artefact.get("text")
        self.text = text_scores.TextScores(text) if text else None

    @cached_property
    def sha256(self) -> str:
        """Digest of the serialised weights (what a model card pins)."""
        return hashlib.sha256(_dumps(self.artefact).encode("utf-8")).hexdigest()

    def scores(self, text: str) -> text_scores.KindScores:
        """The report's text scores per kind (none without a text model)."""
        return self.text.batch([text])[0] if self.text else {}

    def probabilities(
        self, ann: Annotations, kind: str, scores: text_scores.KindScores | None = None
    ) -> list[tuple[Candidate, float]]:
        """Each candidate of a kind with the probability that the report coaches/serves it
        (`scores`: the report's text scores, when already computed)."""
        cands = _of(ann.candidates, kind)
        if scores is None:
            scores = self.scores(ann.text) if cands else {}
        probas = self.sides[kind].probas(cands, ann.rep_level, scores.get(kind, {}))
        return list(zip(cands, probas, strict=True))

    def decide(self, ann: Annotations) -> Annotations:
        """The annotations with the model's focus and priorities; evidence stays rule mentions."""
        chosen: dict[str, list[Candidate]] = {}
        scores = self.scores(ann.text) if ann.candidates else {}
        for kind in KINDS:
            pairs = self.probabilities(ann, kind, scores)
            side = self.sides[kind]
            idx = choose([p for _, p in pairs], side.threshold, side.max_chosen, side.floor)
            chosen[kind] = [pairs[i][0] for i in idx]
        focus = tuple(c.id for c in chosen["competency"])
        evidence = tuple(h for c in chosen["competency"] for h in c.evidence)
        keep = {c.id for c in chosen["priority"]}
        priorities = tuple(h for h in ann.priorities if h.label in keep)
        signals = dict(ann.signals)
        signals["focus_competencies"] = evidence
        signals["priorities"] = tuple(h for h in ann.signal("priorities") if h.label in keep)
        return dataclasses.replace(
            ann, focus=focus, focus_evidence=evidence, priorities=priorities, signals=signals
        )

    def chosen_c(self) -> dict[str, float]:
        """The regularisation each kind was fitted with (to refit it the same way)."""
        return {kind: float(self.artefact["kinds"][kind]["c"]) for kind in KINDS}

    @property
    def text_c(self) -> float | None:
        """The regularisation of its report text scores (None: it has none)."""
        return self.artefact["settings"].get("text_c")

    @classmethod
    def train(
        cls,
        examples: Sequence[Example],
        c: float | Mapping[str, float] | None = None,
        min_df: int = 3,
        seed: int = 0,
        text_c: float | None = TEXT_C,
    ) -> tuple[FocusModel, dict[str, Any]]:
        """Fit both kinds; C (unless given), the threshold and the cap come from 5-fold
        cross-validation by report. With `text_c`, each kind also gets report text scores
        (`auditor.learned.text_scores`, regularisation `text_c`) as candidate features.

        Returns the model and what its card records (cross-validated figures per kind).
        """
        text = _text_model(examples, text_c, seed) if text_c else None
        scored = examples
        if text:
            scored = [
                dataclasses.replace(ex, scores=oof)
                for ex, oof in zip(examples, text[1], strict=True)
            ]
        kinds, cv = {}, {}
        for kind in KINDS:
            strength = c.get(kind) if isinstance(c, Mapping) else c
            kinds[kind], cv[kind] = _fit_side(scored, kind, strength, min_df, seed)
        settings = {"c": dict(c) if isinstance(c, Mapping) else c, "min_df": min_df}
        settings.update({"seed": seed, "text_c": text_c})
        artefact = {"kinds": kinds, "settings": settings, "text": text[0] if text else None}
        return cls(artefact), {"cross_validation": cv}

    def save(self, directory: str | Path, card: dict[str, Any] | None = None) -> Path:
        """Write focus.json and its card.json."""
        root = Path(directory)
        root.mkdir(parents=True, exist_ok=True)
        write_text_atomic(root / MODEL_FILE, _dumps(self.artefact))
        write_card(root, KIND, MODEL_FILE, {"settings": self.artefact["settings"], **(card or {})})
        return root

    @classmethod
    def load(cls, directory: str | Path) -> FocusModel:
        """Load a verified model directory; raise ModelLoadError when anything does not fit."""
        _, artefact = read_verified(directory, KIND)
        return cls(artefact)


def _rows(examples: Iterable[Example], kind: str) -> tuple[list[dict[str, float]], np.ndarray]:
    """Feature rows and 0/1 targets of every candidate of a kind."""
    rows, y = [], []
    for ex in examples:
        for cand in _of(ex.candidates, kind):
            rows.append(_raw(cand, ex.rep_level, ex.scores.get(kind, {})))
            y.append(int(cand.id in ex.gold[GOLD_KEY[kind]]))
    return rows, np.asarray(y)


def _fit_weights(
    rows: Sequence[dict[str, float]], y: np.ndarray, c: float, min_df: int, seed: int
) -> dict[str, Any]:
    """Columns (features seen in at least `min_df` rows), standardisation and weights."""
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    if not rows:
        return {"features": [], "mean": [], "scale": [], "weights": [], "intercept": -8.0}
    df: dict[str, int] = {}
    for row in rows:
        for name in row:
            df[name] = df.get(name, 0) + 1
    names = sorted(n for n, k in df.items() if k >= min_df)
    column = {name: j for j, name in enumerate(names)}
    data, indices, indptr = [], [], [0]
    for row in rows:
        for name, value in row.items():
            if name in column:
                indices.append(column[name])
                data.append(value)
        indptr.append(len(indices))
    x = csr_matrix((data, indices, indptr), shape=(len(rows), len(names)))
    # Counts and positions are standardised; word features stay 0/1 (and the matrix sparse).
    mean, scale = np.zeros(len(names)), np.ones(len(names))
    numeric = [j for j, name in enumerate(names) if not name.startswith(WORD_PREFIXES)]
    dense = x[:, numeric].toarray()
    mean[numeric], scale[numeric] = dense.mean(axis=0), dense.std(axis=0)
    scale[scale == 0] = 1.0
    facts = {"features": names, "mean": mean.round(8).tolist(), "scale": scale.round(8).tolist()}
    if len(set(y.tolist())) < 2:  # a small fold: every candidate chosen, or none
        return {**facts, "weights": [0.0] * len(names), "intercept": 8.0 if y.any() else -8.0}
    x = x.tolil()
    x[:, numeric] = (dense - mean[numeric]) / scale[numeric]
    lr = LogisticRegression(C=c, max_iter=2000, random_state=seed)
    lr.fit(x.tocsr(), y)
    return {
        **facts,
        "weights": lr.coef_[0].round(8).tolist(),
        "intercept": round(float(lr.intercept_[0]), 8),
    }


THRESHOLDS = tuple(round(t, 2) for t in np.arange(0.05, 0.71, 0.05))
CAPS: tuple[int | None, ...] = (1, 2, 3, None)
FLOORS: tuple[float | None, ...] = (None, 0.02, 0.05, 0.1)


#: Inverse regularisation strengths tried when none is given.
CS = (0.01, 0.03, 0.1, 0.5, 2.0)


def _fit_side(
    examples: Sequence[Example], kind: str, c: float | None, min_df: int, seed: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Weights on all reports; C, threshold and cap maximising cross-validated micro F1."""
    folds = np.random.default_rng(seed).permutation(len(examples)) % 5
    targets = _targets(examples, kind)
    best: tuple[float, float, float, int | None, float | None] = (-1.0, 0.0, 0.5, None, None)
    for strength in CS if c is None else (c,):
        proba = _cross_validated(examples, folds, kind, strength, min_df, seed)
        for t in THRESHOLDS:
            for cap in CAPS:
                for floor in FLOORS:
                    f1 = _micro_f1(targets, proba, t, cap, floor)
                    if f1 > best[0]:
                        best = (f1, strength, t, cap, floor)
    f1, strength, threshold, cap, floor = best
    rows, y = _rows(examples, kind)
    spec = {
        **_fit_weights(rows, y, strength, min_df, seed),
        "c": strength,
        "threshold": threshold,
        "max_chosen": cap,
        "floor": floor,
    }
    rules_f1 = _micro_f1(targets, _rule_proba(examples, kind), 0.5, None)
    return spec, {
        "micro_f1": round(f1, 4),
        "rules_micro_f1": round(rules_f1, 4),
        "c": strength,
        "threshold": threshold,
        "max_chosen": cap,
        "floor": floor,
        "candidates": len(rows),
    }


def _cross_validated(
    examples: Sequence[Example], folds: np.ndarray, kind: str, c: float, min_df: int, seed: int
) -> dict[int, list[float]]:
    """Each report's candidate probabilities from a model fitted on the other folds."""
    proba: dict[int, list[float]] = {}
    for k in range(5):
        train = [ex for n, ex in enumerate(examples) if folds[n] != k]
        rows, y = _rows(train, kind)
        side = _Side(
            {**_fit_weights(rows, y, c, min_df, seed), "threshold": 0.5, "max_chosen": None}
        )
        for n, ex in enumerate(examples):
            if folds[n] == k:
                proba[n] = side.probas(
                    _of(ex.candidates, kind), ex.rep_level, ex.scores.get(kind, {})
                )
    return proba


def _text_model(
    examples: Sequence[Example], c: float, seed: int
) -> tuple[dict[str, Any], list[text_scores.KindScores]] | None:
    """Report text scores: the artefact fitted on all reports and every report's out-of-fold
    scores (folds drawn apart from the focus decision's); None without texts."""
    if not all(ex.text for ex in examples):
        return None
    texts = [ex.text for ex in examples]
    gold = {kind: [ex.gold[key] for ex in examples] for kind, key in GOLD_KEY.items()}
    folds = np.random.default_rng(seed + 1).permutation(len(examples)) % 5
    oof = text_scores.out_of_fold(texts, gold, c, folds)
    return text_scores.fit(texts, gold, c), oof


def _rule_proba(examples: Sequence[Example], kind: str) -> dict[int, list[float]]:
    """The rules' own decision as 0/1 probabilities (the baseline in the card)."""
    return {
        n: [c.features["rules_chose"] for c in _of(ex.candidates, kind)]
        for n, ex in enumerate(examples)
    }


def _targets(examples: Sequence[Example], kind: str) -> list[tuple[list[str], frozenset[str]]]:
    """Per report: the ids of its candidates of a kind, in order, and its gold ids."""
    return [([c.id for c in _of(ex.candidates, kind)], ex.gold[GOLD_KEY[kind]]) for ex in examples]


def _micro_f1(
    targets: Sequence[tuple[list[str], frozenset[str]]],
    proba: dict[int, list[float]],
    threshold: float,
    cap: int | None,
    floor: float | None = None,
) -> float:
    """Report-level micro F1 of a decision rule (gold ids without a candidate count as misses)."""
    tp = fp = fn = 0
    for n, (ids, gold) in enumerate(targets):
        picked = {ids[i] for i in choose(proba[n], threshold, cap, floor)}
        tp += len(picked & gold)
        fp += len(picked - gold)
        fn += len(gold - picked)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def evaluate_focus(model: FocusModel, examples: Sequence[Example]) -> dict[str, Any]:
    """Report-level micro F1 per kind of the model and of the rules on held-out examples."""
    out = {}
    for kind in KINDS:
        side, targets = model.sides[kind], _targets(examples, kind)
        proba = {
            n: side.probas(
                _of(ex.candidates, kind), ex.rep_level, model.scores(ex.text).get(kind, {})
            )
            for n, ex in enumerate(examples)
        }
        out[kind] = {
            "micro_f1": round(
                _micro_f1(targets, proba, side.threshold, side.max_chosen, side.floor), 4
            ),
            "rules_micro_f1": round(_micro_f1(targets, _rule_proba(examples, kind), 0.5, None), 4),
        }
    return out


def train_examples(
    labelled: Iterable[tuple[Annotations, dict[str, Any]]],
) -> list[Example]:
    """Training examples from annotations and their gold labels."""
    return [
        Example(
            ann.candidates,
            ann.rep_level,
            {key: frozenset(gold.get(key, ())) for key in GOLD_KEY.values()},
            ann.text,
        )
        for ann, gold in labelled
    ]


def data_facts(path: Path, examples: Sequence[Example]) -> dict[str, Any]:
    """What a card records of the training file."""
    return {**file_facts(path), "reports": len(examples)}


def _dumps(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
