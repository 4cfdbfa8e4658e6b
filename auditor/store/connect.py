"""PATH_OR_URL -> a SQLAlchemy engine: a SQLite file (WAL) or a PostgreSQL server (psycopg)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from auditor.store.migrations import StoreError

#: Seconds a SQLite writer waits for another process's write transaction to end.
SQLITE_BUSY_SECONDS = 60


def engine_url(target: str) -> str:
    """The SQLAlchemy URL of a store: a path or sqlite:///PATH, or postgresql://..."""
    if "://" not in target:
        return f"sqlite:///{Path(target).expanduser().resolve()}"
    scheme, rest = target.split("://", 1)
    if scheme in ("postgresql", "postgres"):
        return f"postgresql+psycopg://{rest}"
    if scheme in ("sqlite", "sqlite+pysqlite", "postgresql+psycopg"):
        return target
    raise StoreError(
        f"unsupported store {scheme}://...: give a file path, sqlite:///PATH or postgresql://..."
    )


def shown(url: str) -> str:
    """The URL as it may be printed: never its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unparsable store URL)"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL: readers never block the writer; NORMAL sync is durable at each checkpoint and safe
    # against corruption; foreign keys are off by default in SQLite.
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
    cursor.close()


def connect(target: str) -> Engine:
    """An engine for the store at `target`; StoreError when it cannot be used."""
    url = engine_url(target)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(f"not a store path or URL: {shown(target)}") from None
    if parsed.get_backend_name() == "sqlite":
        folder = Path(parsed.database or "").parent
        if not parsed.database or not folder.is_dir():
            raise StoreError(f"{parsed.database or target}: no such folder for the store")
    try:
        # No bound parameters in error messages: they would hold report texts.
        engine = create_engine(url, hide_parameters=True)
    except ModuleNotFoundError as exc:
        raise StoreError(
            f"a PostgreSQL store needs {exc.name}: pip install 'fcr-auditor[postgres]'"
        ) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine
