"""The compiled rule layer finds what spaCy's Matcher and each regex's own finditer find."""

from __future__ import annotations

import re
from typing import Any

import spacy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spacy.matcher import Matcher
from spacy.tokens import Doc

from auditor.nlp.literals import ASCII_FOLD, fold, may_match, necessary_literals
from auditor.nlp.reading import expanded_spans
from auditor.nlp.regex_set import RegexSet
from auditor.nlp.token_regex import TokenPatterns

NLP = spacy.blank("en")
WORDS = ["she", "He", "asked", "ask", "two", "open", "questions", ".", "Dr", "Lee", "4", "-"]
TAGS = ["PRP", "VBD", "VB", "CD", "JJ", "NNS", ".", "NNP"]
POS = ["PRON", "VERB", "NUM", "ADJ", "NOUN", "PUNCT", "PROPN"]
VALUES = {
    "LOWER": ["she", "he", "asked", "two", "dr", "."],
    "ORTH": ["He", "Lee", "-", "4"],
    "NORM": ["ask", "question", "open"],
    "LEMMA": ["ask", "question"],
    "TAG": TAGS,
    "POS": POS,
}
FLAGS = ["IS_PUNCT", "IS_TITLE", "LIKE_NUM", "IS_SENT_START", "IS_ALPHA"]
OPS = [None, "?", "*", "+", "!", "{2}", "{0,2}", "{1,}", "{,2}"]


@st.composite
def docs(draw: Any) -> Doc:
    """A Doc with tags, parts of speech, lemmas, norms and sentence starts."""
    n = draw(st.integers(1, 12))
    words = draw(st.lists(st.sampled_from(WORDS), min_size=n, max_size=n))
    doc = Doc(NLP.vocab, words=words)
    for tok in doc:
        tok.tag_ = draw(st.sampled_from(TAGS))
        tok.pos_ = draw(st.sampled_from(POS))
        tok.lemma_ = draw(st.sampled_from(["ask", "question", tok.lower_]))
        tok.norm_ = draw(st.sampled_from(["ask", "question", "open", tok.lower_]))
        tok.is_sent_start = tok.i == 0 or draw(st.booleans())
    return doc


@st.composite
def token_specs(draw: Any) -> dict[str, Any]:
    """One token of a pattern: attributes with values, IN / NOT_IN sets, flags, an OP."""
    spec: dict[str, Any] = {}
    for attr in draw(st.lists(st.sampled_from(sorted(VALUES)), max_size=2, unique=True)):
        values = VALUES[attr]
        kind = draw(st.sampled_from(["eq", "IN", "NOT_IN"]))
        if kind == "eq":
            spec[attr] = draw(st.sampled_from(values))
        else:
            spec[attr] = {kind: draw(st.lists(st.sampled_from(values), max_size=3))}
    if draw(st.booleans()):
        spec[draw(st.sampled_from(FLAGS))] = draw(st.booleans())
    if draw(st.integers(0, 4)) == 0:
        spec["LENGTH"] = draw(st.sampled_from([2, {">=": 3}, {"<": 3}, {"!=": 1}, {">": 2.5}]))
    op = draw(st.sampled_from(OPS))
    if op is not None:
        spec["OP"] = op
    return spec


def matcher_spans(patterns: list[tuple[str, list[dict[str, Any]]]], doc: Doc) -> set[tuple]:
    matcher = Matcher(NLP.vocab)
    for label, pattern in patterns:
        matcher.add(label, [pattern])
    return {(NLP.vocab.strings[k], s, e) for k, s, e in matcher(doc)}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.sampled_from(["A", "B"]), st.lists(token_specs(), min_size=1, max_size=4)),
        min_size=1,
        max_size=3,
    ),
    docs(),
)
def test_token_patterns_find_what_the_matcher_finds(patterns, doc: Doc) -> None:
    compiled = TokenPatterns(NLP.vocab, patterns)
    assert not len(compiled._fallback)  # every generated pattern is compiled
    found = compiled(doc)
    assert len(found) == len(set(found))
    assert set(found) == matcher_spans(patterns, doc)


def test_patterns_it_does_not_compile_and_separator_characters_use_the_matcher() -> None:
    patterns = [
        ("R", [{"LOWER": {"REGEX": "^ask"}}, {"LOWER": "two"}]),
        ("F", [{"LOWER": {"FUZZY": "questons"}}]),
        ("P", [{"LOWER": "two"}, {"IS_ALPHA": True, "OP": "+"}]),
    ]
    compiled = TokenPatterns(NLP.vocab, patterns)
    assert len(compiled._fallback) == 2
    for text in ("She asked two open questions.", "She asked two\x1e open questions."):
        doc = NLP(text)
        assert set(compiled(doc)) == matcher_spans(patterns, doc)
        assert ("R", 1, 3) in set(compiled(doc)) and any(x[0] == "F" for x in compiled(doc))


def test_the_fold_table_holds_every_non_ascii_character_ignorecase_maps_to_ascii() -> None:
    letters = re.compile("[a-z]", re.IGNORECASE)
    everything = "".join(chr(i) for i in range(0x80, 0x110000) if not 0xD800 <= i < 0xE000)
    found = {m.group(): m.group() for m in letters.finditer(everything)}
    assert {
        c: next(a for a in "abcdefghijklmnopqrstuvwxyz" if re.fullmatch(a, c, re.I)) for c in found
    } == ASCII_FOLD


PIECES = [
    r"\bask\w*",
    r"two|three",
    r"(?:open\s+)?questions?",
    r"\d{1,3}%",
    r"(?-i:Dr)\.?\s+[A-Z]\w+",
    r"(?im)^-\s*",
    r"(?<=\s)lee\b",
    r"(?=she)s",
    r"[\s\S]{0,3}x?",
    r"(a)\1",
    r"ſt|\u212aey",
]
TEXTS = st.lists(
    st.sampled_from([*"askedtwoopenquestionsDrLee 12%-\n.ſ\u212aKxİı", "she ", "ask "]), max_size=40
).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=3), TEXTS, st.booleans())
def test_regex_set_finds_what_each_finditer_finds(pieces, text: str, ignorecase: bool) -> None:
    flags = re.IGNORECASE if ignorecase else 0
    patterns = list(pieces)
    expected = [
        [m.span() for m in re.compile(p, flags).finditer(text) if m.end() > m.start()]
        for p in patterns
    ]
    assert RegexSet(patterns, flags).finditer(text) == expected


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(PIECES), TEXTS)
def test_a_text_with_a_match_holds_a_necessary_literal(piece: str, text: str) -> None:
    for flags in (0, re.IGNORECASE):
        if re.search(piece, text, flags):
            assert may_match(necessary_literals(piece, flags), fold(text))
        if not flags and re.search(piece, text):
            assert may_match(necessary_literals(piece, casefold=False), text)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(["Dr", " ", "Lee", ".", "\n", "  ", "asked", "-", "ok"]), max_size=12),
    st.lists(st.tuples(st.integers(-2, 40), st.integers(-2, 40)), max_size=6),
)
def test_expanded_spans_are_char_span_expand(words: list[str], ranges) -> None:
    doc = NLP("".join(words))
    items = [(a, b, "x") for a, b in ranges if a <= b]
    expected = [
        (sp.start, sp.end)
        for a, b, label in items
        if (sp := doc.char_span(a, b, label=label, alignment_mode="expand")) is not None
    ]
    assert [(sp.start, sp.end) for sp in expanded_spans(doc, doc.text, items)] == expected
