"""The learned focus decision: what it chooses, that training is reproducible, safe loading."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from auditor.annotations import Annotations, Candidate, Hit
from auditor.learned import text_scores
from auditor.learned.artefacts import CARD_FILE, ModelLoadError
from auditor.learned.focus_model import (
    MODEL_FILE,
    Example,
    FocusModel,
    choose,
    train_examples,
)
from auditor.schema import Report

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "sample_reports"


def _side(features: list[str], weights: list[float], **rule: Any) -> dict[str, Any]:
    return {
        "features": features,
        "mean": [0.0] * len(features),
        "scale": [1.0] * len(features),
        "weights": weights,
        "intercept": 0.0,
        "threshold": 0.5,
        "max_chosen": None,
        **rule,
    }


def _candidate(kind: str, cid: str, score: float, start: int) -> Candidate:
    hit = Hit(start, start + 4, cid, "word", "rule")
    return Candidate(kind, cid, {"score": score}, ("next", "time"), (hit,), (hit,))


def _annotations(*candidates: Candidate) -> Annotations:
    prio_hits = tuple(c.mentions[0] for c in candidates if c.kind == "priority")
    return Annotations(
        text="x" * 100,
        rep_level=None,
        priorities=prio_hits,
        competencies=tuple(c.mentions[0] for c in candidates if c.kind == "competency"),
        focus=("rules_choice",),
        focus_evidence=(),
        objectives=(),
        signals={"priorities": prio_hits},
        candidates=candidates,
    )


#: Probability rises with the rules' score: score 2 -> 0.88, score -2 -> 0.12.
MODEL = FocusModel(
    {
        "kinds": {
            "competency": _side(["score"], [1.0]),
            "priority": _side(["score"], [1.0], max_chosen=1),
        },
        "settings": {},
    }
)


def test_decide_keeps_likely_candidates_in_order_and_their_rule_evidence() -> None:
    ann = _annotations(
        _candidate("competency", "messaging", 1.0, 0),
        _candidate("competency", "customer_discovery", 3.0, 10),
        _candidate("competency", "call_planning", -2.0, 20),
        _candidate("priority", "market_access", 2.0, 30),
        _candidate("priority", "compliance", 1.0, 40),
    )
    out = MODEL.decide(ann)
    assert out.focus == ("customer_discovery", "messaging")
    assert [h.start for h in out.focus_evidence] == [10, 0]  # the rules' mentions, unchanged
    assert out.signal("focus_competencies") == out.focus_evidence
    # max_chosen=1 keeps the likelier priority only, in hits and in the signal.
    assert [h.label for h in out.priorities] == ["market_access"]
    assert [h.label for h in out.signal("priorities")] == ["market_access"]
    assert out.competencies == ann.competencies  # every mention is still reported


def test_a_report_without_candidates_has_no_focus_and_no_priorities() -> None:
    out = MODEL.decide(_annotations())
    assert out.focus == () and out.priorities == ()


def test_choose_applies_threshold_cap_and_floor() -> None:
    proba = [0.3, 0.9, 0.6, 0.1]
    assert choose(proba, 0.5, None) == [1, 2]
    assert choose(proba, 0.5, 1) == [1]
    assert choose([0.3, 0.1], 0.5, None) == []
    assert choose([0.3, 0.1], 0.5, None, floor=0.2) == [0]  # the likeliest, above the floor
    assert choose([0.1], 0.5, None, floor=0.2) == []


@pytest.fixture(scope="module")
def examples(engine) -> list:
    """Forty dev reports as the rules read them, with their gold labels."""
    lines = (CORPUS / "dev.jsonl").read_text(encoding="utf-8").splitlines()[:40]
    records = [json.loads(line) for line in lines]
    reports = [
        Report(id=r["id"], text=r["text"], metadata={"rep_level": r.get("rep_level")})
        for r in records
    ]
    anns = list(engine.annotate(reports))
    return train_examples(zip(anns, [r["labels"] for r in records], strict=True))


def test_training_is_reproducible(examples: list, tmp_path: Path) -> None:
    first, card = FocusModel.train(examples, seed=3)
    second, _ = FocusModel.train(examples, seed=3)
    assert first.sha256 == second.sha256
    assert set(card["cross_validation"]) == {"competency", "priority"}
    first.save(tmp_path / "a")
    second.save(tmp_path / "b")
    assert (tmp_path / "a" / MODEL_FILE).read_bytes() == (tmp_path / "b" / MODEL_FILE).read_bytes()


def test_the_model_learns_from_the_candidates(examples: list) -> None:
    model, card = FocusModel.train(examples, seed=0)
    for kind in ("competency", "priority"):
        assert card["cross_validation"][kind]["micro_f1"] > 0.5
    # In-sample, a competency the rules mention in many coaching sentences is kept.
    gold_kept = sum(
        len(set(model.decide(_ann(ex)).focus) & ex.gold["competencies"]) for ex in examples
    )
    assert gold_kept >= 0.6 * sum(len(ex.gold["competencies"]) for ex in examples)


def _ann(ex: Any) -> Annotations:
    return Annotations("", ex.rep_level, (), (), (), (), (), {}, ex.candidates)


def test_a_tampered_model_file_does_not_load(examples: list, tmp_path: Path) -> None:
    model, _ = FocusModel.train(examples, seed=0)
    root = model.save(tmp_path / "focus")
    assert FocusModel.load(root).sha256 == model.sha256
    artefact = json.loads((root / MODEL_FILE).read_text())
    artefact["kinds"]["competency"]["threshold"] = 0.0
    (root / MODEL_FILE).write_text(json.dumps(artefact))
    with pytest.raises(ModelLoadError, match="sha256"):
        FocusModel.load(root)


def test_train_command_writes_a_loadable_focus_model(cli, tmp_path: Path) -> None:
    data = tmp_path / "small.jsonl"
    lines = (CORPUS / "dev.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    data.write_text("".join(lines[:30]), encoding="utf-8")
    out = tmp_path / "focus"
    result = cli("train", str(data), "--model", "focus", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "competency" in result.output and "cross-validated micro F1" in result.output
    card = json.loads((out / CARD_FILE).read_text())
    assert card["kind"] == "focus_model" and card["training_data"]["reports"] == 30
    FocusModel.load(out)
    # The trained model is used by the other commands.
    draft = tmp_path / "draft.txt"
    draft.write_text(json.loads(lines[0])["text"], encoding="utf-8")
    checked = cli("check", str(draft), "--format", "json", "--focus-model", str(out))
    assert checked.exit_code in (0, 1), checked.output


def test_check_refuses_a_directory_that_is_not_a_focus_model(cli, tmp_path: Path) -> None:
    draft = tmp_path / "draft.txt"
    draft.write_text("Good call today with Dr Lee.", encoding="utf-8")
    result = cli("check", str(draft), "--focus-model", str(tmp_path))
    assert result.exit_code == 2 and "model card not found" in result.output


def _synthetic(n: int) -> list[Example]:
    """Reports with two look-alike candidates; only the report's words tell which is coached."""
    rng = np.random.default_rng(0)
    out = []
    for i in range(n):
        coached = "customer_discovery" if i % 2 else "messaging"
        words = "asked open questions about her patients" if i % 2 else "delivered the key message"
        filler = " ".join(rng.choice(["call", "clinic", "doctor", "visit", "today"], size=6))
        cands = tuple(
            Candidate(
                "competency", cid, {"score": 1.0, "rules_chose": 1.0}, ("the", "call"), (), ()
            )
            for cid in ("messaging", "customer_discovery")
        )
        gold = {"competencies": frozenset({coached}), "priorities": frozenset()}
        out.append(Example(cands, None, gold, f"Rode with Sam. {filler}. She {words}."))
    return out


