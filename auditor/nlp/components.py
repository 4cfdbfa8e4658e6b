"""spaCy components that read a coaching report.

- `fcr_lines`: sentence boundaries at line breaks, bullets and end punctuation (reports are
  often lists and forms, where a statistical sentence splitter does poorly).
- `fcr_norm`: stores the lower-cased lemma in `token.norm_` so phrase rules match inflections.
- `fcr_tagger`: runs every rule of the pack and writes `doc.spans` ("priority", "competency",
  "cue") and, from them, the report-level `doc._.fcr` Annotations (see `auditor.nlp.reading`).
"""

from __future__ import annotations

from collections.abc import Callable

from spacy.language import Language
from spacy.tokens import Doc, Token

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
        if ("\n" in prev_text or "\n" in prev.whitespace_
                or (prev_text in _END and not tok.is_punct)
                # 'she said "I will." Then ...' ends after the closing quote
                or (prev_text in _QUOTES and before_prev in _END and prev.whitespace_
                    and not tok.is_punct and tok.is_title)):
            tok.is_sent_start = started = True
        else:
            started = False
        before_prev, prev, prev_text = prev_text, tok, text
    if len(doc) > 1 and not started:
        doc[-1].is_sent_start = False
    return doc


class FastAttributes:
    """The model's attribute_ruler as a lookup table keyed on (tag, lower, is_space).

    Without a parser, every attribute_ruler pattern of en_core_web_sm that can fire looks at one
    token's tag and text, except a few two-token contractions ("gon na", "let 's"); a document
    containing one of those goes through the real ruler. Each key is computed once, by the real
    ruler on a one-token document, so the output is the same at a fraction of the cost (the
    ruler is about a third of the tagger pipeline's time).
    """

    _PAIRS = {("gon", "na"), ("got", "ta"), ("let", "'s"), ("let", "’s"), ("c'm", "on"),
              ("y'", "all"), ("y", "all"), ("ai", "n't"), ("ai", "nt"), ("ai", "n’t")}

    def __init__(self, ruler: Callable[[Doc], Doc]) -> None:
        self.ruler = ruler
        self.cache: dict[tuple[str, str, bool], tuple[str, str, str, str]] = {}

    def _lookup(self, tok: Token) -> tuple[str, str, str, str]:
        key = (tok.tag_, tok.lower_, tok.is_space)
        hit = self.cache.get(key)
        if hit is None:
            one = Doc(tok.doc.vocab, words=[tok.text], spaces=[False])
            one[0].tag_ = tok.tag_
            self.ruler(one)
            t = one[0]
            hit = self.cache[key] = (t.tag_, t.pos_, str(t.morph), t.lemma_)
        return hit

    def __call__(self, doc: Doc) -> Doc:
        """Set tag/pos/morph/lemma as the ruler would."""
        lowers = [t.lower_ for t in doc]
        if any(pair in self._PAIRS for pair in zip(lowers, lowers[1:], strict=False)):
            return self.ruler(doc)
        for tok in doc:
            tag, pos, morph, lemma = self._lookup(tok)
            if tag != tok.tag_:
                tok.tag_ = tag
            tok.pos_ = pos
            if morph:
                tok.set_morph(morph)
            if lemma:
                tok.lemma_ = lemma
        return doc


@Language.factory("fcr_attributes", default_config={})
def make_fcr_attributes(nlp: Language, name: str) -> FastAttributes:
    """Factory for `fcr_attributes`; it wraps the pipeline's own attribute_ruler."""
    return FastAttributes(nlp.get_pipe("attribute_ruler"))


@Language.component("fcr_norm")
def fcr_norm(doc: Doc) -> Doc:
    """Store the lower-cased lemma as the token norm (after the lemmatizer has run).

    Proper-noun lemmas keep their surface form, so a plural abbreviation the tagger calls a
    proper noun ("KOLs", "HCPs") is singularised here: it must match the phrase "kol".
    """
    for tok in doc:
        norm = (tok.lemma_ or tok.text).lower()
        text = tok.text
        if len(text) > 2 and text[-1] == "s" and norm[-1:] == "s" and text[:-1].isupper():
            norm = norm[:-1]
        tok.norm_ = norm
    return doc


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
        specs = [(f"priority:{p.id}", p) for p in rules.taxonomy.priorities]
        specs += [(f"competency:{c.id}", c) for c in rules.taxonomy.competencies]
        specs += [(f"competency:{c.id}:context", RuleSpec(phrases=c.context))
                  for c in rules.taxonomy.competencies if c.context]
        specs += [(f"cue:{name}", spec) for name, spec in rules.sections.cues.items()]
        specs += [(f"lex:{lex.label}", lex) for lex in rules.lexicons.values()]
        specs += [("smart:time", rules.sections.smart.time),
                  ("smart:measure", rules.sections.smart.measure)]
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
