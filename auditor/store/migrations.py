"""Numbered schema migrations: a store is brought from its recorded version to the latest.

`schema_version` holds one row per applied step. Each step runs in the same transaction as its
row, so a store is never left half-migrated. A step creates what its version added; a later
change is a new step, never an edit of an earlier one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, func, insert, select

from auditor.store.tables import audits, reviews, schema_version


class StoreError(RuntimeError):
    """The store cannot be opened or used (missing driver, unreachable, newer schema)."""


def _v1_audits(conn: Connection) -> None:
    audits.create(conn)


def _v2_reviews(conn: Connection) -> None:
    reviews.create(conn)


#: Step N brings a store from version N-1 to N.
MIGRATIONS: tuple[Callable[[Connection], None], ...] = (_v1_audits, _v2_reviews)
LATEST = len(MIGRATIONS)


def version_of(conn: Connection) -> int:
    """The store's schema version (0 for an empty database)."""
    schema_version.create(conn, checkfirst=True)
    return conn.execute(select(func.coalesce(func.max(schema_version.c.version), 0))).scalar_one()


def migrate(engine: Engine) -> int:
    """Apply the missing steps; the version before. StoreError for a newer store."""
    with engine.begin() as conn:
        before = version_of(conn)
        if before > LATEST:
            raise StoreError(
                f"the store's schema is version {before}, newer than this auditor's ({LATEST}): "
                f"upgrade fcr-auditor"
            )
        for version in range(before + 1, LATEST + 1):
            MIGRATIONS[version - 1](conn)
            conn.execute(
                insert(schema_version).values(
                    version=version, applied_at=datetime.now(UTC).isoformat(timespec="seconds")
                )
            )
    return before
