"""The sentence-role model: reproducible training, safe persistence, and how it joins the rules."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from auditor.annotations import Annotations, Hit, SentenceFacts
from auditor.learned.artefacts import CARD_FILE, ModelLoadError, sha256_file
from auditor.learned.hybrid import HYBRID_FILE, HybridConfig, combine
from auditor.learned.sentence_model import (
    MODEL_FILE,
    LabelledSentence,
    SentenceRoleModel,
    read_sentences,
)
from auditor.schema import Report

_REPORT = [
    ("situation", "The call objective with Dr {n} was to agree a trial of Cardiova."),
    ("action", "You opened with the renal data and asked Dr {n} two open questions."),
    ("result", "As a result Dr {n} agreed to try it in two new patients."),
    ("reinforcement", "Your summary at the end of the call was excellent, keep doing that."),
    ("rep_voice", "You felt you rushed the close and suggested pausing after the summary."),
    ("next_objective", "By our next ride-along on 12 May, ask three open questions per call."),
    ("judgement", "Frankly your preparation was lazy and unacceptable."),
    ("other", "Thanks for a good day in the field."),
]
NAMES = ("Ruiz", "Chen", "Patel", "Lee", "Ng", "Fox")


def fixture_sentences() -> list[LabelledSentence]:
    """Six small reports, one sentence per role each."""
    return [
        LabelledSentence(f"r{i}", text.format(n=name), role)
        for i, name in enumerate(NAMES)
        for role, text in _REPORT
    ]


@pytest.fixture(scope="module")
def trained() -> SentenceRoleModel:
    """A model trained once on the fixture."""
    return SentenceRoleModel.train(fixture_sentences())


TEXTS = [text.format(n="Okafor") for _, text in _REPORT]


def test_training_twice_gives_the_same_model(trained: SentenceRoleModel) -> None:
    again = SentenceRoleModel.train(fixture_sentences())
    assert again.sha256 == trained.sha256
    assert again.artefact == trained.artefact


def test_model_learns_the_fixture_roles(trained: SentenceRoleModel) -> None:
    assert trained.predict(TEXTS) == [role for role, _ in _REPORT]


def test_save_load_round_trip(trained: SentenceRoleModel, tmp_path: Path) -> None:
    trained.save(tmp_path, {"note": "fixture"})
    loaded = SentenceRoleModel.load(tmp_path)
    assert loaded.labels == trained.labels
    assert np.array_equal(loaded.predict_proba(TEXTS), trained.predict_proba(TEXTS))
    card = json.loads((tmp_path / CARD_FILE).read_text())
    assert card["artefact"]["sha256"] == sha256_file(tmp_path / MODEL_FILE) == loaded.sha256
    assert card["note"] == "fixture" and card["libraries"]["scikit-learn"]
    assert loaded.hybrid is not None and "JUD001" in loaded.hybrid.rule_only


@pytest.fixture()
def saved(trained: SentenceRoleModel, tmp_path: Path) -> Path:
    """A freshly saved copy of the fixture model."""
    return trained.save(tmp_path / "m")


def _rewrite_card(model_dir: Path, **changes: object) -> None:
    card = json.loads((model_dir / CARD_FILE).read_text())
    card.update(changes)
    (model_dir / CARD_FILE).write_text(json.dumps(card))


def test_tampered_weights_are_refused(saved: Path) -> None:
    art = json.loads((saved / MODEL_FILE).read_text())
    art["intercept"][0] += 5.0
    (saved / MODEL_FILE).write_text(json.dumps(art))
    with pytest.raises(ModelLoadError, match="does not match the model card"):
        SentenceRoleModel.load(saved)


def test_corrupt_file_is_refused_even_with_a_matching_card(saved: Path) -> None:
    (saved / MODEL_FILE).write_text('{"format": "fcr-auditor/sentence-roles", "coef": [')
    _rewrite_card(saved, artefact={"file": MODEL_FILE, "sha256": sha256_file(saved / MODEL_FILE)})
    with pytest.raises(ModelLoadError, match="corrupt model file"):
        SentenceRoleModel.load(saved)


def test_wrong_shapes_are_refused(saved: Path) -> None:
    art = json.loads((saved / MODEL_FILE).read_text())
    art["coef"] = art["coef"][:-1]
    (saved / MODEL_FILE).write_text(json.dumps(art))
    _rewrite_card(saved, artefact={"file": MODEL_FILE, "sha256": sha256_file(saved / MODEL_FILE)})
    with pytest.raises(ModelLoadError, match="do not fit"):
        SentenceRoleModel.load(saved)


def test_other_scikit_learn_version_is_refused(saved: Path) -> None:
    card = json.loads((saved / CARD_FILE).read_text())
    card["libraries"]["scikit-learn"] = "0.24.2"
    (saved / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(ModelLoadError, match="scikit-learn 0.24.2"):
        SentenceRoleModel.load(saved)


def test_foreign_or_missing_card_is_refused(saved: Path, tmp_path: Path) -> None:
    _rewrite_card(saved, kind="calibration")
    with pytest.raises(ModelLoadError, match="expected 'sentence_roles'"):
        SentenceRoleModel.load(saved)
    with pytest.raises(ModelLoadError, match="model card not found"):
        SentenceRoleModel.load(tmp_path / "nowhere")


def test_card_label_set_must_match(saved: Path) -> None:
    _rewrite_card(saved, labels=["situation", "other"])
    with pytest.raises(ModelLoadError, match="label set"):
        SentenceRoleModel.load(saved)


def test_invalid_hybrid_settings_are_refused(saved: Path) -> None:
    (saved / HYBRID_FILE).write_text("threshold: 2\nsignals: {}\n")
    with pytest.raises(ModelLoadError, match="threshold"):
        SentenceRoleModel.load(saved)


def test_read_sentences_rejects_unknown_roles(tmp_path: Path) -> None:
    bad = tmp_path / "s.jsonl"
    bad.write_text('{"report_id": "a", "text": "x", "role": "summary"}\n')
    with pytest.raises(ValueError, match="unknown role 'summary'"):
        read_sentences(bad)


# -- combination (pure, no spaCy) ----------------------------------------------------------------
LABELS = ("situation", "action", "judgement", "other")
CONFIG = HybridConfig(
    threshold=0.6,
    signals={"situation": "situation", "action": "action", "judgement": "judgmental"},
    rule_only=("JUD001",),
)
SENTS = [SentenceFacts(0, 10, "first one."), SentenceFacts(11, 22, "second one.")]
PROBA = np.array([[0.9, 0.05, 0.8, 0.0], [0.1, 0.5, 0.9, 0.0]])


def _ann(**signals: tuple[Hit, ...]) -> Annotations:
    return Annotations(
        text="first one. second one.",
        rep_level=None,
        priorities=(),
        competencies=(),
        focus=(),
        focus_evidence=(),
        objectives=(),
        signals=signals,
    )


def test_hybrid_adds_model_evidence_only_where_rules_found_none() -> None:
    rule_hit = Hit(11, 22, "action", "second one.", "cue:action")
    ann = combine(_ann(action=(rule_hit,)), SENTS, PROBA, LABELS, CONFIG, {"judgmental"})
    assert [(h.start, h.source) for h in ann.signal("situation")] == [(0, "model:p=0.90")]
    assert ann.signal("action") == (rule_hit,)  # rules first: their evidence is kept as is
    assert ann.signal("judgmental") == ()  # protected: never receives model evidence


def test_hybrid_respects_the_threshold() -> None:
    ann = combine(_ann(), SENTS, PROBA, LABELS, CONFIG)
    assert ann.signal("action") == ()  # 0.5 < 0.6
    lower = CONFIG.model_copy(update={"thresholds": {"action": 0.4}})
    assert len(combine(_ann(), SENTS, PROBA, LABELS, lower).signal("action")) == 1


def test_model_mode_replaces_role_signals_with_the_argmax() -> None:
    rule_hit = Hit(11, 22, "action", "second one.", "cue:action")
    ann = combine(_ann(action=(rule_hit,)), SENTS, PROBA, LABELS, CONFIG, mode="model")
    assert [h.start for h in ann.signal("situation")] == [0]
    assert ann.signal("action") == ()
    assert [h.start for h in ann.signal("judgmental")] == [11]


# -- the engine with a model (spaCy) -------------------------------------------------------------
class EagerModel:
    """A stand-in model that gives every role probability 1 to every sentence."""

    labels = (
        "situation",
        "action",
        "result",
        "next_objective",
        "reinforcement",
        "judgement",
        "rep_voice",
        "other",
    )
    sha256 = "0" * 64

    def __init__(self, hybrid: HybridConfig) -> None:
        self.hybrid = hybrid

    def predict_proba_reports(self, reports: list[list[str]]) -> list[np.ndarray]:
        """Certainty for every role."""
        return [np.ones((len(sentences), len(self.labels))) for sentences in reports]


DEFAULT_HYBRID = SentenceRoleModel.train(fixture_sentences()).hybrid
RULE_ONLY_TEXTS = [
    "Your preparation was lazy and frankly unacceptable. Offer Dr Silva tickets to the match "
    "if he prescribes more.",
    "You asked Dr Lee two open questions. As a result she agreed to a trial.",
    "Good day. The rep seems motivated.",
]


def _codes(audit) -> list[tuple[str, str]]:
    return sorted((f.code, f.message) for f in audit.findings)


def test_rule_only_fixture_has_rule_findings(engine) -> None:
    codes = {f.code for f in engine.audit(Report(id="r", text=RULE_ONLY_TEXTS[0])).findings}
    assert {"JUD001", "CMP001"} <= codes


@pytest.mark.parametrize("text", RULE_ONLY_TEXTS)
def test_hybrid_never_changes_rule_only_findings(engine, text: str) -> None:
    report = Report(id="r", text=text)
    rules_only = engine.audit(report)
    hybrid = engine.with_models(EagerModel(DEFAULT_HYBRID)).audit(report)
    unguarded = engine.with_models(
        EagerModel(DEFAULT_HYBRID.model_copy(update={"rule_only": ()}))
    ).audit(report)
    assert DEFAULT_HYBRID.rule_only  # else the loop below compares nothing
    if "JUD001" not in {f.code for f in rules_only.findings}:
        assert _codes(unguarded) != _codes(hybrid)  # the model would add JUD001 if allowed
    for code in DEFAULT_HYBRID.rule_only:
        assert [f for f in _codes(hybrid) if f[0] == code] == [
            f for f in _codes(rules_only) if f[0] == code
        ]


def test_rule_only_presence_check_keeps_its_finding(engine) -> None:
    report = Report(id="r", text="Good day. The rep seems motivated.")
    assert "STAR001" in {f.code for f in engine.audit(report).findings}
    free = engine.with_models(EagerModel(DEFAULT_HYBRID)).audit(report)
    assert "STAR001" not in {f.code for f in free.findings}  # the model can drop it...
    guarded = DEFAULT_HYBRID.model_copy(update={"rule_only": ("STAR001",)})
    kept = engine.with_models(EagerModel(guarded)).audit(report)
    assert "STAR001" in {f.code for f in kept.findings}  # ...unless it is rule-only


def test_findings_say_whether_rules_or_model_fired(engine) -> None:
    open_config = DEFAULT_HYBRID.model_copy(update={"rule_only": ()})
    eager = engine.with_models(EagerModel(open_config))

    def explanations(text: str, code: str) -> list[str]:
        audit = eager.audit(Report(id="r", text=text))
        return [f.explanation or "" for f in audit.findings if f.code == code]

    by_rules = explanations("Your preparation was lazy. You asked two open questions.", "JUD001")
    assert by_rules and all(e.endswith("; rules fired") for e in by_rules)
    by_model = explanations("Thanks for the day. You asked two open questions.", "JUD001")
    assert by_model and all(e.endswith("; model fired") for e in by_model)
    missing = explanations("Thanks for the day.", "OBS001")  # not a model role: nobody fired
    assert missing == ["no observed_behavior found; neither rules nor model fired"]


def test_train_command_writes_a_loadable_model(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from auditor.cli import main

    data = tmp_path / "sentences.jsonl"
    data.write_text(
        "".join(
            json.dumps({"report_id": s.report_id, "text": s.text, "role": s.role}) + "\n"
            for s in fixture_sentences()
        )
    )
    out = tmp_path / "model"
    result = CliRunner().invoke(main, ["train", str(data), "--out", str(out), "--test", str(data)])
    assert result.exit_code == 0, result.output
    assert "test: 48 sentences, accuracy 1.000" in result.output
    card = json.loads((out / CARD_FILE).read_text())
    assert card["training_data"]["sha256"] == sha256_file(data)
    assert card["test_metrics"]["accuracy"] == 1.0
    assert SentenceRoleModel.load(out).predict(TEXTS) == [role for role, _ in _REPORT]


def test_train_without_the_shipped_hybrid_settings_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from auditor.cli import main
    from auditor.learned import sentence_model

    data = tmp_path / "sentences.jsonl"
    data.write_text(
        "".join(
            json.dumps({"report_id": s.report_id, "text": s.text, "role": s.role}) + "\n"
            for s in fixture_sentences()
        )
    )
    monkeypatch.setattr(sentence_model, "DEFAULT_HYBRID", tmp_path / "gone" / "hybrid.yaml")
    result = CliRunner().invoke(main, ["train", str(data), "--out", str(tmp_path / "model")])
    assert result.exit_code == 2
    assert "combination settings not found" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
