"""spaCy components that read a coaching report.

- `fcr_lines`: sentence boundaries at line breaks, bullets and end punctuation (reports are
  often lists and forms, where a statistical sentence splitter does poorly).
- `fcr_norm`: stores the lower-cased lemma in `token.norm_` so phrase rules match inflections.
- `fcr_tagger`: runs every rule of the pack and writes `doc.spans` ("priority", "competency",
  "cue") and, from them, the report-level `doc._.fcr` Annotations (see `auditor.nlp.reading`).
"""

from __future__ import annotations

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
    """Start a sentence after a line break and after end punctuation."""
    prev = None
    for i, tok in enumerate(doc):
        if i == 0:
            tok.is_sent_start = True
        elif "\n" in prev.text or "\n" in prev.whitespace_:
            tok.is_sent_start = True
        elif prev.text in _END and not tok.is_punct:
            tok.is_sent_start = True
        elif (prev.text in _QUOTES and i >= 2 and doc[i - 2].text in _END
              and prev.whitespace_ and not tok.is_punct and tok.is_title):
            tok.is_sent_start = True  # 'she said "I will." Then ...' ends after the quote
        else:
            tok.is_sent_start = False
        prev = tok
    return doc


@Language.component("fcr_norm")
def fcr_norm(doc: Doc) -> Doc:
    """Store the lower-cased lemma as the token norm (after the lemmatizer has run)."""
    for tok in doc:
        tok.norm_ = (tok.lemma_ or tok.text).lower()
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
