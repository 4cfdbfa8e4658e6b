"""From rule hits to the report's structure: sections, STAR, objectives, focus and signals.

Sentences get roles from headings (a heading's role covers the lines under it up to the next
heading) and from cues; report-level signals and the focus competencies follow from the roles,
as configured in rules/sections.yaml.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from spacy.tokens import Doc, Span

from auditor.annotations import Annotations, Hit, Objective
from auditor.config import RuleSet
from auditor.nlp.matching import Match

_BULLET = r"(?:[-*•·▪‣>–—]+\s*|\(?\d{1,2}[.)]\s+|\(?[a-z][.)]\s+)?"
_HEAD_LINE = re.compile(
    rf"^\s*{_BULLET}[#*_ ]*(?P<head>[^\W\d][\w '’&/+-]{{0,45}}?)[*_ ]*"
    r"(?:\([^)\n]{0,40}\))?\s*(?:[:：]|\s[-–—]\s|$)\s*(?P<rest>.*)$"
)
_BULLET_START = re.compile(r"^\s*(?:[-*•·▪‣>–—]|\(?\d{1,2}[.)]\s)")
_SPACES = re.compile(r"\s+")
_NEGATED = re.compile(r"\b(not|n't|never|no|hardly)\W+(\w+\W+)?$", re.IGNORECASE)
_VERB_TAGS = {"VB", "VBP", "VBG", "VBZ"}
_TOPIC = re.compile(r"\s*(?:[:–—]|\s-\s)")
_COACHING_ROLES = {"action", "result", "next_objective", "reinforcement"}


@dataclass
class _Sentence:
    start: int
    end: int
    text: str
    heading_role: str | None = None
    content_start: int = -1
    content: bool = True
    roles: set[str] = field(default_factory=set)
    cues: dict[str, list[Match]] = field(default_factory=lambda: defaultdict(list))


def _norm_heading(text: str) -> str:
    return _SPACES.sub(" ", text.replace("’", "'").strip(" *_#").lower())


class ReportReader:
    """Turns matches into `doc.spans` and `doc._.fcr` for one rule pack."""

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        sec = rules.sections
        self.headings = {_norm_heading(h): role for role, hs in sec.headings.items() for h in hs}
        self.positional = sec.positional_headings
        self.positional_words = {_norm_heading(w) for w in sec.positional_headings.words}
        # An exception matches at a word start ("refer" in "referred", not in "prefer";
        # "never" not in "whenever"); it may end mid-word ("no patient identif").
        self.exceptions: dict[str, re.Pattern[str]] = {
            lex.label: re.compile("|".join(rf"(?<!\w){re.escape(e.lower())}"
                                           for e in lex.exceptions))
            for lex in rules.lexicons.values() if lex.exceptions}
        self.specific_lemmas = frozenset(x.lower() for x in sec.smart.specific.lemmas)
        self.focus = sec.focus

    # -- sentences and headings -------------------------------------------------------------
    def _sentences(self, doc: Doc, text: str) -> list[_Sentence]:
        sents = [_Sentence(s.start_char, s.end_char, text[s.start_char:s.end_char])
                 for s in doc.sents if text[s.start_char:s.end_char].strip()]
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
            if head_role:
                role, inline = head_role, bool(m.group("rest").strip())
                seen_content = inline
                line_role.append((start, pos, role, start + m.start("rest")))
                continue
            sibling = m is not None and ":" in line[:m.end("head") + 3]
            if inline and (not _BULLET_START.match(line) or sibling):
                # Prose after a one-line "Heading: text", or a sibling "- Other label: text",
                # is not under it.
                role = None
            seen_content = seen_content or role is not None
            line_role.append((start, pos, role, -1))
        starts = [lr[0] for lr in line_role]
        for s in sents:
            i = bisect_right(starts, s.start) - 1
            if i < 0:
                continue
            lstart, _lend, r, content_start = line_role[i]
            s.heading_role = r
            if content_start >= 0 and s.start < content_start:
                s.content_start = content_start
                s.content = len(text[content_start:s.end].strip(" :.-\n\t")) >= 3
        return sents

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
        sents = self._sentences(doc, text)
        starts = [s.start for s in sents]
        by_kind: dict[str, list[tuple[Match, int]]] = defaultdict(list)
        seen: set[tuple[str, int, int]] = set()
        for m in sorted(matches, key=lambda m: (m.start, -m.end)):
            i = bisect_right(starts, m.start) - 1
            if i < 0 or (m.label, m.start, m.end) in seen:
                continue
            seen.add((m.label, m.start, m.end))
            kind, _, label = m.label.partition(":")
            sent = sents[i]
            if m.start < sent.content_start and kind in ("priority", "competency", "cue"):
                continue  # words of a heading ("Call objective:") are not content
            if kind == "lex" and label in self.exceptions:
                # The sentence and the two after it: "Dr X asked about off-label use. She
                # referred it to medical information." is handled correctly, not a risk.
                low = " ".join(x.text for x in sents[i:i + 3]).lower()
                if self.exceptions[label].search(low):
                    continue
            by_kind[kind].append((m, i))
            if kind in ("cue", "smart", "lex"):
                sent.cues[label].append(m)
        self._assign_roles(doc, text, sents, {i for _, i in by_kind["competency"]})
        ann = self._annotate(doc, text, sents, by_kind)
        doc._.fcr = ann
        self._write_spans(doc, sents, by_kind, ann)

    def _assign_roles(self, doc: Doc, text: str, sents: list[_Sentence],
                      comp_sents: set[int]) -> None:
        for i, s in enumerate(sents):
            head = s.heading_role if s.content else None
            if head:
                s.roles.add(head)
            for role in ("action", "result", "rep_voice"):
                if s.cues.get(role):
                    s.roles.add(role)
            # Under a heading, cues do not override what the form says about plan and goals.
            if head in (None, "situation") and (
                s.cues.get("situation")
                or (i < self.rules.sections.setting_sentences and s.cues.get("setting"))
            ):
                s.roles.add("situation")
            if head in (None, "result") and s.cues.get("next_objective"):
                specific = self._specific(doc, s)
                # A sales target ("reach 110% by Q4") is not a development objective.
                if specific or (s.cues.get("time") and not s.cues.get("metric")):
                    s.roles.add("next_objective")
            # Praise counts as reinforcement only when it names something specific.
            praise = [m for m in s.cues.get("reinforcement", ())
                      if not _NEGATED.search(text[max(s.start, m.start - 12):m.start])]
            if praise and (head == "reinforcement" or s.cues.get("observed")
                           or s.cues.get("action") or i in comp_sents):
                s.roles.add("reinforcement")

    def _specific(self, doc: Doc, s: _Sentence) -> bool:
        span = doc.char_span(s.start, s.end, alignment_mode="expand")
        return span is not None and any(
            t.tag_ in _VERB_TAGS and t.norm_ in self.specific_lemmas for t in span
        )

    def _annotate(self, doc: Doc, text: str, sents: list[_Sentence],
                  by_kind: dict[str, list[tuple[Match, int]]]) -> Annotations:
        rules = self.rules

        def hit(m: Match, label: str | None = None) -> Hit:
            return Hit(m.start, m.end, label or m.label.split(":")[1],
                       text[m.start:m.end], m.source)

        def sent_hit(s: _Sentence, label: str, source: str) -> Hit:
            return Hit(s.start, s.end, label, s.text, source)

        def role_hits(role: str) -> tuple[Hit, ...]:
            return tuple(sent_hit(s, role, _why(s, role)) for s in sents if role in s.roles)

        priorities = tuple(hit(m) for m, _ in by_kind["priority"])
        competencies = tuple(hit(m) for m, _ in by_kind["competency"])

        # Focus: mentions in coaching sentences weigh more than mentions in passing.
        weights = self.focus.role_weights
        best: dict[tuple[str, int], float] = {}  # (competency, sentence) -> weight
        focus_ev: dict[str, list[Hit]] = defaultdict(list)
        for m, i in by_kind["competency"]:
            cid, _, ctx = m.label.partition(":")[2].partition(":")
            weight = max((weights.get(r, 0.0) for r in sents[i].roles),
                         default=0.0) or self._passing_weight(sents, i)
            if ctx:
                weight *= self.focus.context_factor
            lead = text[sents[i].start:m.start].strip(" \t\n-*•·0123456789.)(")
            if _TOPIC.match(text, m.end) and not lead:
                # "Objections: take your time when..." names the competency as the topic.
                weight = max(weight, self.focus.topic_weight)
            if weight > self.focus.passing_weight:
                focus_ev[cid].append(hit(m))
            best[cid, i] = max(best.get((cid, i), 0.0), weight)
        scores: dict[str, float] = defaultdict(float)
        for (cid, _), weight in best.items():
            scores[cid] += weight
        ranked = sorted(scores, key=lambda c: (-scores[c], rules.competency_ids.index(c)))
        # The strongest competency needs less evidence than the second and third.
        focus = tuple(c for n, c in enumerate(ranked) if scores[c] >= (
            self.focus.top_min_score if n == 0 else self.focus.min_score))
        focus_evidence = tuple(h for c in focus for h in focus_ev[c])

        objectives = self._objectives(doc, sents, by_kind)

        lex = {label: tuple(hit(m) for m, _ in by_kind["lex"] if m.label == f"lex:{label}")
               for label in ("judgmental", "compliance_risk", "metric")}
        observed = tuple(hit(m, "observed_behavior") for s in sents
                         for m in s.cues.get("observed", ()))
        signals = {
            "situation": role_hits("situation"),
            "action": role_hits("action"),
            "result": role_hits("result"),
            "next_objective": role_hits("next_objective"),
            "reinforcement": role_hits("reinforcement"),
            "dialogue": role_hits("rep_voice"),
            "observed_behavior": observed,
            "judgmental": lex["judgmental"],
            "compliance_risk": lex["compliance_risk"],
            "focus_competencies": focus_evidence,
            "priorities": priorities,
        }
        spec = rules.sections.numbers_only
        coaching = sum(1 for s in sents if s.roles & _COACHING_ROLES and not s.cues.get("metric"))
        numbers_only = (len(lex["metric"]) >= spec.min_metric_hits
                        and coaching <= spec.max_coaching_sentences
                        and len(observed) <= spec.max_observed)
        signals["numbers_only"] = lex["metric"] if numbers_only else ()
        if numbers_only:
            priorities = ()  # a priority is connected through coaching, and there is none
            signals["priorities"] = ()
        return Annotations(
            text=text,
            rep_level=None,
            priorities=priorities,
            competencies=competencies,
            focus=focus,
            focus_evidence=focus_evidence,
            objectives=objectives,
            signals=signals,
        )

    def _passing_weight(self, sents: list[_Sentence], i: int) -> float:
        """The weight of a mention in sentence `i`, which has no coaching role.

        In running prose, feedback often comes without a cue ("She also hasn't reached the
        buyer."): after the opening sentence and outside headed sections, such a sentence weighs
        `focus.body_weight`. The opening sentence and headed sections ("Context: ...") set the
        scene and weigh `focus.passing_weight`.
        """
        body = self.focus.body_weight
        if body is None or i == 0 or sents[i].heading_role is not None:
            return self.focus.passing_weight
        return max(body, self.focus.passing_weight)

    def _objectives(self, doc: Doc, sents: list[_Sentence],
                    by_kind: dict[str, list[tuple[Match, int]]]) -> tuple[Objective, ...]:
        comp_sents = {i for _, i in by_kind["competency"]}
        window = self.rules.sections.smart.window
        out = []
        for i, s in enumerate(sents):
            if "next_objective" not in s.roles:
                continue
            group = [j for j in range(max(0, i - window), min(i + 1 + window, len(sents)))
                     if "next_objective" in sents[j].roles]
            out.append(Objective(
                start=s.start, end=s.end, text=s.text,
                specific=any(j in comp_sents or self._specific(doc, sents[j]) for j in group),
                measurable=any(sents[j].cues.get("measure") for j in group),
                time_bound=any(sents[j].cues.get("time") for j in group),
            ))
        return tuple(out)

    def _write_spans(self, doc: Doc, sents: list[_Sentence],
                     by_kind: dict[str, list[tuple[Match, int]]], ann: Annotations) -> None:
        def spans(items: Iterable[tuple[int, int, str]]) -> list[Span]:
            out = []
            for start, end, label in items:
                sp = doc.char_span(start, end, label=label, alignment_mode="expand")
                if sp is not None:
                    out.append(sp)
            return out

        def strip(label: str) -> str:
            return label.partition(":")[2]

        doc.spans["priority"] = spans((m.start, m.end, strip(m.label))
                                      for m, _ in by_kind["priority"])
        doc.spans["competency"] = spans((m.start, m.end, m.label.split(":")[1])
                                        for m, _ in by_kind["competency"])
        doc.spans["cue"] = spans((m.start, m.end, strip(m.label))
                                 for k in ("cue", "smart", "lex") for m, _ in by_kind[k])
        doc.spans["star"] = spans((s.start, s.end, r) for s in sents for r in sorted(s.roles)
                                  if r in ("situation", "action", "result"))
        doc.spans["objective"] = spans((o.start, o.end, "next_objective") for o in ann.objectives)
        doc.spans["focus"] = spans((h.start, h.end, h.label) for h in ann.focus_evidence)
        doc.spans["signal"] = spans((h.start, h.end, name) for name in
                                    ("observed_behavior", "reinforcement", "dialogue",
                                     "judgmental", "compliance_risk", "numbers_only")
                                    for h in ann.signal(name))


def _why(s: _Sentence, role: str) -> str:
    """Say which rule gave a sentence its role: the heading or the first cue."""
    if s.heading_role == role:
        return "heading"
    cues = s.cues.get(role)
    return cues[0].source if cues else "rule"
