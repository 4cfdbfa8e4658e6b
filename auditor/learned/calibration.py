"""Calibration to an organisation's graders: learn verdicts from check outcomes, apply them.

The model is a proportional-odds (ordinal logistic) regression: each failed check and the share
of SMART facets of the best objective carry one readable weight; the weighted sum is compared
with two learned thresholds (weak | adequate | strong). It is fitted with L2 regularisation by a
deterministic optimiser, stored as plain JSON beside a model card. The engine applies it to a
ReportAudit (only the verdict changes, the score stays the rubric's, and the rubric's gates hold).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from auditor.atomic import write_json_atomic
from auditor.learned.agreement import agreement
from auditor.learned.artefacts import (
    ModelLoadError,
    file_facts,
    read_verified,
    write_card,
)
from auditor.schema import VERDICTS, ReportAudit, Verdict

log = logging.getLogger("auditor.learned")
#: (calibration artefact, unseen checks) already warned about in this process: once per run.
_warned: set[tuple[str, tuple[str, ...]]] = set()

ARTEFACT = "calibration.json"
FORMAT = "fcr-auditor/calibration"
FORMAT_VERSION = 1
FAILED = "failed:"
MEASURES = ("smart_facets",)
MEASURE_NAMES = {"smart_facets": "SMART facets"}
DECIMALS = 4


def features_of(audit: ReportAudit, names: Sequence[str]) -> np.ndarray:
    """The named features of one audit: 1.0 per failed check, measurements in [0, 1]."""
    failed = {f.code for f in audit.findings}
    obj = audit.next_objective
    values = {"smart_facets": (obj.specific + obj.measurable + obj.time_bound) / 3 if obj else 0.0}
    return np.array(
        [float(n[len(FAILED) :] in failed) if n.startswith(FAILED) else values[n] for n in names]
    )


def _agreement(gold: Sequence[str], pred: Sequence[str]) -> dict[str, Any]:
    """`agreement` with the number of verdicts compared, as the model card records it."""
    return {"n": len(gold), **agreement(gold, pred)}


def _fit(x: np.ndarray, y: np.ndarray, l2: float) -> tuple[np.ndarray, np.ndarray]:
    """Weights and increasing thresholds of a proportional-odds model (P(y<=k) = σ(θk - w·x))."""
    from scipy.optimize import minimize  # ~0.7 s to import both: only training needs them
    from scipy.special import expit

    n, d = x.shape
    k = len(VERDICTS) - 1

    def thresholds(t: np.ndarray) -> np.ndarray:
        # First threshold free, the others as positive steps, so they stay ordered.
        return np.cumsum(np.concatenate([t[:1], np.exp(t[1:])]))

    def loss(theta: np.ndarray) -> float:
        w, th = theta[:d], thresholds(theta[d:])
        cum = expit(th[None, :] - (x @ w)[:, None])  # n x k: P(y <= class)
        probs = np.diff(np.hstack([np.zeros((n, 1)), cum, np.ones((n, 1))]), axis=1)
        return float(-np.log(np.clip(probs[np.arange(n), y], 1e-12, 1)).sum() + l2 * w @ w / 2)

    start = np.zeros(d + k)
    res = minimize(loss, start, method="L-BFGS-B", options={"maxiter": 2000})
    return res.x[:d], thresholds(res.x[d:])


def _feature_name(name: str) -> str:
    """A feature as the audit's explanation names it: "STAR001 failed", "SMART facets"."""
    return f"{name[len(FAILED) :]} failed" if name.startswith(FAILED) else MEASURE_NAMES[name]


def _pipeline(sentence_model: str | None) -> str:
    return f"rules + sentence model {sentence_model[:12]}" if sentence_model else "rules only"


