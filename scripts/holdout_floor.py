"""Write tests/golden/holdout_floor.json: the default pipeline's figures on the blind holdouts.

Usage: python scripts/holdout_floor.py
Run it after a change that moves the holdout figures on purpose, and say why in the commit;
tests/test_holdout_floor.py fails when a target label drops more than its tolerance below them.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from auditor.cli import main as auditor
from auditor.evaluate import LABEL_KEYS

ROOT = Path(__file__).resolve().parents[1]
HOLDOUTS = ("holdout.jsonl", "holdout2.jsonl")
#: The labels issue 11 sets targets for (F1), and the verdict's weighted kappa.
TARGETS = tuple(k for k in LABEL_KEYS if k not in ("reinforcement", "dialogue", "numbers_only"))


def figures(path: Path) -> dict[str, float]:
    """Target F1s and verdict weighted kappa of `auditor eval` with the default models."""
    result = CliRunner().invoke(auditor, ["eval", str(path), "--format", "json"])
    if result.exit_code != 0:
        raise SystemExit(result.output)
    data = json.loads(result.stdout)
    out = {key: data["labels"][key]["f1"] for key in TARGETS}
    out["quality.weighted_kappa"] = data["quality"]["weighted_kappa"]
    return out


def main() -> None:
    """Measure both holdouts and write the floor file."""
    floor = {name: figures(ROOT / "corpus" / "sample_reports" / name) for name in HOLDOUTS}
    target = ROOT / "tests" / "golden" / "holdout_floor.json"
    target.write_text(json.dumps(floor, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(json.dumps(floor, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
