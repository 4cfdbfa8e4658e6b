"""Telling a report's language: short and long texts in six languages, mixed reports, settings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cli_support import copy_pack
from language_samples import LONG, MIXED, SHORT

from auditor.config import ConfigError, LanguageSettings, load_ruleset
from auditor.language import LanguageTeller, ReportLanguage, common_words, sample


@pytest.fixture(scope="module")
def teller(rules) -> LanguageTeller:
    return LanguageTeller(rules.language)


@pytest.mark.parametrize("lang", sorted(SHORT))
def test_short_texts_are_told_in_each_language(teller: LanguageTeller, lang: str) -> None:
    for text in SHORT[lang]:
        assert 15 <= len(text.split()) <= 40 or lang == "ja"
        assert teller.tell(text) == ReportLanguage(lang), text


@pytest.mark.parametrize("lang", sorted(LONG))
def test_long_texts_are_told_in_each_language(teller: LanguageTeller, lang: str) -> None:
    assert teller.tell(LONG[lang]) == ReportLanguage(lang)


def test_too_short_to_tell_is_the_packs_language(teller: LanguageTeller) -> None:
    assert teller.tell("Très bien, continue !") == ReportLanguage("en")
    assert teller.tell("Sehr gut gemacht.") == ReportLanguage("en")


def test_names_and_codes_do_not_make_a_report_german(teller: LanguageTeller) -> None:
    text = (
        "Stefan – Klinikverbund Mühlviertel (3 sites), account review with OA Dr. Gößling.\n"
        "Good meeting with Dr. Gößling, she will present the LDL-target audit to the board.\n"
        "Plan has no entries for the Freistadt and Rohrbach sites; complete it by Friday."
    )
    assert common_words("Dr. Gößling asked about HbA1c in Q3") == "asked about in"
    assert teller.tell(text) == ReportLanguage("en")


def test_a_german_paragraph_makes_an_english_report_mixed(teller: LanguageTeller) -> None:
    found = teller.tell(MIXED)
    assert (found.code, found.other) == ("en", "de")
    warning = teller.mixed(found)
    assert warning is not None
    assert warning.startswith("report is partly in German (de): about ")


def test_the_sample_reads_the_head_and_spread_pieces_of_the_rest(rules) -> None:
    s = rules.language
    text = " ".join(f"Sentence number {i} is here." for i in range(1_000))
    pieces = [p for p, _ in sample(text, s)]
    assert sum(map(len, pieces)) <= s.head_chars + s.sample_chars + 2 * s.chunk_chars
    assert all(len(p) <= s.chunk_chars for p in pieces)
    numbers = [int(n) for p in pieces for n in re.findall(r"\d+", p)]
    assert min(numbers) == 0
    assert max(numbers) > 990  # the sample reaches the end


def test_settings_are_validated(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="candidates"):
        LanguageSettings(language="fr", candidates=("en", "de"))
    pack = copy_pack(tmp_path / "pack", lambda d: d.update(min_confidence=2), "language.yaml")
    with pytest.raises(ConfigError, match=r"language\.yaml: min_confidence"):
        load_ruleset(pack)
    with pytest.raises(ConfigError, match="'xx' is not a language"):
        LanguageTeller(LanguageSettings(candidates=("en", "xx")))


def test_a_french_pack_audits_french_and_refuses_english(tmp_path: Path) -> None:
    french = {"language": "fr", "function_words": ["le", "la", "les", "et", "avec", "pour"]}
    pack = copy_pack(tmp_path / "pack", lambda d: d.update(french), "language.yaml")
    teller = LanguageTeller(load_ruleset(pack).language)
    assert teller.unsupported(teller.tell(LONG["fr"])) is None
    assert teller.unsupported(teller.tell(LONG["en"])) == (
        "report is in English (en); this rule pack covers French (fr)"
    )


def test_the_bundled_pack_declares_english(rules) -> None:
    assert rules.language.language == "en"


def test_english_pieces_need_no_model(rules) -> None:
    teller = LanguageTeller(rules.language)
    assert teller.tell(LONG["en"]) == ReportLanguage("en")
    assert teller._detector is None  # its function words told it: lingua's models never loaded


def test_a_foreign_opening_does_not_refuse_an_english_report(teller: LanguageTeller) -> None:
    text = "Visite à l'hôpital avec Dr Müller, très bien. " + LONG["en"]
    assert teller.tell(text).code == "en"