def test_report_text_scores_decide_between_look_alike_candidates() -> None:
    examples = _synthetic(60)
    with_text, card = FocusModel.train(examples, seed=0)
    without, plain = FocusModel.train(examples, seed=0, text_c=None)
    assert card["cross_validation"]["competency"]["micro_f1"] >= 0.95
    assert plain["cross_validation"]["competency"]["micro_f1"] <= 0.7
    ann = Annotations(
        "She asked open questions about her patients.",
        None,
        (),
        (),
        (),
        (),
        (),
        {},
        examples[1].candidates,
    )
    assert with_text.decide(ann).focus == ("customer_discovery",)


def test_text_scores_match_scikit_learn() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    examples = _synthetic(40)
    texts = [ex.text for ex in examples]
    gold = [ex.gold["competencies"] for ex in examples]
    artefact = text_scores.fit(texts, {"competency": gold}, c=4.0)
    ours = text_scores.TextScores(artefact).batch(texts[:5])
    vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    x = vec.fit_transform(texts)
    y = ["customer_discovery" in g for g in gold]
    lr = LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced").fit(x, y)
    expected = lr.predict_proba(vec.transform(texts[:5]))[:, 1]
    got = [s["competency"]["customer_discovery"] for s in ours]
    assert np.allclose(got, expected, atol=1e-4)
