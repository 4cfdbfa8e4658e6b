"""Audit-store fixtures: a store URL per test on SQLite and, where it can run, PostgreSQL.

The PostgreSQL server is real and throwaway: Debian's binaries (/usr/lib/postgresql/*/bin),
a data directory in a fresh temporary folder, listening on a unix socket only (a free port
number names the socket), with fsync off. PostgreSQL refuses to run as root, so as root it
runs as the `postgres` user (`runuser -u postgres --`) in a folder that user owns. Each test
gets its own database. Where it cannot run, the PostgreSQL cases are skipped saying why.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _why_no_postgres() -> tuple[Path, list[str]] | str:
    """(binaries, command prefix), or why PostgreSQL cannot run here."""
    bindir = _postgres_bin()
    if bindir is None:
        return (
            "no PostgreSQL server binaries (/usr/lib/postgresql/*/bin): apt-get install postgresql"
        )
    try:
        import psycopg  # noqa: F401  (the driver the store uses)
    except ImportError:
        return "psycopg is not installed: pip install 'fcr-auditor[postgres]'"
    if os.geteuid() != 0:
        return bindir, []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return "running as root and there is no `postgres` user to run the server as"
    if shutil.which("runuser") is None:
        return "running as root and there is no runuser to run the server as `postgres`"
    return bindir, ["runuser", "-u", "postgres", "--"]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A running throwaway server: the URL template of a database on it ({db})."""
    found = _why_no_postgres()
    if isinstance(found, str):
        pytest.skip(f"PostgreSQL store tests skipped: {found}")
    bindir, as_user = found
    folder = Path(tempfile.mkdtemp(prefix="fcr-pg-"))
    if as_user:
        entry = pwd.getpwnam("postgres")
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    data, port = folder / "data", _free_port()

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*as_user, *args], capture_output=True, text=True, timeout=120)

    try:
        init = run(
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        if init.returncode != 0:
            pytest.skip(f"PostgreSQL store tests skipped: initdb failed: {init.stderr[-300:]}")
        options = f"-k {folder} -p {port} -c listen_addresses='' -c fsync=off"
        start = run(
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-w",
            "-o",
            options,
            "-l",
            str(folder / "log"),
            "start",
        )
        if start.returncode != 0:
            pytest.skip(f"PostgreSQL store tests skipped: the server did not start: {start.stderr}")
        yield f"postgresql://postgres@/{{db}}?host={folder}&port={port}"
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)


def new_database(server: str) -> str:
    """A fresh, empty database on the server: its URL."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = server.format(db="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return server.format(db=name)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh store: a SQLite file, or a new database on the throwaway PostgreSQL server."""
    if request.param == "sqlite":
        return str(tmp_path / "store.db")
    return new_database(request.getfixturevalue("postgres_server"))
