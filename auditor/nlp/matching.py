"""One rule shape, dispatched in one place: lemma phrases, exact phrases, token patterns, regexes.

A `RuleMatcher` compiles labelled `RuleSpec`s into spaCy matchers once and returns character
offsets. Phrases match on the lower-cased lemma, which the `fcr_norm` component stores in
`token.norm_`; `exact` phrases match on the lower-cased surface form. The phrases' lemmas come
from the compiled-pack cache (`auditor.nlp.compiled`) or, on a miss, from one pass of the reading
pipeline over all of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc
from spacy.vocab import Vocab

from auditor.config import RuleSpec
from auditor.nlp.compiled import Norms, Phrases, phrase_norms
from auditor.nlp.derivation import Match
from auditor.nlp.regex_set import RegexSet
from auditor.nlp.token_regex import TokenPatterns


def lemmatise(nlp: Language, phrases: Phrases) -> Norms:
    """The norm of every token of every phrase, read by the pipeline that reads the reports.

    The lower-cased phrases go through `nlp` in one pass; norms are grouped back by label.
    """
    flat = [p.lower() for _, ps in phrases for p in ps]
    seqs = [[t.norm_ for t in doc] for doc in nlp.pipe(flat)]
    out: Norms = []
    for _, ps in phrases:
        out.append(seqs[: len(ps)])
        del seqs[: len(ps)]
    return out


def pipeline_identity(nlp: Language) -> dict[str, object]:
    """What of `nlp` the phrase norms depend on: model name and version, active components."""
    meta = nlp.meta
    return {
        "lang": nlp.lang,
        "model": f"{meta.get('name')}-{meta.get('version')}",
        "pipes": list(nlp.pipe_names),
    }


def _pattern(vocab: Vocab, norms: list[str]) -> Doc:
    """A phrase pattern: a Doc whose tokens carry the given norms."""
    doc = Doc(vocab, words=norms)
    for tok, norm in zip(doc, norms, strict=True):
        tok.norm_ = norm
    return doc


class RuleMatcher:
    """Compiled matchers for many labelled rule specs."""

    def __init__(self, nlp: Language, specs: Iterable[tuple[str, RuleSpec]]) -> None:
        self._norm = PhraseMatcher(nlp.vocab, attr="NORM")
        self._lower = PhraseMatcher(nlp.vocab, attr="LOWER")
        token_patterns: list[tuple[str, Sequence[dict[str, Any]]]] = []
        regexes: list[tuple[str, str]] = []
        norm_phrases: dict[str, list[str]] = {}
        for label, spec in specs:
            if spec.phrases:
                norm_phrases.setdefault(label, []).extend(spec.phrases)
            if spec.exact:
                self._lower.add(label, [nlp.make_doc(p.lower()) for p in spec.exact])
            token_patterns.extend((label, p) for p in spec.patterns)
            regexes.extend((label, r) for r in spec.regex)
        self._tokens = TokenPatterns(nlp.vocab, token_patterns)
        self._regex_labels = [label for label, _ in regexes]
        self._regex = RegexSet([r for _, r in regexes], re.IGNORECASE)
        phrases = list(norm_phrases.items())
        norms = phrase_norms(phrases, pipeline_identity(nlp), lambda ps: lemmatise(nlp, ps))
        for (label, _), seqs in zip(phrases, norms, strict=True):
            self._norm.add(label, [_pattern(nlp.vocab, seq) for seq in seqs])

    def __call__(self, doc: Doc) -> list[Match]:
        """All hits in `doc`, in no particular order."""
        strings = doc.vocab.strings
        text = doc.text  # built anew on every access: read it once
        out: list[Match] = []
        for matcher, kind in ((self._norm, "phrase"), (self._lower, "exact")):
            for key, s, e in matcher(doc):
                span = doc[s:e]
                out.append(
                    Match(
                        strings[key], span.start_char, span.end_char, f"{kind}:{span.text.lower()}"
                    )
                )
        for label, s, e in self._tokens(doc):
            a, b = doc[s].idx, doc[e - 1].idx + len(doc[e - 1])
            out.append(Match(label, a, b, f"pattern:{text[a:b].lower()}"))
        for label, rx, spans in zip(
            self._regex_labels, self._regex.regexes, self._regex.finditer(text), strict=True
        ):
            out.extend(Match(label, a, b, f"regex:{rx.pattern}") for a, b in spans)
        return out
