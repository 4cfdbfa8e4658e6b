"""Content words of a text, as the follow-through decision compares them (pure).

Lower case, stopwords dropped, a few endings cut, synonyms folded into their group's first word,
all as rules/followthrough.yaml says.
"""

from __future__ import annotations

import re
import sys
from functools import cached_property

from auditor.config import FollowThroughSettings

_WORD = re.compile(r"[a-z][a-z'’-]*[a-z]|[a-z]")


class Vocabulary:
    """Turns texts into comparable content words for one pack's settings."""

    def __init__(self, settings: FollowThroughSettings) -> None:
        self.settings = settings
        words = settings.words
        self._suffixes = sorted(words.suffixes, key=len, reverse=True)
        stop = {w.lower() for w in words.stopwords}
        self._stop = stop | {self._stem(w) for w in stop}

    def _stem(self, word: str) -> str:
        for suffix in self._suffixes:
            if word.endswith(suffix) and len(word) - len(suffix) >= self.settings.words.min_stem:
                return word[: -len(suffix)]
        return word

    @cached_property
    def _synonyms(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for group in self.settings.words.synonyms:
            head = self._stem(group[0].lower())
            for word in group:
                out.setdefault(self._stem(word.lower()), head)
        return out

    def tokens(self, text: str) -> list[str]:
        """Every word of `text`, normalised (stopwords kept)."""
        synonyms = self._synonyms
        out = []
        for raw in _WORD.findall(text.lower().replace("’", "'")):
            stem = self._stem(raw)
            out.append(synonyms.get(stem, stem))
        return out

    def content(self, text: str) -> frozenset[str]:
        """The content words of `text`: normalised, without stopwords and short words."""
        least = self.settings.words.min_length
        # Interned: a batch keeps the words of many reports, most of them the same few.
        return frozenset(
            sys.intern(w) for w in self.tokens(text) if len(w) >= least and w not in self._stop
        )

    @cached_property
    def progress(self) -> frozenset[str]:
        """The progress words, normalised."""
        return frozenset(w for p in self.settings.progress for w in self.tokens(p))
