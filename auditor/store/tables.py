"""The store's tables (SQLAlchemy Core), the same on SQLite and PostgreSQL.

Dates and times are ISO 8601 text (report dates `YYYY-MM-DD`, record times UTC), so that they
compare as text alike on every backend; audits are their full JSON.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Column,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Table,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy import String as _String
from sqlalchemy import Text as _Text

metadata = MetaData()


def clean(text: str) -> str:
    """Text as a column holds it: PostgreSQL cannot store NUL, so it becomes U+FFFD everywhere
    (the audit JSON keeps it, escaped)."""
    return text.replace("\x00", "\ufffd")


class String(TypeDecorator[str]):
    """VARCHAR whose values and query parameters are `clean`ed."""

    impl = _String
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        """`clean` every string bound to this column, in writes and comparisons alike."""
        return clean(value) if isinstance(value, str) else value


class Text(String):
    """TEXT whose values and query parameters are `clean`ed."""

    impl = _Text


#: One row per applied migration step (auditor.store.migrations).
schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("applied_at", String(32), nullable=False),
)

#: One row per version of a report's audit: a changed text, rule pack or model is a new row.
audits = Table(
    "audits",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("report_id", String, nullable=False),
    Column("text_sha256", String(64), nullable=False),
    Column("config_sha256", String(64), nullable=False),
    Column("rule_pack_sha256", String(64), nullable=False),
    Column("models", Text, nullable=False),
    Column("ignored", Text, nullable=False),
    Column("rep", String),
    Column("manager", String),
    Column("region", String),
    Column("report_date", String(10)),
    Column("status", String(32), nullable=False),
    Column("score", Integer),
    Column("verdict", String(16)),
    Column("stored_at", String(32), nullable=False),
    Column("audit", Text, nullable=False),
    UniqueConstraint("report_id", "text_sha256", "config_sha256", name="uq_audits_version"),
    Index("ix_audits_rep", "rep"),
    Index("ix_audits_manager", "manager"),
    Index("ix_audits_region", "region"),
    Index("ix_audits_report_date", "report_date"),
)

#: Reviewer decisions, append-only: the trail of who decided what, when and why.
reviews = Table(
    "reviews",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("report_id", String, nullable=False),
    Column("text_sha256", String(64), nullable=False),
    Column("audit_id", Integer, ForeignKey("audits.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("code", String),
    Column("verdict", String(16)),
    Column("reviewer", String, nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", String(32), nullable=False),
    Index("ix_reviews_report", "report_id", "text_sha256"),
)