class Calibration:
    """Readable weights and thresholds that turn check outcomes into the graders' verdicts."""

    def __init__(self, artefact: dict[str, Any]) -> None:
        try:
            if artefact["format"] != FORMAT or artefact["format_version"] != FORMAT_VERSION:
                raise ValueError(f"format {artefact['format']!r} v{artefact['format_version']}")
            self.features: tuple[str, ...] = tuple(artefact["features"])
            self.weights = np.asarray(artefact["weights"], dtype=float)
            self.thresholds = np.asarray(artefact["thresholds"], dtype=float)
            self.gates: tuple[str, ...] = tuple(artefact["gates"])
            self.sentence_model: str | None = artefact["sentence_model_sha256"]
            if self.weights.shape != (len(self.features),) or self.thresholds.shape != (2,):
                raise ValueError("weights or thresholds have the wrong length")
            if not np.all(np.diff(self.thresholds) >= 0):
                raise ValueError("thresholds are not increasing")
            unknown = [f for f in self.features if not f.startswith(FAILED) and f not in MEASURES]
            if unknown:
                raise ValueError(f"unknown features {unknown}")
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelLoadError(f"not a valid calibration: {exc}") from None
        self.artefact = artefact

    @classmethod
    def fit(
        cls,
        audits: Sequence[ReportAudit],
        verdicts: Sequence[str],
        codes: Sequence[str],
        l2: float = 1.0,
        gates: Sequence[str] = (),
        sentence_model: str | None = None,
    ) -> Calibration:
        """Fit on audits and the graders' verdicts; `codes` are the rubric's check codes."""
        names = [f"{FAILED}{c}" for c in codes] + list(MEASURES)
        x = np.vstack([features_of(a, names) for a in audits])
        y = np.array([VERDICTS.index(v) for v in verdicts])
        w, th = _fit(x, y, l2)
        return cls(
            {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "order": list(VERDICTS),
                "features": names,
                "weights": np.round(w, DECIMALS).tolist(),
                "thresholds": np.round(th, DECIMALS).tolist(),
                "gates": list(gates),
                "l2": l2,
                "sentence_model_sha256": sentence_model,
            }
        )

    def value(self, audit: ReportAudit) -> float:
        """The weighted sum of the audit's features (higher is better)."""
        return float(features_of(audit, self.features) @ self.weights)

    def verdict(self, audit: ReportAudit) -> Verdict:
        """The calibrated verdict: the class whose threshold interval holds the value."""
        if {f.code for f in audit.findings} & set(self.gates):
            return "weak"
        return VERDICTS[int(np.searchsorted(self.thresholds, self.value(audit), side="left"))]

    def explain(self, audit: ReportAudit) -> str:
        """Why the calibrated verdict is what it is: the calibration's own gate, or the value's
        range and the features that made the value, largest first."""
        gates = sorted({f.code for f in audit.findings} & set(self.gates))
        if gates:
            return f"the calibration's gate {', '.join(gates)} failed"
        value = self.value(audit)
        k = int(np.searchsorted(self.thresholds, value, side="left"))
        low, high = (f"{t:.2f}" for t in self.thresholds)
        bounds = (f"at most {low}", f"above {low}, at most {high}", f"above {high}")[k]
        terms = [
            (_feature_name(n), w * x)
            for n, w, x in zip(
                self.features, self.weights, features_of(audit, self.features), strict=True
            )
            if w * x
        ]
        made = ", ".join(f"{n} {c:+.2f}" for n, c in sorted(terms, key=lambda t: -abs(t[1])))
        return f"model value {value:.2f} is {VERDICTS[k]} ({bounds}): {made or 'no feature'}"

    def check_fits(self, codes: Sequence[str], sentence_model: str | None) -> None:
        """Raise ModelLoadError unless audits come from the pipeline and checks it was fitted on."""
        if sentence_model != self.sentence_model:
            raise ModelLoadError(
                f"calibration was fitted on audits by {_pipeline(self.sentence_model)} but the "
                f"auditor uses {_pipeline(sentence_model)}; match them or recalibrate "
                "(docs/models.md)"
            )
        missing = [
            f[len(FAILED) :]
            for f in self.features
            if f.startswith(FAILED) and f[len(FAILED) :] not in codes
        ]
        missing += [g for g in self.gates if g not in codes]
        if missing:
            raise ModelLoadError(
                f"calibration reads check(s) {', '.join(missing)} that the rule "
                "pack does not run; recalibrate (see docs/models.md)"
            )

    def unseen(self, codes: Sequence[str]) -> list[str]:
        """The checks among `codes` the calibration has no weight for: their failures cannot
        move its verdict (the rubric's gates still hold)."""
        return [c for c in codes if f"{FAILED}{c}" not in self.features]

    def warn_unseen(self, codes: Sequence[str]) -> None:
        """Log a warning, once per process, when the rule pack runs checks this calibration
        never saw."""
        unseen = tuple(self.unseen(codes))
        key = (json.dumps(self.artefact, sort_keys=True), unseen)
        if unseen and key not in _warned:
            _warned.add(key)
            log.warning(
                "calibration never saw check(s) %s: their failures do not move its verdict "
                "(the rubric's gates still hold); recalibrate (docs/models.md)",
                ", ".join(unseen),
            )

    def table(self) -> list[tuple[str, float]]:
        """Features and weights, most influential first (what a leader reads)."""
        pairs = zip(self.features, self.weights.tolist(), strict=True)
        return sorted(pairs, key=lambda fw: -abs(fw[1]))

    def save(self, directory: str | Path, card: dict[str, Any] | None = None) -> Path:
        """Write calibration.json and its model card."""
        root = Path(directory)
        write_json_atomic(root / ARTEFACT, self.artefact)
        write_card(
            root,
            "calibration",
            ARTEFACT,
            {
                "labels": list(VERDICTS),
                "weights": dict(zip(self.features, self.weights.tolist(), strict=True)),
                "thresholds": self.thresholds.tolist(),
                **(card or {}),
            },
        )
        return root

    @classmethod
    def load(cls, directory: str | Path) -> Calibration:
        """Load a verified calibration directory; raise ModelLoadError when anything is off."""
        _card, artefact = read_verified(directory, "calibration")
        return cls(artefact)


