"""The blind holdouts' figures must not fall: any target label more than 0.03 below the floor
recorded in tests/golden/holdout_floor.json fails (regenerate it with scripts/holdout_floor.py
only for a change meant to move them, and say why)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from holdout_floor import HOLDOUTS, figures  # noqa: E402

FLOOR = json.loads((ROOT / "tests" / "golden" / "holdout_floor.json").read_text(encoding="utf-8"))
TOLERANCE = 0.03


@pytest.mark.parametrize("name", HOLDOUTS)
def test_holdout_figures_stay_above_the_floor(name: str) -> None:
    measured = figures(ROOT / "corpus" / "sample_reports" / name)
    dropped = {
        key: (floor, measured[key])
        for key, floor in FLOOR[name].items()
        if measured[key] < floor - TOLERANCE
    }
    assert not dropped, f"{name}: labels below floor - {TOLERANCE} (floor, measured): {dropped}"
