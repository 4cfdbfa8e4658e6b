"""Measure POST /api/check latency over real HTTP against `auditor serve` in another process.

Starts the server on a free loopback port, waits for /health, then sends a 300-word draft:
sequentially, and from N concurrent clients for a fixed time. Prints one JSON line:
{"draft_words", "server_start_s", "sequential": {...}, "concurrent": {...}, "load_avg", "cpus"}
with p50/p95/p99 in milliseconds and error counts. Run: python benchmarks/http_latency.py
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus" / "sample_reports" / "dev.jsonl"


def draft_of(words: int, corpus: Path = CORPUS) -> str:
    """A draft of exactly `words` words taken from the dev corpus, reports joined in order."""
    taken: list[str] = []
    with corpus.open(encoding="utf-8") as fh:
        for line in fh:
            taken += json.loads(line)["text"].split()
            if len(taken) >= words:
                return " ".join(taken[:words])
    raise SystemExit(f"{corpus}: fewer than {words} words")


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentiles(ms: list[float]) -> dict[str, float | int]:
    """n, p50, p95, p99 and max of latencies in ms (nearest-rank)."""
    if not ms:
        return {"n": 0}
    xs = sorted(ms)

    def rank(p: float) -> float:
        return round(xs[min(len(xs) - 1, max(0, round(p / 100 * len(xs)) - 1))], 1)

    return {
        "n": len(xs),
        "p50": rank(50),
        "p95": rank(95),
        "p99": rank(99),
        "max": round(xs[-1], 1),
    }


def start_server(port: int, rubric: str | None, workers: int) -> tuple[subprocess.Popen, float]:
    """Run `auditor serve` in a child process; return it once every worker has started."""
    cmd = [sys.executable, "-m", "auditor", "serve", "--port", str(port), "--workers", str(workers)]
    if rubric:
        cmd += ["--rubric", rubric]
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    ready = threading.Event()
    log: list[str] = []

    def drain() -> None:  # uvicorn logs to stderr: count started workers, keep the pipe empty
        started = 0
        for line in proc.stderr:
            log.append(line)
            started += "Application startup complete" in line
            if started >= workers:
                ready.set()

    threading.Thread(target=drain, daemon=True).start()
    while time.perf_counter() - t0 < 120:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {''.join(log)[-2000:]}")
        if ready.wait(0.2):
            return proc, time.perf_counter() - t0
    proc.kill()
    raise SystemExit("server did not start within 120 s")


def sequential(url: str, payload: dict, n: int, warmup: int) -> dict:
    """One client, one request at a time, on a kept-alive connection."""
    ms: list[float] = []
    errors = 0
    with httpx.Client(timeout=30) as client:
        for i in range(warmup + n):
            t = time.perf_counter()
            try:
                ok = client.post(url, json=payload).status_code == 200
            except httpx.HTTPError:
                ok = False
            if i >= warmup:
                ms.append((time.perf_counter() - t) * 1000)
                errors += not ok
    return {**percentiles(ms), "errors": errors}


async def concurrent(url: str, payload: dict, clients: int, seconds: float) -> dict:
    """`clients` clients, each sending its next request as soon as the last one returns."""
    ms: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def one_client() -> None:
        nonlocal errors
        async with httpx.AsyncClient(timeout=60) as client:
            while time.perf_counter() < deadline:
                t = time.perf_counter()
                try:
                    ok = (await client.post(url, json=payload)).status_code == 200
                except httpx.HTTPError:
                    ok = False
                ms.append((time.perf_counter() - t) * 1000)
                errors += not ok

    t0 = time.perf_counter()
    await asyncio.gather(*(one_client() for _ in range(clients)))
    elapsed = time.perf_counter() - t0
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        **percentiles(ms),
        "errors": errors,
        "requests_per_s": round(len(ms) / elapsed, 1),
    }


def main() -> None:
    """Parse options, start the server, measure, print one JSON line, stop the server."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--words", type=int, default=300)
    ap.add_argument("--requests", type=int, default=200, help="sequential requests")
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=30.0, help="concurrent phase length")
    ap.add_argument("--rubric", default=None)
    ap.add_argument("--workers", type=int, default=1, help="`auditor serve --workers`")
    args = ap.parse_args()

    payload = {"text": draft_of(args.words), "metadata": {"rep_level": "experienced"}}
    port = free_port()
    proc, started = start_server(port, args.rubric, args.workers)
    url = f"http://127.0.0.1:{port}/api/check"
    try:
        load_before = os.getloadavg()
        seq = sequential(url, payload, args.requests, args.warmup)
        conc = asyncio.run(concurrent(url, payload, args.clients, args.seconds))
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    print(
        json.dumps(
            {
                "draft_words": args.words,
                "workers": args.workers,
                "server_start_s": round(started, 1),
                "sequential": seq,
                "concurrent": conc,
                "load_avg_before": [round(x, 2) for x in load_before],
                "load_avg_after": [round(x, 2) for x in os.getloadavg()],
                "cpus": os.cpu_count(),
            }
        )
    )


if __name__ == "__main__":
    main()
