"""spaCy components that read a coaching report.

- `fcr_lines`: sentence boundaries at line breaks, bullets and end punctuation (reports are
  often lists and forms, where a statistical sentence splitter does poorly).
- `fcr_norm`: stores the lower-cased lemma in `token.norm_` so phrase rules match inflections.
- `fcr_tagger`: runs every rule of the pack and writes `doc.spans` ("priority", "competency",
  "cue") and, from them, the report-level `doc._.fcr` Annotations (see `auditor.nlp.reading`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy
from spacy.attrs import LEMMA, LOWER, MORPH, NORM, ORTH, POS, TAG
from spacy.language import Language
from spacy.tokens import Doc

from auditor.config import RuleSet, RuleSpec, load_ruleset
from auditor.nlp.extensions import register_extensions
from auditor.nlp.matching import RuleMatcher
from auditor.nlp.reading import ReportReader

_END = {".", "!", "?"}
_QUOTES = {'"', "”", "'", "’", ")"}


@Language.component("fcr_lines")
def fcr_lines(doc: Doc) -> Doc:
    """Start a sentence after a line break and after end punctuation.

    Only sentence starts are marked; unmarked tokens continue the sentence (cheaper than
    setting every token). The last token is marked either way, so a one-sentence document
    still counts as segmented.
    """
    if not len(doc):
        return doc
    doc[0].is_sent_start = True
    started = False
    prev = doc[0]
    prev_text = prev.text
    before_prev = ""
    for tok in doc[1:]:
        text = tok.text
        if (
            "\n" in prev_text
            or "\n" in prev.whitespace_
            or (prev_text in _END and not tok.is_punct)
            # 'she said "I will." Then ...' ends after the closing quote
            or (
                prev_text in _QUOTES
                and before_prev in _END
                and prev.whitespace_
                and not tok.is_punct
                and tok.is_title
            )
        ):
            tok.is_sent_start = started = True
        else:
            started = False
        before_prev, prev, prev_text = prev_text, tok, text
    if len(doc) > 1 and not started:
        doc[-1].is_sent_start = False
    return doc


class FastAttributes:
    """The model's attribute_ruler and lemmatizer as one lookup table keyed on (tag, text).

    Without a parser, every attribute_ruler pattern of en_core_web_sm that can fire looks at one
    token's tag and text, except a few two-token contractions ("gon na", "let 's"); a document
    containing one of those goes through the real components. The rule lemmatizer, too, reads
    only the token's text, part of speech and morphology. So each (tag, text) key is computed
    once, by the real ruler and lemmatizer on a one-token document, and the output is the same
    at a fraction of the cost (the two are about half of the model's time without it).
    """

    _PAIRS = {
        ("gon", "na"),
        ("got", "ta"),
        ("let", "'s"),
        ("let", "’s"),
        ("c'm", "on"),
        ("y'", "all"),
        ("y", "all"),
        ("ai", "n't"),
        ("ai", "nt"),
        ("ai", "n’t"),
    }
    _ATTRS = [TAG, POS, MORPH, LEMMA]
    #: The table is cleared when it grows past this many keys (unique ids in long exports).
    MAX_KEYS = 200_000

    def __init__(self, ruler: Callable[[Doc], Doc], lemmatizer: Callable[[Doc], Doc]) -> None:
        self.ruler, self.lemmatizer = ruler, lemmatizer
        self.cache: dict[tuple[int, int], tuple[int, int, int, int]] = {}
        self._pair_keys: set[tuple[int, int]] | None = None

    def _compute(self, doc: Doc, tag: int, orth: int) -> tuple[int, int, int, int]:
        strings = doc.vocab.strings
        one = Doc(doc.vocab, words=[strings[orth]], spaces=[False])
        one[0].tag = tag
        self.lemmatizer(self.ruler(one))
        t = one[0]
        if len(self.cache) >= self.MAX_KEYS:
            self.cache.clear()
        # MorphAnalysis.key exists at run time; spaCy's stub omits it.
        hit = self.cache[(tag, orth)] = (t.tag, t.pos, t.morph.key, t.lemma)  # type: ignore[attr-defined]
        return hit

    def __call__(self, doc: Doc) -> Doc:
        """Set tag/pos/morph/lemma as the ruler and the lemmatizer would."""
        if not len(doc):
            return doc
        if self._pair_keys is None:
            add = doc.vocab.strings.add
            self._pair_keys = {(add(a), add(b)) for a, b in self._PAIRS}
        keys = doc.to_array([TAG, ORTH, LOWER]).tolist()
        lowers = [k[2] for k in keys]
        if not self._pair_keys.isdisjoint(zip(lowers, lowers[1:], strict=False)):
            return self.lemmatizer(self.ruler(doc))
        get = self.cache.get
        rows = [get((tag, orth)) or self._compute(doc, tag, orth) for tag, orth, _ in keys]
        array = numpy.array(rows, dtype="uint64")  # spaCy's stub asks for thinc's Ints2d alias
        doc.from_array(self._ATTRS, array)  # type: ignore[arg-type]
        return doc


@Language.factory("fcr_attributes", default_config={})
def make_fcr_attributes(nlp: Language, name: str) -> FastAttributes:
    """Factory for `fcr_attributes`; it wraps the pipeline's own attribute_ruler and lemmatizer."""
    return FastAttributes(nlp.get_pipe("attribute_ruler"), nlp.get_pipe("lemmatizer"))


class NormWriter:
    """Stores the lower-cased lemma as the token norm (after the lemmatizer has run).

    Proper-noun lemmas keep their surface form, so a plural abbreviation the tagger calls a
    proper noun ("KOLs", "HCPs") is singularised here: it must match the phrase "kol".
    The norm depends only on the token's text and lemma: it is computed once per pair and
    written for the whole Doc as one array.
    """

    #: The table is cleared when it grows past this many pairs (unique ids in long exports).
    MAX_KEYS = 200_000

    def __init__(self) -> None:
        self.cache: dict[tuple[int, int], int] = {}

    def _norm(self, doc: Doc, orth: int, lemma: int) -> int:
        strings = doc.vocab.strings
        text = strings[orth]
        norm = ((strings[lemma] if lemma else "") or text).lower()
        if len(text) > 2 and text[-1] == "s" and norm[-1:] == "s" and text[:-1].isupper():
            norm = norm[:-1]
        if len(self.cache) >= self.MAX_KEYS:
            self.cache.clear()
        key = self.cache[(orth, lemma)] = strings.add(norm)
        return key

    def __call__(self, doc: Doc) -> Doc:
        """Set `token.norm_` of every token."""
        if not len(doc):
            return doc
        get = self.cache.get
        rows = doc.to_array([ORTH, LEMMA]).tolist()
        norms = [get((o, lm)) or self._norm(doc, o, lm) for o, lm in rows]
        doc.from_array([NORM], numpy.array(norms, dtype="uint64").reshape(-1, 1))  # type: ignore[arg-type]
        return doc


@Language.factory("fcr_norm", default_config={})
def make_fcr_norm(nlp: Language, name: str) -> NormWriter:
    """Factory for `fcr_norm` (a table of its own per pipeline)."""
    return NormWriter()


_PACKS: dict[str, RuleSet] = {}


def provide_ruleset(rules: RuleSet) -> None:
    """Hand an already loaded pack to the factory, so it is not read twice."""
    _PACKS[rules.source] = rules


def _ruleset(rules_dir: str) -> RuleSet:
    if rules_dir not in _PACKS:
        _PACKS[rules_dir] = load_ruleset(rules_dir or None)
    return _PACKS[rules_dir]


class FcrTagger:
    """Matches the rule pack and derives the report's annotations."""

    def __init__(self, nlp: Language, rules: RuleSet) -> None:
        register_extensions()
        specs: list[tuple[str, RuleSpec]] = [
            (f"priority:{p.id}", p) for p in rules.taxonomy.priorities
        ]
        specs += [(f"competency:{c.id}", c) for c in rules.taxonomy.competencies]
        specs += [
            (f"competency:{c.id}:context", RuleSpec(phrases=c.context))
            for c in rules.taxonomy.competencies
            if c.context
        ]
        specs += [(f"cue:{name}", spec) for name, spec in rules.sections.cues.items()]
        specs += [(f"lex:{lex.label}", lex) for lex in rules.lexicons.values()]
        specs += [(f"bare:{lex.label}", lex.bare) for lex in rules.lexicons.values()]
        specs += [
            ("smart:time", rules.sections.smart.time),
            ("smart:measure", rules.sections.smart.measure),
        ]
        self.matcher = RuleMatcher(nlp, specs)
        self.reader = ReportReader(rules)

    def __call__(self, doc: Doc) -> Doc:
        """Annotate `doc` in place."""
        self.reader.read(doc, self.matcher(doc))
        return doc


@Language.factory("fcr_tagger", default_config={"rules_dir": ""})
def make_fcr_tagger(nlp: Language, name: str, rules_dir: str) -> FcrTagger:
    """Factory for `fcr_tagger`; an empty `rules_dir` means the bundled rule pack."""
    return FcrTagger(nlp, _ruleset(rules_dir))
