"""Wall time, speed and peak memory of the real `auditor audit` command on a large batch.

Writes N reports, drawn with replacement from the corpus, each with a unique id and a unique
leading reference number, to a temporary JSON Lines file; then runs `auditor audit FILE --out DIR
--quiet` in a subprocess once per configuration (one process, two worker processes, a local Dask
cluster of two workers) and prints one JSON line per configuration. Peak memory is that of the
whole process tree (the command and every descendant: workers, Dask nannies), sampled.

Run: python benchmarks/batch.py [--n 100000] [--configs local-1,local-2,dask-2]
(see benchmarks/README.md)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from corpus import corpus_texts

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_S = 0.2
CONFIGS: dict[str, list[str]] = {
    "local-1": ["--workers", "1"],
    "local-2": ["--workers", "2"],
    "dask-2": ["--engine", "dask", "--workers", "2"],
}


def write_reports(path: Path, n: int, seed: int) -> int:
    """Write N reports as JSON Lines; return their number of whitespace-separated words."""
    rng = random.Random(seed)
    texts = corpus_texts()
    n_words = 0
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            # A unique reference per report, as CRM exports carry, so spaCy's vocabulary grows
            # the way it does on real data (as throughput.py --stream does).
            text = f"Ref CR-{seed}-{i:07d}. {rng.choice(texts)}"
            n_words += len(text.split())
            fh.write(json.dumps({"id": f"b-{i}", "text": text}) + "\n")
    return n_words


def _parents() -> dict[int, int]:
    """pid -> parent pid of every process (from /proc/PID/stat)."""
    out = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:  # the process ended meanwhile
                continue
            out[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return out


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_mb(root: int) -> float:
    """Resident memory of `root` and all its descendants now, in MB."""
    children: dict[int, list[int]] = {}
    for pid, ppid in _parents().items():
        children.setdefault(ppid, []).append(pid)
    todo, total = [root], 0
    while todo:
        pid = todo.pop()
        total += _rss_kib(pid)
        todo += children.get(pid, [])
    return total / 1024


def run_cli(args: list[str], log: Path) -> tuple[float, float]:
    """Run `auditor ARGS`; return its wall seconds and the peak RSS of its process tree (MB)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    peak = 0.0
    with log.open("wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "auditor", *args], env=env, stdout=subprocess.DEVNULL, stderr=err
        )
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.wait(SAMPLE_S):
                peak = max(peak, tree_rss_mb(proc.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        rc = proc.wait()
        wall = time.perf_counter() - start
        done.set()
        sampler.join()
    if rc not in (0, 1):  # 1: some records failed, still a complete run
        raise SystemExit(f"auditor {' '.join(args)} exited {rc}:\n{log.read_text()[-2000:]}")
    return wall, peak


def measure(name: str, data: Path, n: int, n_words: int, tmp: Path) -> dict[str, Any]:
    """One configuration: the CLI over the whole file."""
    load_start = os.getloadavg()[0]
    out = tmp / f"out-{name}"
    wall, peak = run_cli(
        ["audit", str(data), "--out", str(out), "--quiet", *CONFIGS[name]], tmp / f"{name}.log"
    )
    lines = sum(1 for _ in (out / "results.jsonl").open(encoding="utf-8"))
    if lines != n:
        raise SystemExit(f"{name}: {lines} results for {n} reports")
    shutil.rmtree(out)  # 100,000 results take hundreds of MB
    return {
        "config": name,
        "args": " ".join(CONFIGS[name]),
        "n": n,
        "words": n_words,
        "wall_s": round(wall, 1),
        "words_per_s": round(n_words / wall, 1),
        "reports_per_s": round(n / wall, 1),
        "peak_rss_tree_mb": round(peak, 1),
        "load_avg_1m_start": round(load_start, 2),
        "load_avg_1m_end": round(os.getloadavg()[0], 2),  # includes this run's own processes
    }


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, write the batch, run each configuration, print one JSON line each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="reports in the batch")
    parser.add_argument(
        "--configs", default=",".join(CONFIGS), help=f"comma-separated, of: {', '.join(CONFIGS)}"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    names = [c.strip() for c in args.configs.split(",") if c.strip()]
    unknown = set(names) - set(CONFIGS)
    if unknown:
        parser.error(f"unknown configuration(s) {', '.join(sorted(unknown))}")
    with tempfile.TemporaryDirectory(prefix="fcr-batch-") as tmp:
        data = Path(tmp) / "reports.jsonl"
        n_words = write_reports(data, args.n, args.seed)
        for name in names:
            json.dump(measure(name, data, args.n, n_words, Path(tmp)), sys.stdout)
            sys.stdout.write("\n")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
