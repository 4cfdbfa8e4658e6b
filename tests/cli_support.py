"""Run the `auditor` command in-process (click's CliRunner) and copy rule packs for tests.

Every CLI invocation builds its own Auditor, as a real run does; only the spaCy pipeline of a
rule pack is built once per test session (conftest.py's `shared_pipelines`: it takes seconds
and depends on nothing but the pack), so many invocations stay affordable.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import httpx
import yaml
from click.testing import CliRunner, Result

from auditor.cli import main
from auditor.config import DEFAULT_RULES_DIR

#: Model flags that keep a CLI run on the rules alone, like the session `engine` fixture.
RULES_ONLY = ("--sentence-model", "none", "--calibration", "none", "--focus-model", "none")

Cli = Callable[..., Result]


def cli_runner() -> Cli:
    """A function `cli(*args, input=None)` that runs `auditor ARGS` and returns the Result."""

    def run(*args: str, input: str | bytes | None = None) -> Result:
        return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)

    return run


def copy_pack(
    dest: Path, edit: Callable[[dict[str, Any]], None] | None = None, file: str = "rubric.yaml"
) -> Path:
    """Copy the bundled rules/ to `dest` and apply `edit` to the parsed `file` (if given)."""
    shutil.copytree(DEFAULT_RULES_DIR, dest)
    if edit is not None:
        path = dest / file
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        edit(data)
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return dest


#: Phrase lists a small pack keeps the first few entries of.
_PHRASE_KEYS = ("phrases", "context")


def _trim(data: Any, keep: int) -> Any:
    if isinstance(data, dict):
        return {
            k: v[:keep] if k in _PHRASE_KEYS and isinstance(v, list) else _trim(v, keep)
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [_trim(x, keep) for x in data]
    return data


def small_pack(
    dest: Path, edit: Callable[[dict[str, Any]], None] | None = None, keep: int = 4
) -> Path:
    """A valid copy of the bundled pack with only the first `keep` phrases of every list.

    For tests that start real processes (workers, servers, `kill -9`): each process builds
    its own spaCy pipeline, whose cost grows with the phrases it lemmatises (about 7 s for
    the ~3,300 of the bundled pack, well under a second for a small pack). Tests of process
    behaviour compare runs over the same pack, so they need no full vocabulary.
    """
    copy_pack(dest, edit)
    for path in [
        dest / "taxonomy.yaml",
        dest / "sections.yaml",
        *sorted((dest / "lexicons").glob("*.yaml")),
    ]:
        data = _trim(yaml.safe_load(path.read_text(encoding="utf-8")), keep)
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return dest


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def running_server(
    args: Sequence[str],
    stderr: IO[bytes] | int = subprocess.DEVNULL,
    env: Mapping[str, str] | None = None,
    why_exited: Callable[[], str] = lambda: "server exited",
) -> Iterator[tuple[str, int]]:
    """A real `auditor serve ARGS` process on a free port, once /health answers: (url, port).

    The process (and its workers) is stopped with SIGTERM when the block ends.
    """
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "auditor", "serve", "--port", str(port), *args],
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        start_new_session=True,
        env=dict(env) if env is not None else None,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert proc.poll() is None, why_exited()
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        yield url, port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
