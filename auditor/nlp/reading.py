"""Read a report's structure off the spaCy Doc, then write `doc.spans` and `doc._.fcr`.

Sentences get roles from headings (a heading's role covers the lines under it up to the next
heading); `auditor.nlp.derivation` adds the roles from cues and derives the focus competencies,
objectives and signals, as configured in rules/sections.yaml and rules/reading.yaml.
"""

from __future__ import annotations

import dataclasses
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable

import numpy
from spacy.attrs import IDX, LENGTH, NORM, TAG
from spacy.tokens import Doc, Span

from auditor.annotations import Annotations, Hit
from auditor.config import RuleSet
from auditor.nlp.derivation import (
    Match,
    Reading,
    SentenceFacts,
    derive_annotations,
    read_sentences,
)
from auditor.nlp.sentences import VERB_TAGS

_BULLET = r"(?:[-*•·▪‣>–—]+\s*|\(?\d{1,2}[.)]\s+|\(?[a-z][.)]\s+)?"
_HEAD_LINE = re.compile(
    rf"^\s*{_BULLET}[#*_ ]*(?P<head>[^\W\d][\w '’&/+-]{{0,45}}?)[*_ ]*"
    r"(?:\([^)\n]{0,40}\))?\s*(?:[:：]|\s[-–—]\s|$)\s*(?P<rest>.*)$"
)
_BULLET_START = re.compile(r"^\s*(?:[-*•·▪‣>–—]|\(?\d{1,2}[.)]\s)")
_SPACES = re.compile(r"\s+")


def _norm_heading(text: str) -> str:
    return _SPACES.sub(" ", text.replace("’", "'").strip(" *_#").lower())


def expanded_spans(doc: Doc, text: str, items: Iterable[tuple[int, int, str]]) -> list[Span]:
    """Labelled token spans of (start, end, label) character ranges of `text` (`doc.text`), as
    `doc.char_span(start, end, label, alignment_mode="expand")` gives them (None left out)."""
    idx, length = doc.to_array(IDX).tolist(), doc.to_array(LENGTH).tolist()
    out = []
    for start, end, label in items:
        if not (0 <= start < len(text) and 0 < end <= len(text)):
            continue  # char_span finds no token there
        first = bisect_right(idx, start) - 1
        if start == idx[first] + length[first]:
            first += 1  # in the whitespace after a token: the next one starts the span
        out.append(Span(doc, first, bisect_right(idx, end - 1), label=label))
    return out


