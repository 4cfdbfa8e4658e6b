"""A report's language, told offline (lingua) from its opening and a sample of the rest.

The detector chooses among the pack's candidate languages (rules/language.yaml) with lingua's
low-accuracy mode (trigram models shipped in its wheel). Its models load on the first piece of
text that needs them, never at import. The text is read in pieces cut at sentence ends: those
in the first `head_chars` characters and a few spread over the rest (each standing for its
stretch of the rest), each without its names,
codes and numbers (`common_words`). A piece counts for the pack's language when enough of its
words are the pack's function words (no model needed: most reports are in the pack's language),
else for the language the detector is at least `min_confidence` sure of. A report is in another
language when that language counts the most characters and at least half of those read;
otherwise it is in the pack's (so are texts shorter than `min_chars`), and mixed when another
language counts at least `mixed_share` of them: refusing a report in the pack's language costs
more than auditing one that is not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from auditor.config import ConfigError, LanguageSettings

if TYPE_CHECKING:
    from lingua import Language, LanguageDetector

# A sentence ends at . ! ? followed by space, at a line break, or after a CJK full stop.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\s*\n\s*|(?<=[。！？])")
_WORD = re.compile(r"\w+")
# Scripts written without spaces, whose characters each carry about a short word.
_WIDE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


def common_words(piece: str) -> str:
    """The words of `piece` without capitals or digits, space-separated.

    Names, places, brands and codes ("Dr. Gößling", "Zürich", "HbA1c", "Q3") say little about
    the language a report is written in, and a letter such as ß would make the detector decide
    for German at once; sentence-initial words go too, which costs little.
    """
    return " ".join(
        w for w in _WORD.findall(piece) if not any(c.isupper() or c.isdigit() for c in w)
    )


def weighted_length(text: str, wide_weight: int) -> int:
    """Characters of `text`, those of scripts written without spaces counting `wide_weight`."""
    return len(text) + (wide_weight - 1) * len(_WIDE.findall(text))


@dataclass(frozen=True)
class ReportLanguage:
    """What detection tells of one report: its language and, when mixed, the other one."""

    code: str
    other: str | None = None
    other_share: float = 0.0


def _pieces(text: str, size: int) -> list[str]:
    """`text` in pieces of about `size` characters, cut at sentence ends (or hard, if need be)."""
    pieces: list[str] = []
    current = ""
    for sentence in _SENTENCE_END.split(text):
        for start in range(0, len(sentence), size):
            part = sentence[start : start + size]
            if current and len(current) + 1 + len(part) > size:
                pieces.append(current)
                current = ""
            current = f"{current} {part}" if current else part
    if current.strip():
        pieces.append(current)
    return [p for p in pieces if p.strip()]


def sample(text: str, settings: LanguageSettings) -> list[tuple[str, float]]:
    """The pieces detection reads, each with the share of the text it stands for per character.

    All the head's pieces (weight 1), then the longest piece before each of a few evenly spaced
    points of the rest, the last at its end, each standing for its stretch of the rest.
    """
    pieces = [(p, 1.0) for p in _pieces(text[: settings.head_chars], settings.chunk_chars)]
    rest = text[settings.head_chars :]
    wanted = -(-settings.sample_chars // settings.chunk_chars)  # ceiling division
    if not rest.strip() or not wanted:
        return pieces
    step = len(rest) / wanted
    for i in range(1, wanted + 1):
        end = round(i * step)
        window = rest[max(0, end - 2 * settings.chunk_chars) : end]
        longest = sorted(_pieces(window, settings.chunk_chars), key=len)[-1:]
        pieces.extend((p, max(1.0, step / len(p))) for p in longest)
    return pieces


def language_name(code: str) -> str:
    """The English name of a language by its ISO 639-1 code ("fr" -> "French")."""
    from lingua import IsoCode639_1, Language

    return Language.from_iso_code_639_1(IsoCode639_1.from_str(code)).name.title()


class LanguageTeller:
    """Tells a report's language among a pack's candidates; the models load on first use."""

    def __init__(self, settings: LanguageSettings, source: str = "rules") -> None:
        from lingua import IsoCode639_1, Language

        self.settings = settings
        self._detector: LanguageDetector | None = None
        languages: list[Language] = []
        for code in settings.candidates:
            try:
                languages.append(Language.from_iso_code_639_1(IsoCode639_1.from_str(code)))
            except ValueError:
                raise ConfigError(
                    f"{source}/language.yaml: candidates: {code!r} is not a language the "
                    "detector knows"
                ) from None
        self._languages = languages

    def _built(self) -> LanguageDetector:
        if self._detector is None:
            from lingua import LanguageDetectorBuilder

            builder = LanguageDetectorBuilder.from_languages(*self._languages)
            self._detector = builder.with_low_accuracy_mode().build()
        return self._detector

    def tell(self, text: str) -> ReportLanguage:
        """The language of `text` and, when it is mixed, the other language and its share."""
        s = self.settings
        pieces = [(common_words(p), weight) for p, weight in sample(text, s)]
        if weighted_length("".join(p for p, _ in pieces), s.wide_char_weight) < s.min_chars:
            return ReportLanguage(s.language)
        counted: dict[str, float] = {}
        read = 0.0
        for piece, weight in pieces:
            if not piece:
                continue
            size = weight * weighted_length(piece, s.wide_char_weight)
            read += size
            words = piece.split()
            if sum(w in s.function_words for w in words) >= s.function_word_share * len(words):
                counted[s.language] = counted.get(s.language, 0.0) + size
                continue
            best = self._built().compute_language_confidence_values(piece)[0]
            if best.value >= s.min_confidence:
                code = best.language.iso_code_639_1.name.lower()
                counted[code] = counted.get(code, 0.0) + size
        top = max(counted, key=lambda code: (counted[code], code == s.language), default=None)
        if top is not None and top != s.language and 2 * counted[top] >= read:
            return ReportLanguage(top)
        others = [(n, code) for code, n in counted.items() if code != s.language]
        if not others or max(others)[0] < s.mixed_share * read:
            return ReportLanguage(s.language)
        n, other = max(others)
        return ReportLanguage(s.language, other, n / read)

    def unsupported(self, found: ReportLanguage) -> str | None:
        """Why a report in `found` language is not audited, or None when it is the pack's."""
        pack = self.settings.language
        if found.code == pack:
            return None
        return (
            f"report is in {language_name(found.code)} ({found.code}); "
            f"this rule pack covers {language_name(pack)} ({pack})"
        )

    def mixed(self, found: ReportLanguage) -> str | None:
        """The warning of a mixed report, or None."""
        if found.other is None:
            return None
        pack = self.settings.language
        return (
            f"report is partly in {language_name(found.other)} ({found.other}): about "
            f"{found.other_share:.0%} of the text read for its language; this rule pack covers "
            f"{language_name(pack)} ({pack}) and may miss what that part says"
        )
