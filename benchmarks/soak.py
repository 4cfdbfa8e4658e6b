"""Soak `auditor serve` with stalled connections while active clients check drafts (loopback).

Starts a real `auditor serve` on a free 127.0.0.1 port, then for `--seconds` (default 30) holds
`--idle` connections that send nothing, `--stalled` that send half a request header and
`--stalled` that send a header and half the body (each reopened as soon as the server closes
it, so the pressure stays constant), while `--clients` active clients post a 300-word draft
back to back. Afterwards it waits (at most `--drain` s) for the last stalled connections to be
closed. Prints one JSON line:

    {"active": {"n", "p50", "p95", "p99", "max", "errors", "requests_per_s"},
     "stalled": {KIND: {"connections", "opened", "closed", "open_at_end", "refused",
                        "close_s_p50", "close_s_max"}},
     "health_after", "serve_args", "server_start_s", "cpus", "load_avg_1m"}

close_s is the time from a stalled connection's last byte to the server closing it. Extra
arguments after `--` go to `auditor serve` (e.g. `-- --header-timeout 5`).
Run: python benchmarks/soak.py
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from http_latency import draft_of, free_port, percentiles  # sibling script

HOST = "127.0.0.1"  # loopback only, by design

HALF_HEADER = b"POST /api/check HTTP/1.1\r\nHost: soak\r\nContent-Ty"
HALF_BODY = (
    b"POST /api/check HTTP/1.1\r\nHost: soak\r\nContent-Type: application/json\r\n"
    b'Content-Length: 400\r\n\r\n{"text": "Rode with Ana to the clinic'
)
KINDS = {"idle": b"", "half_header": HALF_HEADER, "half_body": HALF_BODY}


async def start_server(
    port: int, serve_args: list[str]
) -> tuple[asyncio.subprocess.Process, float]:
    """`auditor serve` in its own process group; returns once /health answers."""
    t0 = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "auditor",
        "serve",
        "--host",
        HOST,
        "--port",
        str(port),
        *serve_args,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
        start_new_session=True,
    )
    async with httpx.AsyncClient(timeout=1) as client:
        while time.perf_counter() - t0 < 180:
            if proc.returncode is not None:
                raise SystemExit("server exited during start-up")
            try:
                if (await client.get(f"http://{HOST}:{port}/health")).status_code == 200:
                    return proc, time.perf_counter() - t0
            except httpx.TransportError:
                await asyncio.sleep(0.3)
    os.killpg(proc.pid, signal.SIGKILL)
    raise SystemExit("server did not start within 180 s")


class Stalled:
    """Counts of one kind of stalled connection and how long the server took to close them."""

    def __init__(self) -> None:
        self.opened = 0
        self.closed: list[float] = []
        self.never_closed = 0
        self.refused = 0


async def stall(port: int, payload: bytes, stats: Stalled, until: float, drain: float) -> None:
    """Keep one stalled connection open (reopened after each close) until `until`."""
    while True:
        try:
            reader, writer = await asyncio.open_connection(HOST, port)
        except OSError:
            stats.refused += 1
            await asyncio.sleep(0.5)
            if time.perf_counter() >= until:
                return
            continue
        stats.opened += 1
        writer.write(payload)
        await writer.drain()
        sent = time.perf_counter()
        try:
            # The server should close it; give up at the end of the drain period.
            remaining = until + drain - sent
            data = await asyncio.wait_for(reader.read(), timeout=max(remaining, 0.1))
            if data.startswith(b"HTTP/1.1 503"):
                stats.refused += 1
            stats.closed.append(time.perf_counter() - sent)
        except TimeoutError:
            stats.never_closed += 1  # still open at the end of the drain period
        except ConnectionError:
            stats.closed.append(time.perf_counter() - sent)  # reset: closed as well
        finally:
            writer.close()
        if time.perf_counter() >= until:
            return


async def active(url: str, payload: dict, clients: int, seconds: float) -> dict:
    """`clients` keep-alive clients posting back to back for `seconds`."""
    ms: list[float] = []
    errors: dict[str, int] = {}
    deadline = time.perf_counter() + seconds

    async def one() -> None:
        async with httpx.AsyncClient(timeout=60) as client:
            while time.perf_counter() < deadline:
                t = time.perf_counter()
                try:
                    status = (await client.post(url, json=payload)).status_code
                    kind = None if status == 200 else str(status)
                except httpx.HTTPError as exc:
                    kind = type(exc).__name__
                ms.append((time.perf_counter() - t) * 1000)
                if kind:
                    errors[kind] = errors.get(kind, 0) + 1

    t0 = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(clients)))
    elapsed = time.perf_counter() - t0
    return {
        "clients": clients,
        **percentiles(ms),
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "requests_per_s": round(len(ms) / elapsed, 1),
    }


async def soak(args: argparse.Namespace, serve_args: list[str]) -> dict:
    """Start the server, stall connections, run the active clients, collect the figures."""
    port = free_port()
    proc, started = await start_server(port, serve_args)
    try:
        url = f"http://{HOST}:{port}"
        payload = {"text": draft_of(args.words)}
        async with httpx.AsyncClient(timeout=60) as client:  # warm-up
            for _ in range(3):
                await client.post(f"{url}/api/check", json=payload)
        counts = {"idle": args.idle, "half_header": args.stalled, "half_body": args.stalled}
        stats = {kind: Stalled() for kind in KINDS}
        until = time.perf_counter() + args.seconds
        stallers = [
            asyncio.create_task(stall(port, KINDS[kind], stats[kind], until, args.drain))
            for kind, n in counts.items()
            for _ in range(n)
        ]
        await asyncio.sleep(1.0)  # the stalled connections are open before the clients start
        figures = await active(f"{url}/api/check", payload, args.clients, args.seconds - 1.0)
        await asyncio.gather(*stallers)
        async with httpx.AsyncClient(timeout=10) as client:
            health_after = (await client.get(f"{url}/health")).status_code
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        await proc.wait()
    return {
        "active": figures,
        "stalled": {
            kind: {
                "connections": counts[kind],
                "opened": s.opened,
                "closed": len(s.closed),
                "open_at_end": s.never_closed,
                "refused": s.refused,
                "close_s_p50": round(sorted(s.closed)[len(s.closed) // 2], 2) if s.closed else None,
                "close_s_max": round(max(s.closed), 2) if s.closed else None,
            }
            for kind, s in stats.items()
        },
        "health_after": health_after,
        "serve_args": serve_args,
        "server_start_s": round(started, 1),
        "cpus": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    """Parse the arguments, run the soak, print one JSON line."""
    argv = sys.argv[1:]
    serve_args = argv[argv.index("--") + 1 :] if "--" in argv else []
    argv = argv[: argv.index("--")] if "--" in argv else argv
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--idle", type=int, default=200, help="connections that send nothing")
    ap.add_argument("--stalled", type=int, default=200, help="half-header and half-body each")
    ap.add_argument("--clients", type=int, default=20, help="active clients")
    ap.add_argument("--seconds", type=float, default=30.0, help="length of the soak")
    ap.add_argument("--drain", type=float, default=40.0, help="wait for the last closes (s)")
    ap.add_argument("--words", type=int, default=300, help="words in the draft")
    args = ap.parse_args(argv)
    print(json.dumps(asyncio.run(soak(args, serve_args))))


if __name__ == "__main__":
    main()
