"""Calibration to graders: it learns what graders weigh, reproducibly, and loads only safely."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from auditor.config import RuleSet
from auditor.learned.agreement import agreement
from auditor.learned.artefacts import CARD_FILE, ModelLoadError, sha256_file
from auditor.learned.calibration import ARTEFACT, Calibration, cross_validate
from auditor.schema import Finding, NextObjective, ReportAudit
from auditor.scoring import score_report


def _audit(i: int, failed: set[str], rules: RuleSet, smart: int = 0) -> ReportAudit:
    findings = [
        Finding(code=c, name="x", severity="warning", message="m", suggestion="s")
        for c in sorted(failed)
    ]
    score, verdict = score_report(findings, rules.rubric.checks, rules.rubric.scoring)
    facets = [k < smart for k in range(3)]
    return ReportAudit(
        id=f"s{i}",
        score=score,
        verdict=verdict,
        findings=findings,
        next_objective=NextObjective(
            present=True,
            specific=facets[0],
            measurable=facets[1],
            time_bound=facets[2],
            smart=all(facets),
        ),
    )


def synthetic(rules: RuleSet, n: int = 240, seed: int = 7) -> tuple[list[ReportAudit], list[str]]:
    """Audits with random failed checks; graders judge mostly by one light check, DIA001."""
    rng = random.Random(seed)
    light = ["STAR003", "REI001", "ALN001", "FOC001", "DIA001", "OBJ002"]
    audits, verdicts = [], []
    for i in range(n):
        failed = {c for c in light if rng.random() < 0.35}
        audits.append(_audit(i, failed, rules))
        others = len(failed - {"DIA001"})
        # The graders: no rep voice means weak; otherwise few other gaps means strong.
        verdicts.append("weak" if "DIA001" in failed else "strong" if others <= 1 else "adequate")
    return audits, verdicts


@pytest.fixture(scope="module")
def data(rules: RuleSet) -> tuple[list[ReportAudit], list[str]]:
    """The synthetic set."""
    return synthetic(rules)


def _codes(rules: RuleSet) -> list[str]:
    return [c.code for c in rules.rubric.checks]


def test_calibration_improves_kappa_where_graders_weigh_one_check(data, rules) -> None:
    audits, verdicts = data
    cv = cross_validate(audits, verdicts, _codes(rules), l2=0.1)
    assert cv["after"]["kappa"] > cv["before"]["kappa"] + 0.3
    assert cv["after"]["weighted_kappa"] > cv["before"]["weighted_kappa"]
    cal = Calibration.fit(audits, verdicts, _codes(rules), l2=0.1)
    assert cal.table()[0][0] == "failed:DIA001"  # readable: the graders' heavy check comes first
    assert cal.table()[0][1] < 0


def test_fitting_twice_gives_the_same_calibration(data, rules) -> None:
    audits, verdicts = data
    a = Calibration.fit(audits, verdicts, _codes(rules))
    b = Calibration.fit(audits, verdicts, _codes(rules))
    assert a.artefact == b.artefact


def test_save_load_round_trip(data, rules, tmp_path: Path) -> None:
    audits, verdicts = data
    cal = Calibration.fit(audits, verdicts, _codes(rules), gates=("CMP001",))
    cal.save(tmp_path, {"training_data": {"sha256": "abc"}})
    loaded = Calibration.load(tmp_path)
    assert [loaded.verdict(a) for a in audits] == [cal.verdict(a) for a in audits]
    card = json.loads((tmp_path / CARD_FILE).read_text())
    assert card["artefact"]["sha256"] == sha256_file(tmp_path / ARTEFACT)
    assert card["labels"] == ["weak", "adequate", "strong"]
    assert set(card["weights"]) == set(cal.features) and card["libraries"]["scikit-learn"]


def test_tampered_foreign_and_corrupt_files_are_refused(data, rules, tmp_path: Path) -> None:
    audits, verdicts = data
    Calibration.fit(audits, verdicts, _codes(rules)).save(tmp_path)
    art = json.loads((tmp_path / ARTEFACT).read_text())
    art["thresholds"] = [-100.0, 100.0]
    (tmp_path / ARTEFACT).write_text(json.dumps(art))
    with pytest.raises(ModelLoadError, match="does not match the model card"):
        Calibration.load(tmp_path)
    card = json.loads((tmp_path / CARD_FILE).read_text())
    card["artefact"]["sha256"] = sha256_file(tmp_path / ARTEFACT)
    card["libraries"]["scikit-learn"] = "99.0.0"
    (tmp_path / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(ModelLoadError, match="scikit-learn 99.0.0"):
        Calibration.load(tmp_path)
    (tmp_path / CARD_FILE).write_text("{not json")
    with pytest.raises(ModelLoadError, match="corrupt model card"):
        Calibration.load(tmp_path)


def test_a_sentence_model_directory_is_not_a_calibration(tmp_path: Path) -> None:
    (tmp_path / CARD_FILE).write_text(
        json.dumps(
            {
                "kind": "sentence_roles",
                "artefact": {"file": "model.json", "sha256": "0"},
                "libraries": {"scikit-learn": "1.0"},
            }
        )
    )
    with pytest.raises(ModelLoadError, match="expected 'calibration'"):
        Calibration.load(tmp_path)


def test_invalid_thresholds_are_refused(data, rules) -> None:
    audits, verdicts = data
    art = dict(Calibration.fit(audits, verdicts, _codes(rules)).artefact, thresholds=[1.0, -1.0])
    with pytest.raises(ModelLoadError, match="not increasing"):
        Calibration(art)


def test_gates_make_a_report_weak_whatever_its_value(data, rules) -> None:
    audits, verdicts = data
    cal = Calibration.fit(audits, verdicts, _codes(rules), gates=("CMP001",))
    clean = _audit(0, set(), rules, smart=3)
    assert cal.verdict(clean) == "strong"
    assert cal.verdict(_audit(1, {"CMP001"}, rules, smart=3)) == "weak"


def test_check_fits_names_the_mismatch(data, rules) -> None:
    audits, verdicts = data
    cal = Calibration.fit(audits, verdicts, _codes(rules))
    cal.check_fits(_codes(rules), None)
    with pytest.raises(ModelLoadError, match="rules only"):
        cal.check_fits(_codes(rules), "f" * 64)
    with pytest.raises(ModelLoadError, match="DIA001"):
        cal.check_fits([c for c in _codes(rules) if c != "DIA001"], None)


def test_agreement_metrics() -> None:
    m = agreement(["weak", "adequate", "strong", "strong"], ["weak", "adequate", "strong", "weak"])
    assert m["accuracy"] == 0.75
    assert m["confusion"] == [[1, 0, 0], [0, 1, 0], [1, 0, 1]]
    assert 0 < m["weighted_kappa"] < 1 and 0 < m["kappa"] < 1
    assert agreement(["weak"] * 3, ["weak"] * 3)["kappa"] == 1.0


CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "sample_reports"


@pytest.fixture(scope="module")
def small_labelled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 30 dev reports (enough of each verdict to fit and cross-validate)."""
    path = tmp_path_factory.mktemp("cal") / "small.jsonl"
    lines = (CORPUS / "dev.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:30]), encoding="utf-8")
    return path


def test_calibrate_command_writes_a_card_with_agreement(
    small_labelled: Path, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from auditor.cli import main

    out = tmp_path / "cal"
    result = CliRunner().invoke(
        main, ["calibrate", str(small_labelled), "--out", str(out), "--sentence-model", "none"]
    )
    assert result.exit_code == 0, result.output
    card = json.loads((out / CARD_FILE).read_text())
    cv = card["cross_validation"]
    assert set(cv["before"]) >= {"accuracy", "kappa", "weighted_kappa", "confusion"}
    assert card["training_data"]["sha256"] == sha256_file(small_labelled)
    assert Calibration.load(out).sentence_model is None


def test_eval_ablation_adds_five_metric_objects(small_labelled: Path) -> None:
    from click.testing import CliRunner

    from auditor.cli import main

    args = ["eval", str(small_labelled), "--format", "json"]
    plain = json.loads(CliRunner().invoke(main, args).output)
    result = CliRunner().invoke(main, [*args, "--ablation"])
    assert result.exit_code == 0, result.output
    full = json.loads(result.output)
    ablation = full.pop("ablation")
    assert full == plain  # the top-level object is unchanged by --ablation
    assert list(ablation) == ["rules", "model", "hybrid", "focus", "calibrated"]
    for metrics in ablation.values():
        assert set(metrics) == set(plain) and set(metrics["labels"]) == set(plain["labels"])
    shipped = Calibration.load(CORPUS.parent.parent / "models" / "calibration_default")
    base = "focus" if shipped.sentence_model else "rules"  # the default pipeline it was fitted on
    assert ablation["calibrated"]["labels"] == ablation[base]["labels"]  # verdicts only
