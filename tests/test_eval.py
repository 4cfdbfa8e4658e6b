"""`auditor eval` and auditor.evaluate: metrics that are known by construction.

The gold labels of the tiny labelled file are the auditor's own predictions with deliberate,
counted disagreements, so every expected true/false positive is known without trusting the
rules' current tuning.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cli_support import RULES_ONLY, Cli

from auditor.evaluate import BINARY_KEYS, SET_KEYS, VERDICTS, evaluate, predicted
from auditor.schema import NextObjective, Report, ReportAudit, Signals, StarStatus, Tag

CONTRACT_KEYS = {
    "priorities",
    "competencies",
    "star.situation",
    "star.action",
    "star.result",
    "next_objective",
    "next_objective_smart",
    "observed_behavior",
    "reinforcement",
    "dialogue",
    "judgmental",
    "numbers_only",
    "compliance_risk",
}
REPORTS = [
    "Call objective with Dr Ruiz was to agree a trial of Cardiova for newly diagnosed AF "
    "patients. You asked two open questions about her patients before showing data and listened "
    "well. As a result she agreed to try it in two patients. By the next ride-along on 15 May, "
    "close every priority call by asking for one dated commitment.",
    "Sales at 78% of target YTD, TRx down 6% vs Q4. Call rate 5.1 per day vs 7 expected. You "
    "need to reach 105% by end of Q2.",
    "Once again a disappointing day. Your attitude is unacceptable and you were lazy. You must "
    "work harder.",
    "Visit to the Riverside IDN pharmacy committee about the formulary listing. You presented "
    "the budget-impact model and handled the PBM objection by showing the copay data. The chair "
    "asked for a follow-up. Next time map the committee members before the meeting.",
    "Good day in the field. Keep going.",
]


def _get(labels: dict[str, Any], key: str) -> Any:
    head, _, tail = key.partition(".")
    return labels[head][tail] if tail else labels[head]


def _set(labels: dict[str, Any], key: str, value: Any) -> None:
    head, _, tail = key.partition(".")
    if tail:
        labels[head][tail] = value
    else:
        labels[head] = value


def cohen_kappa(gold: list[int], pred: list[int], k: int, quadratic: bool) -> float:
    """Cohen's kappa from its definition: 1 - observed / expected (weighted) disagreement."""
    n = len(gold)
    weight = [
        [((i - j) / (k - 1)) ** 2 if quadratic else float(i != j) for j in range(k)]
        for i in range(k)
    ]
    observed = sum(weight[g][p] for g, p in zip(gold, pred, strict=True)) / n
    rows = [gold.count(i) / n for i in range(k)]
    cols = [pred.count(j) / n for j in range(k)]
    expected = sum(weight[i][j] * rows[i] * cols[j] for i in range(k) for j in range(k))
    return 1 - observed / expected


# -- auditor.evaluate on hand-made audits (no spaCy) -------------------------------------------
def _audit(rid: str, verdict: str, focus: list[str], result: bool) -> ReportAudit:
    return ReportAudit(
        id=rid,
        score=50,
        verdict=verdict,
        focus_competencies=focus,
        priorities=[Tag(id="market_access")],
        star=StarStatus(situation=True, action=True, result=result),
        next_objective=NextObjective(
            present=True, specific=True, measurable=False, time_bound=True, smart=False
        ),
        signals=Signals(
            observed_behavior=True,
            reinforcement=False,
            dialogue=False,
            judgmental=False,
            numbers_only=False,
            compliance_risk=False,
        ),
    )


def test_evaluate_counts_and_kappa_on_a_hand_computed_example() -> None:
    #            id    pred verdict  pred focus  pred result  gold verdict  gold focus  gold result
    table = [
        ("r1", "weak", ["a", "b"], True, "weak", ["a"], True),
        ("r2", "adequate", ["c"], True, "weak", ["c", "d"], False),
        ("r3", "adequate", [], False, "adequate", [], True),
        ("r4", "adequate", ["a"], False, "adequate", ["b"], False),
        ("r5", "strong", [], True, "strong", ["a"], True),
        ("r6", "adequate", ["a"], False, "strong", ["a"], True),
    ]
    audits = [_audit(rid, v, f, r) for rid, v, f, r, *_ in table]
    audits.append(ReportAudit(id="r7", error="empty report"))
    audits.append(_audit("unlabelled", "weak", ["z"], True))  # no gold: skipped
    gold = {
        rid: {
            "priorities": ["market_access"],
            "competencies": gf,
            "star": {"situation": True, "action": True, "result": gr},
            "next_objective": True,
            "quality": gv,
        }
        for rid, *_, gv, gf, gr in table
    }
    gold["r7"] = {"quality": "weak"}
    result = evaluate(gold, audits).result()

    assert result["n"] == 7 and result["errors"] == [{"id": "r7", "error": "empty report"}]
    # competencies: TP a(r1) c(r2) a(r6) = 3; FP b(r1) a(r4) = 2; FN d(r2) b(r4) a(r5) = 3.
    assert result["labels"]["competencies"] == {
        "precision": 0.6,
        "recall": 0.5,
        "f1": round(2 * 0.6 * 0.5 / 1.1, 4),
        "support": 6,
    }
    # star.result: TP r1 r5; FP r2; FN r3 r6.
    assert result["labels"]["star.result"] == {
        "precision": 0.6667,
        "recall": 0.5,
        "f1": round(4 / 7, 4),
        "support": 4,
    }
    assert result["labels"]["priorities"] == {
        "precision": 1.0,
        "recall": 1.0,
        "f1": 1.0,
        "support": 6,
    }
    # next_objective_smart: never predicted nor gold -> no positives, all zeros.
    assert result["labels"]["next_objective_smart"] == {
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
        "support": 0,
    }
    # Confusion (rows gold weak/adequate/strong): [[1,1,0],[0,2,0],[0,1,1]]. Observed agreement
    # 4/6; chance 12/36 -> kappa (2/3 - 1/3) / (1 - 1/3) = 0.5. Quadratic weights 0, 1/4, 1:
    # observed disagreement 2 x 1/4 / 6 = 1/12, expected 9/36 -> 1 - (1/12) / (1/4) = 2/3.
    quality = result["quality"]
    assert quality["confusion"] == [[1, 1, 0], [0, 2, 0], [0, 1, 1]]
    assert quality["accuracy"] == 0.6667
    assert quality["kappa"] == 0.5
    assert quality["weighted_kappa"] == 0.6667


