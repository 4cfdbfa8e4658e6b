"""Compliance as a gate: a report with a compliance risk is weak, its score capped, its status
"risk"; its risky sentences are no evidence of compliance coaching. Coaching against a risk is
compliance coaching and no risk. Under a calibration the rubric's gates hold, a changed verdict
says why, and a check the calibration never saw is warned about."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cli_support import Cli, copy_pack

import auditor.learned.calibration as calibration_module
from auditor.config import RuleSet, load_ruleset
from auditor.engine import Auditor
from auditor.learned.calibration import FORMAT, FORMAT_VERSION, Calibration
from auditor.schema import Report

#: A manager telling the rep to promote off label: a risk, not compliance coaching.
OFF_LABEL = (
    "Visit with Dr Ruiz at the paediatric clinic. "
    "Next time mention that it works off-label in children too; the doctor liked that."
)
#: A manager stopping the rep from going off label: compliance coaching, no risk.
AGAINST = (
    "Visit with Dr Ruiz at the paediatric clinic. Dr Ruiz asked about use in children. "
    "I stopped her when she drifted off label; we agreed to refer such questions to medical."
)


def _per_report_codes(rules: RuleSet) -> list[str]:
    """The codes of the checks an audit of one report runs (FOL001 needs the previous report)."""
    return [c.code for c in rules.rubric.checks if c.type != "follow_through"]


def test_an_off_label_instruction_is_no_compliance_coaching(engine) -> None:
    audit = engine.audit(Report(id="r", text=OFF_LABEL))
    assert audit.signals and audit.signals.compliance_risk
    assert "compliance_conduct" not in audit.focus_competencies
    assert "compliance_conduct" not in {t.id for t in audit.competencies}
    assert "compliance" not in {t.id for t in audit.priorities}
    assert "compliance" not in audit.aligned_priorities


def test_coaching_against_a_risk_is_compliance_coaching(engine) -> None:
    audit = engine.audit(Report(id="r", text=AGAINST))
    assert audit.signals and not audit.signals.compliance_risk
    assert "CMP001" not in {f.code for f in audit.findings}
    assert audit.focus_competencies == ["compliance_conduct"]
    assert "compliance" in {t.id for t in audit.priorities}
    assert "compliance" in audit.aligned_priorities


def test_a_risky_sentence_masks_only_compliance_mentions(engine) -> None:
    text = (
        "You asked Dr Ross only closed questions, so we never learnt about her patients. "
        "Tell her it also works off-label in children, and ask her open questions about it."
    )
    audit = engine.audit(Report(id="r", text=text))
    assert audit.signals and audit.signals.compliance_risk
    assert "customer_discovery" in audit.focus_competencies
    assert not {"compliance_conduct"} & {t.id for t in audit.competencies}


# -- under a calibration ------------------------------------------------------------------------
#: No weak_if_count, compliance or weak_if_any gate holds; the rubric says adequate.
ADEQUATE = AGAINST
#: Fails five direction checks at once: weak_if_count holds.
NO_DIRECTION = "Great day in the field, thanks for the effort. Keep it up."


def lenient(codes: list[str], thresholds: tuple[float, float] = (-10.0, -5.0)) -> Calibration:
    """A calibration that calls every report strong (or, with thresholds above 0, weak) and has
    no gates of its own."""
    features = [f"failed:{c}" for c in codes] + ["smart_facets"]
    return Calibration(
        {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "features": features,
            "weights": [0.0] * len(features),
            "thresholds": list(thresholds),
            "gates": [],
            "l2": 1.0,
            "sentence_model_sha256": None,
        }
    )


@pytest.fixture
def calibrated_engine(engine, rules: RuleSet):
    """The session engine under the lenient calibration."""
    return engine.with_models(calibration=lenient(_per_report_codes(rules)))


@pytest.mark.parametrize(("text", "gate"), [(OFF_LABEL, "compliance"), (NO_DIRECTION, "count")])
def test_a_gated_report_stays_weak_under_calibration(
    engine, calibrated_engine, text: str, gate: str
) -> None:
    rubric = engine.audit(Report(id="r", text=text))
    audit = calibrated_engine.audit(Report(id="r", text=text))
    assert rubric.verdict == audit.verdict == "weak", gate
    assert audit.verdict_change is None
    assert audit.score == rubric.score
    if gate == "compliance":
        assert audit.compliance == "risk" and audit.score is not None and audit.score <= 40


@pytest.mark.parametrize(
    ("thresholds", "verdict", "reason"),
    [
        ((-10.0, -5.0), "strong", "model value 0.00 is strong (above -5.00)"),
        ((5.0, 10.0), "weak", "model value 0.00 is weak (at most 5.00)"),
    ],
)
def test_a_calibrated_verdict_says_what_changed_and_why(
    engine, rules: RuleSet, thresholds: tuple[float, float], verdict: str, reason: str
) -> None:
    assert engine.audit(Report(id="r", text=ADEQUATE)).verdict == "adequate"
    cal = lenient(_per_report_codes(rules), thresholds)
    audit = engine.with_models(calibration=cal).audit(Report(id="r", text=ADEQUATE))
    assert audit.verdict == verdict and audit.compliance == "clear"
    change = audit.verdict_change
    assert change is not None
    assert (change.rubric, change.calibrated, change.value) == ("adequate", verdict, 0.0)
    assert change.reason.startswith(reason)


def test_check_prints_the_calibrated_change(cli: Cli, rules: RuleSet, tmp_path: Path) -> None:
    lenient(_per_report_codes(rules)).save(tmp_path / "cal")
    draft = tmp_path / "draft.txt"
    draft.write_text(ADEQUATE, encoding="utf-8")
    args = ("check", str(draft), "--sentence-model", "none")
    out = cli(*args, "--calibration", str(tmp_path / "cal")).stdout.splitlines()
    assert "score 90/100  verdict strong" in out
    assert "compliance: clear" in out
    assert (
        "calibrated: adequate -> strong (model value 0.00 is strong (above -5.00): "
        in "\n".join(out)
    )
    rules_only = cli(*args, "--calibration", "none").stdout
    assert "verdict adequate" in rules_only and "calibrated:" not in rules_only


def _with_extra_check(data: dict[str, Any]) -> None:
    data["checks"].append(
        {
            **{
                k: v
                for k, v in next(c for c in data["checks"] if c["code"] == "NUM001").items()
                if k not in ("code", "name")
            },
            "code": "XTR001",
            "name": "extra-check",
            "weight": 5,  # a check of weight 0 moves no verdict and is not warned about
        }
    )


def test_a_check_the_calibration_never_saw_warns_once(
    cli: Cli, rules: RuleSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(calibration_module, "_warned", set())  # a fresh run
    pack = copy_pack(tmp_path / "pack", _with_extra_check)
    lenient(_per_report_codes(rules)).save(tmp_path / "cal")
    draft = tmp_path / "draft.txt"
    draft.write_text(ADEQUATE, encoding="utf-8")
    args = (
        "--rubric",
        str(pack),
        "--sentence-model",
        "none",
        "--calibration",
        str(tmp_path / "cal"),
    )
    result = cli("check", str(draft), *args)
    assert result.stderr.count("calibration never saw check(s) XTR001") == 1, result.stderr
    validate = cli("rules", "validate", "--rubric", str(pack))
    assert validate.exit_code == 0
    # validate names every rubric check the calibration never saw, except history checks
    # (FOL001): per-report labels never see them, so recalibrating could not help
    assert "calibration never saw check(s) XTR001:" in validate.stderr


def test_the_cap_comes_from_the_rubric(rules: RuleSet, tmp_path: Path) -> None:
    def cap_at_25(data: dict[str, Any]) -> None:
        data["scoring"]["compliance"]["max_score"] = 25

    engine = Auditor(load_ruleset(copy_pack(tmp_path / "pack", cap_at_25)))
    audit = engine.audit(Report(id="r", text=OFF_LABEL))
    assert (audit.compliance, audit.verdict, audit.score) == ("risk", "weak", 25)
    unchecked = Auditor(rules, ignore=["CMP001"]).audit(Report(id="r", text=OFF_LABEL))
    assert unchecked.compliance is None and unchecked.verdict_change is None
