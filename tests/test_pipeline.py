"""The NLP pipeline: its components, the model's sha256 pinning, sentences, matching, offsets."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from auditor.config import RuleSpec
from auditor.nlp.matching import RuleMatcher
from auditor.nlp.pipeline import MODEL_SHA256, ModelError, model_dir, verify_model


def test_pipeline_runs_no_parser_or_ner(engine) -> None:
    names = engine.nlp.pipe_names
    assert not {"parser", "ner", "senter"} & set(names)
    assert names.index("fcr_attributes") < names.index("fcr_norm") < names.index("fcr_tagger")
    doc = engine.nlp("Dr Lee in Boston agreed. You asked two questions.")
    assert not doc.has_annotation("DEP") and not doc.ents
    assert doc.has_annotation("SENT_START") and doc.has_annotation("LEMMA")


TRICKY_TEXTS = [
    "Let's see: she's gonna ask KOLs and HCPs, y'all ain't ready.",
    "Dr. Müller’s 3rd visit 😀 — ok? The MSLs were NOT there.\n\n  - Asked two questions",
    "He was running late; the reps' leave-pieces lay on the desks.",
]


@pytest.mark.parametrize("text", TRICKY_TEXTS)
def test_lookup_attributes_equal_the_models_own_components(engine, text: str) -> None:
    """fcr_attributes stands in for attribute_ruler + lemmatizer: the output must be the same."""
    nlp = engine.nlp
    ours = nlp(text)
    with nlp.select_pipes(disable=["fcr_attributes", "fcr_norm", "fcr_tagger"]):
        base = nlp.make_doc(text)
        for name in ("fcr_lines", "tok2vec", "tagger"):
            base = nlp.get_pipe(name)(base)
        base = nlp.get_pipe("lemmatizer")(nlp.get_pipe("attribute_ruler")(base))
    assert [(t.tag_, t.pos_, str(t.morph), t.lemma_) for t in ours] == [
        (t.tag_, t.pos_, str(t.morph), t.lemma_) for t in base
    ]


def test_verify_model_names_the_file_that_does_not_match(tmp_path: Path) -> None:
    copy = tmp_path / "model"
    shutil.copytree(model_dir(), copy)
    verify_model(copy)  # an exact copy passes

    changed = copy / "tagger" / "model"
    with changed.open("ab") as fh:
        fh.write(b"\0")
    with pytest.raises(ModelError, match="does not match the pinned") as exc:
        verify_model(copy)
    assert str(changed) in str(exc.value)
    assert MODEL_SHA256["tagger/model"] in str(exc.value)

    shutil.copy2(model_dir() / "tagger" / "model", changed)
    (copy / "vocab" / "strings.json").unlink()
    with pytest.raises(ModelError, match="model file missing") as exc:
        verify_model(copy)
    assert str(copy / "vocab" / "strings.json") in str(exc.value)


def test_every_loaded_model_file_is_pinned() -> None:
    # The components the pipeline loads from the model, each with a pinned digest.
    pinned_dirs = {rel.split("/")[0] for rel in MODEL_SHA256}
    assert {"tok2vec", "tagger", "attribute_ruler", "lemmatizer", "vocab"} <= pinned_dirs


def test_sentences_follow_lines_bullets_and_headings(engine) -> None:
    text = (
        "Observations:\n"
        "- You asked open questions\n"
        "* Opened with the dosing card\n"
        "• Summarised before the close\n"
        "Next steps: ask Dr. Lee for a trial. Then book a follow-up!\n"
        "Call at 10 a.m. went well"
    )
    sents = [s.text.strip() for s in engine.nlp(text).sents if s.text.strip()]
    assert sents == [
        "Observations:",
        "- You asked open questions",
        "* Opened with the dosing card",
        "• Summarised before the close",
        "Next steps: ask Dr. Lee for a trial.",
        "Then book a follow-up!",
        "Call at 10 a.m. went well",
    ]


@pytest.mark.filterwarnings("ignore:.*W036")  # this matcher has no token patterns, by design
@pytest.mark.parametrize(
    "text",
    [
        "She asked open questions.",
        "You were asking open questions throughout.",
        "He asks open questions early.",
        "ASKED OPEN QUESTIONS",
    ],
)
def test_phrases_match_on_lemma_whatever_the_inflection(engine, text: str) -> None:
    matcher = RuleMatcher(
        engine.nlp,
        [
            ("t:lemma", RuleSpec(phrases=("ask open question",))),
            ("t:exact", RuleSpec(exact=("ask open question",))),
        ],
    )
    doc = engine.nlp(text)
    hits = [(m.label, text[m.start : m.end].lower()) for m in matcher(doc)]
    assert len(hits) == 1 and hits[0][0] == "t:lemma", hits
    assert hits[0][1].startswith("ask") and hits[0][1].endswith(("questions", "question"))


@pytest.mark.parametrize(
    ("text", "group", "label", "surface"),
    [
        ("You met two KOLs at the IDN.", "competency", "stakeholder_engagement", "KOLs"),
        ("You met two KOLs at the IDN.", "priority", "key_account_growth", "IDN"),
        ("The KOL at the hospital wants data.", "competency", "stakeholder_engagement", "KOL"),
        ("Two PBMs and three IDNs were discussed.", "priority", "market_access", "PBMs"),
        ("Two PBMs and three IDNs were discussed.", "competency", "payer_access", "PBMs"),
        ("Two PBMs and three IDNs were discussed.", "priority", "key_account_growth", "IDNs"),
        ("Many HCPs raised the PA burden.", "priority", "market_access", "PA"),
        ("Many HCPs raised the PA burden.", "competency", "payer_access", "PA"),
        (
            "You briefed the MSL on her questions.",
            "competency",
            "cross_functional_collaboration",
            "briefed the MSL",
        ),
        ("HCP engagement scores are up.", "priority", "customer_engagement", "HCP engagement"),
    ],
)
def test_abbreviations_are_tagged(engine, text: str, group: str, label: str, surface: str) -> None:
    doc = engine.nlp(text)
    assert (label, surface) in {(s.label_, s.text) for s in doc.spans[group]}


def test_abbreviations_do_not_fire_inside_other_words(engine) -> None:
    doc = engine.nlp("The pharmacist paid for parking and read the papers.")
    assert not [s for s in doc.spans["priority"] if s.label_ == "market_access"]
    assert not [s for s in doc.spans["competency"] if s.label_ == "payer_access"]


def test_span_and_annotation_offsets_index_the_text(engine) -> None:
    text = (
        "Réunion à l'hôpital 👩‍⚕️ with Dr Müller — the KOL 🙂 at the IDN. "
        "You asked “what worries you about the PBM?” and she agreed to try it. "
        "Next ride-along on 3 June, ask for the PA form 📋 in every call."
    )
    doc = engine.nlp(text)
    spans = [s for key in doc.spans for s in doc.spans[key]]
    assert {"priority", "competency", "star", "objective"} <= {k for k in doc.spans if doc.spans[k]}
    for span in spans:
        assert text[span.start_char : span.end_char] == span.text
    ann = doc._.fcr
    hits = [
        *ann.priorities,
        *ann.competencies,
        *ann.focus_evidence,
        *ann.objectives,
        *(h for group in ann.signals.values() for h in group),
    ]
    assert len(hits) > 5
    for hit in hits:
        assert text[hit.start : hit.end] == hit.text