def cross_validate(
    audits: Sequence[ReportAudit],
    verdicts: Sequence[str],
    codes: Sequence[str],
    l2: float = 1.0,
    gates: Sequence[str] = (),
    folds: int = 5,
    seed: int = 0,
) -> dict[str, Any]:
    """Agreement with the graders before (rubric verdicts) and after (out-of-fold calibration)."""
    from sklearn.model_selection import StratifiedKFold

    y = np.array([VERDICTS.index(v) for v in verdicts])
    counts = np.bincount(y)
    k = max(2, min(folds, int(counts[counts > 0].min())))  # every fold must see every verdict
    pred: list[str] = [""] * len(audits)
    split = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    for train, test in split.split(np.zeros(len(y)), y):
        cal = Calibration.fit(
            [audits[i] for i in train], [verdicts[i] for i in train], codes, l2=l2, gates=gates
        )
        for i in test:
            pred[i] = cal.verdict(audits[i])
    before = [a.verdict or "weak" for a in audits]
    return {"folds": k, "before": _agreement(verdicts, before), "after": _agreement(verdicts, pred)}


def _graded(
    audits: Sequence[ReportAudit], gold: Mapping[str, str | None]
) -> tuple[list[ReportAudit], list[str]]:
    """The audited reports that carry a gold verdict, and those verdicts."""
    pairs = [(a, v) for a in audits if not a.error and (v := gold.get(a.id)) in VERDICTS]
    return [a for a, _ in pairs], [str(v) for _, v in pairs]


def calibrate(
    data: Path | Mapping[str, Any],
    audits: Sequence[ReportAudit],
    gold: Mapping[str, str | None],
    codes: Sequence[str],
    l2: float = 1.0,
    gates: Sequence[str] = (),
    sentence_model: str | None = None,
    test: tuple[Path, Sequence[ReportAudit], Mapping[str, str | None]] | None = None,
    folds: int = 5,
    seed: int = 0,
) -> tuple[Calibration, dict[str, Any]]:
    """Fit on the audits of `data` (a file, or the facts of another source such as an audit
    store) that have a gold verdict.

    The card facts hold CV agreement and, with `test` (its file, audits and gold verdicts), test
    agreement, and name each file with its sha256.
    """
    usable, verdicts = _graded(audits, gold)
    if len(usable) < 2 * len(VERDICTS):
        raise ValueError(f"only {len(usable)} audited reports carry a verdict; too few to fit")
    cal = Calibration.fit(
        usable, verdicts, codes, l2=l2, gates=gates, sentence_model=sentence_model
    )
    facts: dict[str, Any] = {
        "reports": len(usable),
        "settings": {"l2": l2, "gates": list(gates), "folds": folds, "seed": seed},
        "cross_validation": cross_validate(usable, verdicts, codes, l2, gates, folds, seed),
    }
    if test is not None:
        t_data, t_audits, t_gold = test
        t_usable, t_verdicts = _graded(t_audits, t_gold)
        facts["test_metrics"] = {
            "before": _agreement(t_verdicts, [a.verdict or "weak" for a in t_usable]),
            "after": _agreement(t_verdicts, [cal.verdict(a) for a in t_usable]),
        }
    facts["training_data"] = file_facts(data) if isinstance(data, Path) else dict(data)
    if test is not None:
        facts["test_data"] = file_facts(t_data)
    return cal, facts
