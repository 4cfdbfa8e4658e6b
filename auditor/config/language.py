"""The language a rule pack covers and how a report's language is told (rules/language.yaml)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from auditor.config.base import StrictModel

#: An ISO 639-1 code, lower case ("en", "fr", "ja").
IsoCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")]


class LanguageSettings(StrictModel):
    """The pack's language, the languages a report may be told to be in, and the thresholds."""

    language: IsoCode = "en"
    candidates: tuple[IsoCode, ...] = Field(
        default=("en", "fr", "de", "es", "pt", "it", "nl", "ja"), min_length=1
    )
    min_chars: int = Field(default=50, ge=1)
    wide_char_weight: int = Field(default=3, ge=1)
    head_chars: int = Field(default=1000, ge=1)
    sample_chars: int = Field(default=600, ge=0)
    chunk_chars: int = Field(default=150, ge=20)
    function_words: frozenset[str] = frozenset()
    function_word_share: float = Field(default=0.15, gt=0, le=1)
    min_confidence: float = Field(default=0.8, gt=0, le=1)
    mixed_share: float = Field(default=0.2, gt=0, lt=1)

    @model_validator(mode="after")
    def _pack_language_is_a_candidate(self) -> LanguageSettings:
        if self.language not in self.candidates:
            raise ValueError(f"language {self.language!r} must be one of the candidates")
        if len(set(self.candidates)) != len(self.candidates):
            raise ValueError("candidates: a language is listed twice")
        return self
