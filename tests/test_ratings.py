"""Rating scales (rules/ratings.yaml): reading values onto them, validating a pack's scales, and
ratings mapped from export columns into metadata["ratings"] (no spaCy)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from auditor.config import DEFAULT_RULES_DIR, ConfigError, RatingScales, load_ratings
from auditor.io import InputError, TableOptions, build_map, parse_map
from auditor.io.tabular import read_csv
from auditor.schema import Report

SCALES = load_ratings()


@pytest.mark.parametrize(
    ("value", "rating", "expected"),
    [
        ("5", "overall", ("five_point", 1.0, "high")),
        ("4", "overall", ("five_point", 0.75, "high")),
        ("3", "overall", ("five_point", 0.5, "mid")),
        (2, "overall", ("five_point", 0.25, "low")),
        ("4.5", "overall", ("five_point", 0.875, "high")),
        ("4,5", "overall", ("five_point", 0.875, "high")),  # a decimal comma
        ("3/4", "overall", ("four_point", 2 / 3, "mid")),
        ("8 / 10", "overall", ("ten_point", 7 / 9, "high")),
        ("85%", "overall", ("percent", 0.85, "high")),
        ("Exceeds", "overall", ("below_meets_exceeds", 1.0, "high")),
        ("  MEETS   Expectations ", "overall", ("below_meets_exceeds", 0.5, "mid")),
        ("does not meet.", "overall", ("below_meets_exceeds", 0.0, "low")),
        ("needs-improvement", "overall", ("needs_improvement_proficient_expert", 0.0, "low")),
        ("Role_Model", "overall", ("needs_improvement_proficient_expert", 1.0, "high")),
    ],
)
def test_values_are_read_onto_their_scale(value, rating, expected) -> None:
    read = SCALES.read(value, rating)
    assert read is not None
    assert (read.scale, pytest.approx(read.value), read.band) == expected
    assert read.text == str(value).strip()


@pytest.mark.parametrize(
    "value", ["", "  ", "0", "6", "11/10", "3/7", "120%", "great", "n/a", "1e9", None, True, "-1"]
)
def test_values_on_no_scale_read_as_none(value) -> None:
    assert SCALES.read(value) is None


def test_a_bare_number_uses_the_ratings_numeric_scale(tmp_path: Path) -> None:
    data = yaml.safe_load((DEFAULT_RULES_DIR / "ratings.yaml").read_text(encoding="utf-8"))
    data["numeric"]["by_rating"] = {"objection_handling": "four_point"}
    (tmp_path / "ratings.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    scales = load_ratings(tmp_path)
    assert scales.read("4", "objection_handling").band == "high"  # type: ignore[union-attr]
    assert scales.read("4", "objection_handling").value == 1.0  # type: ignore[union-attr]
    assert scales.read("4").value == 0.75  # type: ignore[union-attr]
    assert scales.read("5", "objection_handling") is None


@given(st.one_of(st.text(max_size=40), st.integers(), st.floats(), st.none(), st.booleans()))
def test_any_junk_reads_as_a_rating_in_range_or_none(value) -> None:
    read = SCALES.read(value)
    if read is not None:
        assert 0.0 <= read.value <= 1.0
        assert read.band in ("low", "mid", "high")
        assert read.scale in SCALES.scales


LABELS = sorted(
    label
    for scale in SCALES.scales.values()
    if scale.kind == "labels"
    for level in scale.levels  # type: ignore[union-attr]
    for label in level.labels
)


@given(st.sampled_from(LABELS), st.text(" \t", max_size=3))
def test_labels_ignore_case_and_surrounding_space(label: str, pad: str) -> None:
    plain, shouted = SCALES.read(label), SCALES.read(f"{pad}{label.upper()}{pad}")
    assert plain is not None and shouted is not None
    assert (shouted.scale, shouted.value, shouted.band) == (plain.scale, plain.value, plain.band)


def _pack_with(tmp_path: Path, edit) -> Path:
    data = yaml.safe_load((DEFAULT_RULES_DIR / "ratings.yaml").read_text(encoding="utf-8"))
    edit(data)
    (tmp_path / "ratings.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda d: d["scales"]["needs_improvement_proficient_expert"]["levels"][1][
                "labels"
            ].append("Meets"),
            "label 'Meets' is also on scale 'below_meets_exceeds'",
        ),
        (lambda d: d["numeric"].update(default="below_meets_exceeds"), "numeric.default"),
        (lambda d: d["scales"]["five_point"].update(high=6), "min <= low < high <= max"),
        (lambda d: d["scales"]["five_point"].update(kind="stars"), "scales.five_point"),
    ],
)
def test_bad_scales_name_file_and_key(tmp_path: Path, edit, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_ratings(_pack_with(tmp_path, edit))
    assert str(tmp_path / "ratings.yaml") in str(err.value)
    assert message in str(err.value)


def test_a_pack_without_ratings_yaml_uses_the_bundled_scales(tmp_path: Path) -> None:
    assert load_ratings(tmp_path) == SCALES
    assert isinstance(SCALES, RatingScales)


# -- mapping ------------------------------------------------------------------------------------
CSV = (
    "Id,Comments,Overall Rating,OH Rating,Territory\n"
    "r1,You asked two open questions.,Exceeds,4,North\n"
    "r2,You presented the deck.,superb,,North\n"
    "r3,You presented the deck.,,2,South\n"
)


def _read(maps: list[str]) -> list[Report]:
    columns = build_map(overrides=parse_map(["id=Id", "text=Comments", *maps]))
    records = list(read_csv(io.BytesIO(CSV.encode()), "export.csv", TableOptions(columns)))
    assert all(isinstance(r, Report) for r in records)
    return records  # type: ignore[return-value]


def test_mapped_rating_columns_land_in_metadata_ratings() -> None:
    r1, r2, r3 = _read(["rating=Overall Rating", "rating.objection_handling=OH Rating"])
    assert r1.metadata["ratings"] == {"overall": "Exceeds", "objection_handling": "4"}
    assert "rating" not in r1.metadata and "Overall Rating" not in r1.metadata
    # Values are kept as given (the audit reads them onto the scales); blank cells are no rating.
    assert r2.metadata["ratings"] == {"overall": "superb"}
    assert r3.metadata["ratings"] == {"objection_handling": "2"}
    assert r1.warnings == r2.warnings == r3.warnings == []


def test_ratings_on_no_scale_are_record_warnings(engine) -> None:
    from auditor.checks.ratings import unreadable_ratings

    ratings = {"overall": "superb", "objection_handling": "4", "customer_discovery": "=1+1"}
    assert unreadable_ratings({"ratings": ratings}, SCALES) == [
        "rating 'overall': 'superb' is on none of the rating scales (five_point, four_point, "
        "ten_point, percent, below_meets_exceeds, needs_improvement_proficient_expert); ignored",
        "rating 'customer_discovery': '=1+1' is on none of the rating scales (five_point, "
        "four_point, ten_point, percent, below_meets_exceeds, "
        "needs_improvement_proficient_expert); ignored",
    ]
    assert unreadable_ratings({"ratings": "5"}, SCALES) == unreadable_ratings({}, SCALES) == []
    audit = engine.audit(
        Report(id="r", text="You asked two open questions.", metadata={"ratings": ratings})
    )
    assert audit.ok and len(audit.warnings) == 2


def test_unmapped_rating_columns_stay_plain_metadata() -> None:
    r1, *_ = _read([])
    assert "ratings" not in r1.metadata
    assert r1.metadata["Overall Rating"] == "Exceeds"


def test_rating_map_names_are_checked() -> None:
    assert parse_map(["rating.objection_handling=OH"]) == {"rating.objection_handling": ["OH"]}
    for bad in ("rating.=OH", "rating.a.b=OH", "other.thing=OH"):
        with pytest.raises(InputError):
            parse_map([bad])


def test_rating_checks_move_no_verdict_and_raise_no_calibration_warning(cli, rules) -> None:
    assert {"RAT001", "RAT002"}.isdisjoint(rules.verdict_checks)
    assert {"OBS001", "CMP001", "NUM001"} <= rules.verdict_checks
    result = cli("rules", "validate")
    assert result.exit_code == 0
    assert "never saw" not in result.stderr


def test_rating_checks_apply_only_to_reports_with_a_rating_in_their_band(engine) -> None:
    text = "You asked two open questions and she agreed to a trial."
    plain = engine.audit(Report(id="p", text=text))
    high = engine.audit(Report(id="h", text=text, metadata={"ratings": {"overall": "Exceeds"}}))
    low = engine.audit(Report(id="l", text=text, metadata={"ratings": {"overall": "1"}}))
    assert {"RAT001", "RAT002"} <= set(plain.not_applicable)
    assert "RAT001" not in high.not_applicable and "RAT002" in high.not_applicable
    assert "RAT002" not in low.not_applicable and "RAT001" in low.not_applicable
    # A history check never applies to one report on its own.
    assert "FOL001" in plain.not_applicable
    # What does not apply is written only when there is any.
    assert "not_applicable" in plain.model_dump(mode="json")
    assert "not_applicable" not in plain.model_copy(update={"not_applicable": []}).model_dump()
