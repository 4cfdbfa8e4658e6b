"""Leniency of ratings per manager on a fixture with one planted lenient manager (no spaCy)."""

from __future__ import annotations

import numpy as np
import pytest

from auditor.config import load_settings
from auditor.schema import ReportAudit
from auditor.stats import analyse_audits

SETTINGS = load_settings()
MANAGERS = [f"m-{i}" for i in range(8)]
LENIENT = "m-5"


def rated_audits(seed: int = 3, per_manager: int = 30) -> list[ReportAudit]:
    """Ratings on 1-5 that follow the narrative score with noise; LENIENT rates 1.5 higher.

    A small manager (3 reports, every rating 5 on weak narratives) is too few to be named.
    """
    rng = np.random.default_rng(seed)
    audits = []
    for i, manager in enumerate(MANAGERS):
        for j in range(per_manager):
            score = int(rng.integers(15, 95))
            rating = 1 + 4 * score / 100 + rng.normal(0, 0.6) + (1.5 if manager == LENIENT else 0)
            audits.append(
                ReportAudit(
                    id=f"{manager}-{j}",
                    metadata={
                        "region": f"R{i % 2}",
                        "manager": manager,
                        "ratings": {"overall": str(int(np.clip(round(rating), 1, 5)))},
                    },
                    score=score,
                    verdict="adequate",
                )
            )
    audits += [
        ReportAudit(
            id=f"tiny-{j}",
            metadata={"region": "R0", "manager": "m-tiny", "ratings": {"overall": "Exceeds"}},
            score=20,
            verdict="weak",
        )
        for j in range(3)
    ]
    # Unrated and failed reports count for the other statistics, not for leniency.
    audits.append(ReportAudit(id="unrated", metadata={"manager": "m-0"}, score=50))
    audits.append(ReportAudit(id="bad", metadata={"manager": "m-0"}, error="empty report"))
    return audits


def test_the_planted_lenient_manager_is_named_and_no_one_else(rules) -> None:
    report = analyse_audits(rated_audits(), rules, SETTINGS, by="manager").report
    leniency = report.leniency
    assert leniency is not None
    assert leniency.lenient == [f"{LENIENT} (R1)"]
    assert leniency.harsh == []
    assert leniency.n_rated == 8 * 30 + 3
    by_name = {m.manager: m for m in leniency.managers}
    planted = by_name[LENIENT]
    assert planted.call == "lenient"
    assert planted.ci is not None and planted.ci[0] > 0
    assert planted.leniency == max(by_name[m].leniency for m in MANAGERS)  # type: ignore[type-var]
    tiny = by_name["m-tiny"]
    assert (tiny.n, tiny.call) == (3, "too few reports")
    assert tiny.leniency is not None and tiny.leniency > planted.leniency  # type: ignore[operator]
    for name in MANAGERS:
        if name != LENIENT:
            m = by_name[name]
            assert m.call == "in line", m
            assert m.ci is not None and m.ci[0] <= leniency.org_level <= m.ci[1]
    # The organisation's level is the median manager (one lenient manager cannot drag it); the
    # differences of all rated reports average to 0 by construction (0 within each score bin).
    assert leniency.org_level < 0 < planted.ci[0]
    total = sum(m.leniency * m.n for m in leniency.managers)  # type: ignore[operator]
    assert total == pytest.approx(0, abs=0.0005 * leniency.n_rated)  # leniency has 3 decimals


def test_leniency_is_reproducible_and_only_grouped_by_manager(rules) -> None:
    audits = rated_audits()
    first = analyse_audits(audits, rules, SETTINGS, by="manager").report.leniency
    assert first == analyse_audits(audits, rules, SETTINGS, by="manager").report.leniency
    assert analyse_audits(audits, rules, SETTINGS, by="region").report.leniency is None


def test_without_a_planted_manager_no_one_is_named(rules) -> None:
    audits = [a for a in rated_audits() if a.metadata.get("manager") not in (LENIENT, "m-tiny")]
    leniency = analyse_audits(audits, rules, SETTINGS, by="manager").report.leniency
    assert leniency is not None
    assert (leniency.lenient, leniency.harsh) == ([], [])


def test_no_ratings_no_leniency(rules) -> None:
    audits = [ReportAudit(id="a", metadata={"manager": "m"}, score=50, verdict="adequate")]
    assert analyse_audits(audits, rules, SETTINGS, by="manager").report.leniency is None


def _dashboard(rules, audits: list[ReportAudit]) -> str:
    from auditor.render.dashboard import render_dashboard
    from auditor.stats import leniency_of

    analysis = analyse_audits(audits, rules, SETTINGS, by="region")
    return render_dashboard(
        analysis.report, analysis.vocab, analysis.weakest, leniency=leniency_of(analysis, SETTINGS)
    )


def test_the_region_dashboard_names_the_lenient_manager_in_plain_words(rules) -> None:
    html = _dashboard(rules, rated_audits())
    section = html[html.index('<section id="ratings">') :]
    section = section[: section.index("</section>")]
    lead = section[section.index('class="lead"') : section.index("</p>")]
    assert f"clearly higher than the narratives support for {LENIENT} (R1)" in lead
    assert "m-3" not in lead and "m-tiny" not in lead
    assert "too few reports" in section and section.count("<tr") == 1 + len(MANAGERS) + 1
    assert 'href="#ratings"' in html


def test_no_ratings_no_ratings_section(rules) -> None:
    audits = [a.model_copy(update={"metadata": {"manager": "m"}}) for a in rated_audits()[:5]]
    html = _dashboard(rules, audits)
    assert 'id="ratings"' not in html and 'href="#ratings"' not in html
    calm = [a for a in rated_audits() if a.metadata.get("manager") not in (LENIENT, "m-tiny")]
    assert "No manager's ratings differ clearly" in _dashboard(rules, calm)
