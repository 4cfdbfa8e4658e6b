"""Gold labels vs audits -> metrics (the contract of `auditor eval --format json`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.jsonlines import JsonLineError, read_json_lines
from auditor.learned.agreement import agreement
from auditor.schema import VERDICTS, FailedRecord, Report, ReportAudit, Signals, StarStatus

if TYPE_CHECKING:
    from auditor.engine import Auditor
    from auditor.learned.calibration import Calibration
    from auditor.learned.focus_model import FocusModel
    from auditor.learned.sentence_model import SentenceRoleModel

#: The yes/no labels of the rater's guide, named as in `auditor eval`'s JSON contract.
BINARY_KEYS = (
    *(f"star.{part}" for part in StarStatus.model_fields),
    "next_objective",
    "next_objective_smart",
    *Signals.model_fields,
)
SET_KEYS = ("priorities", "competencies")
LABEL_KEYS = SET_KEYS + BINARY_KEYS


class LabelError(ValueError):
    """A labelled file is unusable (exit code 2)."""


class AblationError(ValueError):
    """The learned pieces an ablation compares are missing or do not fit together (exit 2)."""


def read_labels(path: Path) -> dict[str, dict[str, Any]]:
    """Gold labels by report id from a labels.md-format JSON Lines file."""
    gold: dict[str, dict[str, Any]] = {}
    try:
        for where, obj in read_json_lines(path):
            if (
                not isinstance(obj, dict)
                or not isinstance(obj.get("labels"), dict)
                or "id" not in obj
            ):
                raise LabelError(f"{where}: a labelled record needs 'id' and 'labels'")
            gold[str(obj["id"])] = obj["labels"]
    except JsonLineError as exc:
        raise LabelError(str(exc)) from None
    if not gold:
        raise LabelError(f"{path}: no labelled records")
    return gold


def predicted(audit: ReportAudit) -> dict[str, Any]:
    """An audit in the shape of the gold labels."""
    assert audit.star and audit.next_objective and audit.signals
    return {
        "priorities": sorted({t.id for t in audit.priorities}),
        "competencies": sorted(audit.focus_competencies),
        "star": audit.star.model_dump(),
        "next_objective": audit.next_objective.present,
        "next_objective_smart": audit.next_objective.smart,
        **audit.signals.model_dump(),
        "quality": audit.verdict,
    }


def _get(labels: dict[str, Any], key: str) -> Any:
    value: Any = labels
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


@dataclass
class _Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    support: int = 0

    def metrics(self) -> dict[str, float | int]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        return {
            "precision": round(p, 4),
            "recall": round(r, 4),
            "f1": round(f1, 4),
            "support": self.support,
        }


@dataclass
class Evaluation:
    """Accumulates comparisons one report at a time (constant memory but the verdict lists)."""

    counts: dict[str, _Counts] = field(default_factory=lambda: {k: _Counts() for k in LABEL_KEYS})
    gold_q: list[str] = field(default_factory=list)
    pred_q: list[str] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    per_report: list[dict[str, Any]] = field(default_factory=list)

    def add(self, gold: dict[str, Any], audit: ReportAudit) -> None:
        """Compare one audit with its gold labels."""
        if audit.error:
            self.errors.append({"id": audit.id, "error": audit.error})
            return
        pred = predicted(audit)
        diffs = []
        for key in SET_KEYS:
            g, p = set(_get(gold, key) or ()), set(pred[key])
            c = self.counts[key]
            c.tp += len(g & p)
            c.fp += len(p - g)
            c.fn += len(g - p)
            c.support += len(g)
            if g != p:
                diffs.append(f"{key}: +{sorted(p - g)} -{sorted(g - p)}")
        for key in BINARY_KEYS:
            truth, said = bool(_get(gold, key)), bool(_get(pred, key))
            c = self.counts[key]
            c.tp += truth and said
            c.fp += said and not truth
            c.fn += truth and not said
            c.support += truth
            if truth != said:
                diffs.append(f"{key}: gold={truth} pred={said}")
        gq = gold.get("quality")
        if gq in VERDICTS:
            self.gold_q.append(gq)
            self.pred_q.append(pred["quality"])
            if gq != pred["quality"]:
                diffs.append(f"quality: gold={gq} pred={pred['quality']}")
        self.per_report.append({"id": audit.id, "diffs": diffs})

    def result(self) -> dict[str, Any]:
        """The metrics object of the eval contract."""
        quality: dict[str, Any] = {
            "accuracy": None,
            "kappa": None,
            "weighted_kappa": None,
            "confusion": None,
            "order": list(VERDICTS),
        }
        if self.gold_q:
            quality.update(agreement(self.gold_q, self.pred_q))
        return {
            "n": len(self.per_report) + len(self.errors),
            "labels": {k: c.metrics() for k, c in self.counts.items()},
            "quality": quality,
            "errors": self.errors,
        }


def evaluate(gold: dict[str, dict[str, Any]], audits: Iterable[ReportAudit]) -> Evaluation:
    """Compare audits with gold labels by id (audits without gold labels are skipped)."""
    ev = Evaluation()
    for audit in audits:
        if audit.id in gold:
            ev.add(gold[audit.id], audit)
    return ev


def iter_text_table(result: dict[str, Any]) -> Iterator[str]:
    """A readable table of an eval result."""
    yield f"reports: {result['n']}   errors: {len(result['errors'])}"
    yield f"{'label':<24}{'precision':>10}{'recall':>10}{'f1':>8}{'support':>9}"
    for key, m in result["labels"].items():
        yield (
            f"{key:<24}{m['precision']:>10.3f}{m['recall']:>10.3f}{m['f1']:>8.3f}{m['support']:>9}"
        )
    q = result["quality"]
    if q["accuracy"] is not None:
        yield (
            f"quality: accuracy {q['accuracy']:.3f}  kappa {q['kappa']:.3f}  "
            f"weighted kappa {q['weighted_kappa']:.3f}"
        )
        yield "confusion (rows gold, cols predicted: weak adequate strong):"
        for name, row in zip(VERDICTS, q["confusion"], strict=True):
            yield f"  {name:<9}" + "".join(f"{v:>6}" for v in row)


def ablation_metrics(
    engine: Auditor,
    gold: dict[str, dict[str, Any]],
    records: Sequence[Report | FailedRecord],
    sentence_model: SentenceRoleModel | None,
    calibration: Calibration | None,
    focus_model: FocusModel | None = None,
) -> dict[str, Any]:
    """Metrics of rules only, sentence model only, hybrid, hybrid with the learned focus
    decision, and calibrated, on one file (docs/models.md).

    The learned pieces are those given, else the shipped ones even when they are off by default.
    """
    from auditor.engine import calibrated
    from auditor.learned.artefacts import ModelLoadError, default_model_dir
    from auditor.learned.calibration import Calibration
    from auditor.learned.focus_model import FocusModel
    from auditor.learned.sentence_model import SentenceRoleModel

    try:  # no shipped directory (None) raises TypeError
        sm = sentence_model or SentenceRoleModel.load(default_model_dir("sentence_model", False))  # type: ignore[arg-type]
        cal = calibration or Calibration.load(default_model_dir("calibration", False))  # type: ignore[arg-type]
        fm = focus_model or FocusModel.load(default_model_dir("focus_model", False))  # type: ignore[arg-type]
    except (ModelLoadError, TypeError) as exc:
        raise AblationError(
            f"--ablation needs a sentence model, a calibration and a focus model: {exc}"
        ) from None
    audits = {}
    for name, variant in (
        ("rules", engine.with_models()),
        ("model", engine.with_models(sm, sentence_mode="model")),
        ("hybrid", engine.with_models(sm)),
        ("focus", engine.with_models(sm, focus_model=fm)),
    ):
        audits[name] = list(variant.audit_stream(records))
    # The pipeline it was fitted on (the default one, with the focus model when given).
    base = ("focus" if focus_model else "hybrid") if cal.sentence_model else "rules"
    if cal.sentence_model not in (None, sm.sha256):
        raise AblationError("--ablation: the calibration was fitted with another sentence model")
    scoring = engine.rules.rubric.scoring
    audits["calibrated"] = [calibrated(a, cal, scoring) for a in audits[base]]
    return {name: evaluate(gold, a).result() for name, a in audits.items()}


def iter_ablation_table(ablation: dict[str, Any]) -> Iterator[str]:
    """F1 per label and verdict agreement, one column per variant."""
    names = list(ablation)
    yield "\nablation (f1; quality rows: accuracy, kappa, weighted kappa)"
    yield f"{'label':<24}" + "".join(f"{n:>11}" for n in names)
    for key in next(iter(ablation.values()))["labels"]:
        yield f"{key:<24}" + "".join(f"{ablation[n]['labels'][key]['f1']:>11.3f}" for n in names)
    for key in ("accuracy", "kappa", "weighted_kappa"):
        yield f"{'quality ' + key:<24}" + "".join(
            f"{ablation[n]['quality'][key] or 0:>11.3f}" for n in names
        )
