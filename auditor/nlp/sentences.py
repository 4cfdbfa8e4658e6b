"""Sentence facts: a read Doc's sentences, as plain data for the sentence-role model."""

from __future__ import annotations

from collections.abc import Iterable

from spacy.tokens import Doc

from auditor.annotations import SentenceFacts

# Verb tags of a behaviour verb, as ReportReader._specific tests them for SMART "specific".
#: Penn tags of verbs that can carry an action (base, present and gerund forms).
VERB_TAGS = frozenset({"VB", "VBP", "VBG", "VBZ"})


def sentence_facts(doc: Doc, specific_lemmas: Iterable[str]) -> list[SentenceFacts]:
    """A read spaCy Doc's non-blank sentences with the SMART facets the rules found in each."""
    lemmas = frozenset(x.lower() for x in specific_lemmas)
    cues = [(sp.start_char, sp.label_) for sp in doc.spans.get("cue", ())]
    comps = [sp.start_char for sp in doc.spans.get("competency", ())]
    out = []
    for s in doc.sents:
        if not s.text.strip():
            continue
        a, b = s.start_char, s.end_char
        inside = {label for start, label in cues if a <= start < b}
        out.append(
            SentenceFacts(
                a,
                b,
                s.text,
                time_bound="time" in inside,
                measurable="measure" in inside,
                specific=any(a <= c < b for c in comps)
                or any(t.tag_ in VERB_TAGS and t.norm_ in lemmas for t in s),
            )
        )
    return out
