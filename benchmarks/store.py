"""Write speed, size on disk and rerun time of the audit store (SQLite) at 100,000 audits.

Audits N distinct corpus reports once (rules only: the NLP is not what is measured), then
writes N audits into a fresh SQLite store, each a copy of one of them with its own id and
realistic metadata (reps, managers, regions, dates over two years), through `Store.add_all`
(one transaction per 2,000 audits), as `auditor audit --store` does. Then writes the same
audits again (a rerun: nothing new is stored) and reads the latest version of every report
back (as `auditor regions --store` does). Prints one JSON line.

Run: python benchmarks/store.py [--n 100000] [--distinct 200] (see benchmarks/README.md)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from auditor.schema import Report, ReportAudit
from auditor.store import AuditConfig, Store
from corpus import corpus_texts

CONFIG = AuditConfig("benchmark-pack", {"sentence model": None, "focus model": None})


def base_audits(distinct: int, seed: int) -> list[ReportAudit]:
    """Audits of `distinct` corpus reports (rules only)."""
    from auditor.config import load_ruleset
    from auditor.engine import Auditor

    texts = corpus_texts()
    random.Random(seed).shuffle(texts)
    engine = Auditor(load_ruleset())
    reports = [Report(id=str(i), text=t) for i, t in enumerate(texts[:distinct])]
    return list(engine.audit_stream(reports))


def synthetic(bases: list[ReportAudit], n: int, seed: int) -> Iterator[ReportAudit]:
    """N audits: copies of `bases` with their own ids, texts' reference numbers and metadata."""
    rng = random.Random(seed)
    start = date(2024, 1, 1)
    for i in range(n):
        base = bases[i % len(bases)]
        rep = rng.randrange(400)
        metadata = {
            "region": f"Region-{rep % 8}",
            "manager": f"m-{rep % 60}",
            "rep": f"rep-{rep:03d}",
            "rep_level": "new" if rep % 5 == 0 else "experienced",
            "date": (start + timedelta(days=rng.randrange(730))).isoformat(),
        }
        text = f"{base.text} Ref CR-{i:07d}."  # each report its own text, as in real exports
        yield base.model_copy(update={"id": f"s-{i:07d}", "metadata": metadata, "text": text})


def size_mb(path: Path) -> float:
    """The store's size with its WAL and shared-memory files, in MB."""
    files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
    return round(sum(f.stat().st_size for f in files if f.exists()) / 1e6, 1)


def main() -> None:
    """Measure and print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--distinct", type=int, default=200)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    bases = base_audits(args.distinct, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "audits.db"
        with Store(str(path)) as store:
            t0 = time.perf_counter()
            first = store.add_all(synthetic(bases, args.n, args.seed), CONFIG)
            write_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            rerun = store.add_all(synthetic(bases, args.n, args.seed), CONFIG)
            rerun_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            read = sum(1 for _ in store.latest())
            read_s = time.perf_counter() - t0
            disk = size_mb(path)
    print(
        json.dumps(
            {
                "audits": args.n,
                "stored": first.new,
                "write_s": round(write_s, 1),
                "audits_per_s": round(args.n / write_s),
                "size_mb": disk,
                "bytes_per_audit": round(disk * 1e6 / args.n),
                "rerun_new": rerun.new,
                "rerun_s": round(rerun_s, 1),
                "read_latest": read,
                "read_latest_s": round(read_s, 1),
                "load_avg_1m": round(os.getloadavg()[0], 2),
            }
        )
    )


if __name__ == "__main__":
    main()