class ReportReader:
    """Turns matches into `doc.spans` and `doc._.fcr` for one rule pack."""

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        sec = rules.sections
        self.headings = {_norm_heading(h): role for role, hs in sec.headings.items() for h in hs}
        self.positional = sec.positional_headings
        self.positional_words = {_norm_heading(w) for w in sec.positional_headings.words}

    # -- sentences and headings -------------------------------------------------------------
    def _sentences(self, doc: Doc, text: str) -> list[SentenceFacts]:
        """The non-blank sentences with their heading roles and verbs."""
        role: str | None = None
        inline = False  # the current heading had text on its own line
        seen_content = False
        pos = 0
        line_role: list[tuple[int, int, str | None, int]] = []  # start, end, role, content_start
        for line in text.splitlines(keepends=True):
            start, pos = pos, pos + len(line)
            stripped = line.strip()
            if not stripped:
                if seen_content:
                    role = None  # a blank line closes a heading's section once it has content
                continue
            m = _HEAD_LINE.match(line.rstrip("\r\n"))
            head_role = self._heading_role(m.group("head"), start / len(text)) if m else None
            if m and head_role:
                role, inline = head_role, bool(m.group("rest").strip())
                seen_content = inline
                line_role.append((start, pos, role, start + m.start("rest")))
                continue
            sibling = m is not None and ":" in line[: m.end("head") + 3]
            if inline and (not _BULLET_START.match(line) or sibling):
                # Prose after a one-line "Heading: text", or a sibling "- Other label: text",
                # is not under it.
                role = None
            seen_content = seen_content or role is not None
            line_role.append((start, pos, role, -1))
        starts = [lr[0] for lr in line_role]
        verb_at, verb_norm = self._verbs(doc)
        out = []
        for sent in doc.sents:
            start, end = sent.start_char, sent.end_char
            if not text[start:end].strip():
                continue
            a, b = bisect_left(verb_at, sent.start), bisect_left(verb_at, sent.end)
            verbs = frozenset(verb_norm[a:b])
            i = bisect_right(starts, start) - 1
            r, content_start, content = None, -1, True
            if i >= 0:
                _lstart, _lend, r, line_content = line_role[i]
                if line_content >= 0 and start < line_content:
                    content_start = line_content
                    content = len(text[content_start:end].strip(" :.-\n\t")) >= 3
            out.append(SentenceFacts(start, end, text[start:end], r, content_start, content, verbs))
        return out

    @staticmethod
    def _verbs(doc: Doc) -> tuple[list[int], list[str]]:
        """Token index and norm of every token with a verb tag (VERB_TAGS), in order."""
        strings = doc.vocab.strings
        tags, norms = doc.to_array([TAG, NORM]).reshape(len(doc), 2).T
        at = numpy.flatnonzero(numpy.isin(tags, [strings[t] for t in VERB_TAGS])).tolist()
        return at, [strings[n] for n in norms[at].tolist()]

    def _heading_role(self, head: str, position: float) -> str | None:
        key = _norm_heading(head)
        words = key.split()
        # "Objective until our 10 Nov ride-along:" is an "Objective:" heading.
        for n in range(len(words), 0, -1):
            prefix = " ".join(words[:n])
            if prefix in self.positional_words:
                early = position < self.positional.early_share
                return self.positional.early if early else self.positional.late
            if prefix in self.headings and (n == len(words) or len(prefix) > 3):
                return self.headings[prefix]
        return None

    # -- main entry --------------------------------------------------------------------------
    def read(self, doc: Doc, matches: Iterable[Match]) -> None:
        """Write `doc.spans` and set `doc._.fcr`."""
        text = doc.text  # built anew on every access: read it once
        reading = read_sentences(text, self._sentences(doc, text), matches, self.rules)
        ann = derive_annotations(text, reading, self.rules)
        ann = dataclasses.replace(
            ann, signals={**ann.signals, "follow_up": back_references(reading)}
        )
        doc._.fcr = ann
        self._write_spans(doc, text, reading, ann)

    def _write_spans(self, doc: Doc, text: str, reading: Reading, ann: Annotations) -> None:
        def spans(items: Iterable[tuple[int, int, str]]) -> list[Span]:
            return expanded_spans(doc, text, items)

        def strip(label: str) -> str:
            return label.partition(":")[2]

        doc.spans["priority"] = spans(
            (m.start, m.end, strip(m.label)) for m, _ in reading.of("priority")
        )
        doc.spans["competency"] = spans(
            (m.start, m.end, m.label.split(":")[1]) for m, _ in reading.of("competency")
        )
        doc.spans["cue"] = spans(
            (m.start, m.end, strip(m.label))
            for k in ("cue", "smart", "lex")
            for m, _ in reading.of(k)
        )
        doc.spans["star"] = spans(
            (s.start, s.end, r)
            for s in reading.sentences
            for r in sorted(s.roles)
            if r in ("situation", "action", "result")
        )
        doc.spans["objective"] = spans((o.start, o.end, "next_objective") for o in ann.objectives)
        doc.spans["focus"] = spans((h.start, h.end, h.label) for h in ann.focus_evidence)
        doc.spans["signal"] = spans(
            (h.start, h.end, name)
            for name in (
                "observed_behavior",
                "reinforcement",
                "dialogue",
                "judgmental",
                "compliance_risk",
                "numbers_only",
            )
            for h in ann.signal(name)
        )


def back_references(reading: Reading) -> tuple[Hit, ...]:
    """The sentences that look back at an earlier visit or objective (the `back_reference`
    lexicon, rules/lexicons/back_reference.yaml): the report's `follow_up` signal."""
    return tuple(
        Hit(s.start, s.end, "follow_up", s.text, s.cues["back_reference"][0].source)
        for s in reading.sentences
        if s.cues.get("back_reference")
    )
