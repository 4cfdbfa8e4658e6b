"""How the sentence-role model joins the rules: settings (hybrid.yaml) and the combination.

`combine` adds the model's sentence roles to the rules' annotations as documented in
docs/models.md; `with_sources` says in each finding whether rules, the model or both fired.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from auditor.annotations import Annotations, Hit, Objective, SentenceFacts
from auditor.config import validation_problems
from auditor.learned.artefacts import MODELS_DIR, ModelLoadError
from auditor.schema import Finding

#: The roles the sentence model labels sentences with (the keys hybrid.yaml may use).
ROLES = (
    "situation",
    "action",
    "result",
    "next_objective",
    "reinforcement",
    "judgement",
    "rep_voice",
    "other",
)
HYBRID_FILE = "hybrid.yaml"
#: The shipped settings, copied into a newly trained model's directory.
DEFAULT_HYBRID = MODELS_DIR / "sentence_roles" / HYBRID_FILE


class HybridConfig(BaseModel):
    """How model roles become signal evidence (models/NAME/hybrid.yaml)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    threshold: float = Field(ge=0, le=1)
    thresholds: dict[Literal[ROLES], float] = Field(default_factory=dict)  # type: ignore[valid-type]
    signals: dict[Literal[ROLES], str]  # type: ignore[valid-type]
    rule_only: tuple[str, ...] = ()

    @classmethod
    def load(cls, path: Path) -> HybridConfig:
        """Read and validate a hybrid.yaml; ModelLoadError names the file and key."""
        if not path.is_file():
            raise ModelLoadError(f"{path}: combination settings not found")
        try:
            return cls.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        except yaml.YAMLError as exc:
            raise ModelLoadError(f"{path}: not valid YAML: {exc}") from None
        except ValidationError as exc:
            details = "; ".join(validation_problems(exc))
            raise ModelLoadError(f"{path}: {details}") from None

    def threshold_for(self, role: str) -> float:
        """The probability a sentence needs for its role to count."""
        return self.thresholds.get(role, self.threshold)


Mode = Literal["hybrid", "model"]
MODEL_SOURCE = "model:"


def protected_signals(config: HybridConfig, signal_of: Mapping[str, str | None]) -> set[str]:
    """Signals read by checks the configuration marks rule-only."""
    return {s for code in config.rule_only if (s := signal_of.get(code))}


def open_roles(
    ann: Annotations,
    labels: Sequence[str],
    config: HybridConfig,
    protected: AbstractSet[str] = frozenset(),
    mode: Mode = "hybrid",
) -> list[tuple[str, str]]:
    """The (role, signal) pairs the model fills for this report.

    hybrid: configured signals the rules found nothing for, except `protected` ones; model:
    every configured signal. An empty list means the model's predictions would not be used.
    """
    return [
        (role, signal)
        for role, signal in config.signals.items()
        if role in labels and (mode == "model" or (signal not in protected and not ann.has(signal)))
    ]


def combine(
    ann: Annotations,
    sentences: Sequence[SentenceFacts],
    proba: np.ndarray,
    labels: Sequence[str],
    config: HybridConfig,
    protected: AbstractSet[str] = frozenset(),
    mode: Mode = "hybrid",
    window: int = 1,
) -> Annotations:
    """Annotations with model evidence added (hybrid) or with the role signals replaced (model).

    hybrid: for each configured signal the rules found nothing for, sentences whose role
    probability reaches the threshold become its evidence; `protected` signals are never touched.
    model: the configured signals come from the model alone, each sentence counting for its
    most likely role (an ablation; nothing protected, no thresholds).
    """
    signals = dict(ann.signals)
    objectives = ann.objectives
    for role, signal in open_roles(ann, labels, config, protected, mode):
        col = list(labels).index(role)
        if mode == "model":  # the model's own decision: the sentence's most likely role
            chosen = [i for i in range(len(sentences)) if proba[i].argmax() == col]
        else:
            chosen = [
                i for i in range(len(sentences)) if proba[i, col] >= config.threshold_for(role)
            ]
        signals[signal] = tuple(
            Hit(
                sentences[i].start,
                sentences[i].end,
                signal,
                sentences[i].text,
                f"{MODEL_SOURCE}p={proba[i, col]:.2f}",
            )
            for i in chosen
        )
        if signal == "next_objective":
            objectives = _objectives(sentences, chosen, window)
    return dataclasses.replace(ann, signals=signals, objectives=objectives)


def _objectives(
    sentences: Sequence[SentenceFacts], chosen: list[int], window: int
) -> tuple[Objective, ...]:
    """Objectives from model-chosen sentences; facets may come from the next `window` of them."""
    picked = set(chosen)
    out = []
    for i in chosen:
        group = [sentences[j] for j in range(i, min(i + 1 + window, len(sentences))) if j in picked]
        s = sentences[i]
        out.append(
            Objective(
                s.start,
                s.end,
                s.text,
                specific=any(g.specific for g in group),
                measurable=any(g.measurable for g in group),
                time_bound=any(g.time_bound for g in group),
            )
        )
    return tuple(out)


def fired_by(hits: Iterable[Hit]) -> str:
    """Which side produced these hits: "rules", "model", "rules+model" or "none"."""
    sides = {"model" if h.source.startswith(MODEL_SOURCE) else "rules" for h in hits}
    return "+".join(sorted(sides, key=("rules", "model").index)) or "none"


def with_sources(
    findings: Sequence[Finding], ann: Annotations, signal_of: Mapping[str, str | None]
) -> list[Finding]:
    """Findings whose explanation also says whether rules, the model or both fired."""
    out = []
    for f in findings:
        signal = signal_of.get(f.code)
        if not signal:
            out.append(f)
            continue
        hits = ann.signal(signal)
        spans = {(e.start, e.end) for e in f.evidence}
        own = [h for h in hits if (h.start, h.end) in spans] or hits  # this finding's evidence
        side = fired_by(own)
        note = "neither rules nor model fired" if side == "none" else f"{side} fired"
        explanation = f"{f.explanation}; {note}" if f.explanation else note
        out.append(f.model_copy(update={"explanation": explanation}))
    return out
