"""Compliance as a gate: a report with a compliance risk is weak, its score capped, its status
"risk"; its risky sentences are no evidence of compliance coaching. Coaching against a risk is
compliance coaching and no risk."""

from __future__ import annotations

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
