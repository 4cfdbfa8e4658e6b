"""Synthetic audits and KPIs for `auditor outcomes`, with or without a planted effect.

Each rep has a persistent coaching quality and a KPI level; every month brings one to three
audited reports whose scores scatter around the rep's quality. The KPI walks from month to
month: with `effect`, the change into the next month rises by `effect` points per 10 points of
the month's mean coaching score above 65, plus noise; with `effect=0` the change is noise.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from auditor.config import load_ruleset
from auditor.schema import ReportAudit

COMPETENCIES = tuple(c.id for c in load_ruleset().taxonomy.competencies)


@dataclass(frozen=True)
class Fixture:
    """The files of one synthetic data set."""

    results: Path
    kpi: Path


def _verdict(score: int) -> str:
    return "strong" if score >= 75 else "weak" if score < 50 else "adequate"


def synthetic(
    seed: int, effect: float, reps: int = 40, months: int = 8, noise: float = 2.0
) -> tuple[list[ReportAudit], list[dict[str, str]]]:
    """Audits and KPI rows (`rep`, `month`, `pct_to_goal`) of one synthetic data set."""
    rng = np.random.default_rng(seed)
    audits: list[ReportAudit] = []
    kpi: list[dict[str, str]] = []
    for r in range(reps):
        rep = f"R{r:03d}"
        quality = rng.normal(65, 10)
        level = rng.normal(90, 8)
        for m in range(months):
            month = date(2025, m + 1, 15)
            kpi.append(
                {"rep": rep, "month": month.strftime("%Y-%m"), "pct_to_goal": f"{level:.2f}"}
            )
            scores = [
                int(np.clip(round(rng.normal(quality, 8)), 0, 100))
                for _ in range(int(rng.integers(1, 4)))
            ]
            for i, score in enumerate(scores):
                audits.append(
                    ReportAudit(
                        id=f"{rep}-{m}-{i}",
                        metadata={"rep": rep, "region": f"G{r % 4}", "date": month.isoformat()},
                        score=score,
                        verdict=_verdict(score),  # type: ignore[arg-type]  # one of VERDICTS
                        focus_competencies=[COMPETENCIES[int(rng.integers(0, 4))]],
                    )
                )
            level += effect * (np.mean(scores) - 65) / 10 + rng.normal(0, noise)
    return audits, kpi


def write_fixture(out: Path, seed: int, effect: float, **kwargs: int) -> Fixture:
    """Write results.jsonl and kpi.csv of a synthetic data set under `out`."""
    audits, kpi = synthetic(seed, effect, **kwargs)
    out.mkdir(parents=True, exist_ok=True)
    results = out / "results.jsonl"
    results.write_text(
        "".join(json.dumps(a.model_dump(mode="json")) + "\n" for a in audits), encoding="utf-8"
    )
    path = out / "kpi.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["rep", "month", "pct_to_goal"])
        writer.writeheader()
        writer.writerows(kpi)
    return Fixture(results, path)
