"""What telling a report's language costs and how often it is right.

In one process: the time to load the detector's models (first `tell`) beside the time to build
the spaCy pipeline; accuracy on the texts of tests/language_samples.py (short and long, six
languages) and how many corpus reports (all English) come out in another language or mixed;
then, on the corpus texts, `tell` per report beside the audit per report (rules only), both
timed in alternating rounds so that load on the machine hits both alike. Prints one JSON line.

Run: python benchmarks/language.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

from corpus import corpus_texts

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from language_samples import LONG, SHORT

    from auditor.config import load_ruleset
    from auditor.engine import Auditor
    from auditor.language import LanguageTeller
    from auditor.schema import Report

    rules = load_ruleset()
    start = time.perf_counter()
    engine = Auditor(rules)
    build_s = time.perf_counter() - start
    teller = LanguageTeller(rules.language)
    start = time.perf_counter()
    teller.tell(LONG["fr"])
    load_s = time.perf_counter() - start

    right = {"short": 0, "long": 0}
    for lang, texts in SHORT.items():
        right["short"] += sum(teller.tell(t).code == lang for t in texts)
    right["long"] = sum(teller.tell(t).code == lang for lang, t in LONG.items())
    texts = corpus_texts()
    told = [teller.tell(t) for t in texts]

    reports = [Report(id=str(i), text=t) for i, t in enumerate(texts)]
    list(engine.audit_stream(reports[:50]))
    audit_s, tell_s = [], []
    for _ in range(args.rounds):
        start = time.perf_counter()
        for _ in engine.audit_stream(reports):
            pass
        audit_s.append(time.perf_counter() - start)
        start = time.perf_counter()
        for t in texts:
            teller.tell(t)
        tell_s.append(time.perf_counter() - start)
    audit_ms = 1000 * statistics.median(audit_s) / len(texts)
    tell_ms = 1000 * statistics.median(tell_s) / len(texts)
    print(
        json.dumps(
            {
                "pipeline_build_s": round(build_s, 3),
                "detector_load_s": round(load_s, 3),
                "short_right": f"{right['short']}/{sum(map(len, SHORT.values()))}",
                "long_right": f"{right['long']}/{len(LONG)}",
                "corpus_reports": len(texts),
                "corpus_not_english": sum(f.code != "en" for f in told),
                "corpus_mixed": sum(f.other is not None for f in told),
                # The audit includes `tell`: the share is of the whole.
                "audit_ms_per_report": round(audit_ms, 2),
                "tell_ms_per_report": round(tell_ms, 2),
                "tell_share_of_audit": round(tell_ms / audit_ms, 3),
                "load_avg_1m": round(os.getloadavg()[0], 2),
            }
        )
    )


if __name__ == "__main__":
    main()