# -- `auditor eval` on a tiny labelled file -----------------------------------------------------
def _labelled_file(engine, path: Path) -> dict[str, Any]:
    """Write gold = predictions with known disagreements; return the expected metrics."""
    preds = [predicted(engine.audit(Report(id=f"e-{i}", text=t))) for i, t in enumerate(REPORTS)]
    golds = [json.loads(json.dumps(p)) for p in preds]
    expected: dict[str, dict[str, int]] = {}
    for key in SET_KEYS:
        sizes = [len(p[key]) for p in preds]
        donor = next(i for i, s in enumerate(sizes) if s)  # precondition: one non-empty set
        golds[donor][key] = golds[donor][key][1:]  # one predicted id the gold lacks: FP
        receiver = (donor + 1) % len(preds)
        extra = "payer_access" if key == "competencies" else "compliance"
        assert extra not in preds[receiver][key]
        golds[receiver][key] = sorted({*golds[receiver][key], extra})  # one it misses: FN
        expected[key] = {"tp": sum(sizes) - 1, "fp": 1, "fn": 1, "support": sum(sizes)}
    for n, key in enumerate(BINARY_KEYS):
        flip = n % len(preds)
        values = [bool(_get(p, key)) for p in preds]
        _set(golds[flip], key, not values[flip])
        expected[key] = {
            "tp": sum(values) - values[flip],
            "fp": int(values[flip]),
            "fn": int(not values[flip]),
            "support": sum(values) - values[flip] + (not values[flip]),
        }
    shift = {"weak": "adequate", "adequate": "strong", "strong": "adequate"}
    golds[0]["quality"] = shift[preds[0]["quality"]]
    with path.open("w", encoding="utf-8") as fh:
        for i, (text, gold) in enumerate(zip(REPORTS, golds, strict=True)):
            fh.write(
                json.dumps({"id": f"e-{i}", "region": "EMEA", "text": text, "labels": gold}) + "\n"
            )
    g = [VERDICTS.index(x["quality"]) for x in golds]
    p = [VERDICTS.index(x["quality"]) for x in preds]
    return {"counts": expected, "gold_q": g, "pred_q": p}


def _metrics(c: dict[str, int]) -> dict[str, float]:
    precision = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 0.0
    recall = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "support": c["support"]}


def test_eval_json_contract_and_known_metrics(cli: Cli, engine, tmp_path: Path) -> None:
    labelled = tmp_path / "labelled.jsonl"
    known = _labelled_file(engine, labelled)
    result = cli("eval", str(labelled), "--format", "json", *RULES_ONLY)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["n"] == len(REPORTS)
    assert set(out["labels"]) == CONTRACT_KEYS
    for key, counts in known["counts"].items():
        want = _metrics(counts)
        got = out["labels"][key]
        assert set(got) == {"precision", "recall", "f1", "support"}
        assert got["support"] == want["support"], key
        for name in ("precision", "recall", "f1"):
            assert got[name] == pytest.approx(want[name], abs=1e-4), (key, name)
    quality = out["quality"]
    assert {"accuracy", "kappa", "weighted_kappa", "confusion"} <= set(quality)
    g, p = known["gold_q"], known["pred_q"]
    assert quality["accuracy"] == pytest.approx((len(g) - 1) / len(g), abs=1e-4)
    confusion = [[0] * 3 for _ in range(3)]
    for a, b in zip(g, p, strict=True):
        confusion[a][b] += 1
    assert quality["confusion"] == confusion
    assert quality["kappa"] == pytest.approx(cohen_kappa(g, p, 3, False), abs=1e-4)
    assert quality["weighted_kappa"] == pytest.approx(cohen_kappa(g, p, 3, True), abs=1e-4)

    table = cli("eval", str(labelled), "--diffs", *RULES_ONLY)
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert lines[0] == f"reports: {len(REPORTS)}   errors: 0"
    for key in CONTRACT_KEYS:
        row = next(x for x in lines if x.split()[:1] == [key])
        assert row.split()[-1] == str(out["labels"][key]["support"])
    assert any(x.startswith("quality: accuracy ") for x in lines)
    assert any(x.startswith("e-0: ") and "quality: gold=" in x for x in lines)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"id": "a", "text": "x", "labels": {}}\n{"id": "b", "text": \n', "malformed JSON"),
        ('{"id": "a", "text": "x"}\n', "needs 'id' and 'labels'"),
        ("\n", "no labelled records"),
    ],
)
def test_eval_refuses_a_malformed_labelled_file(
    cli: Cli, tmp_path: Path, content: str, message: str
) -> None:
    labelled = tmp_path / "bad.jsonl"
    labelled.write_text(content, encoding="utf-8")
    result = cli("eval", str(labelled))
    assert result.exit_code == 2
    assert result.stderr.startswith("auditor: ") and message in result.stderr
    assert result.stderr.count("\n") == 1
