"""The audit store: audits kept across batches (SQLite or PostgreSQL) and reviewer decisions.

`Store(PATH_OR_URL)` opens (and migrates) a store; docs/store.md describes the schema,
versions, idempotence and overrides.
"""

from auditor.store.migrations import LATEST, StoreError
from auditor.store.reviews import apply_reviews, latest_decisions
from auditor.store.store import (
    AuditConfig,
    ReviewError,
    Store,
    StoredAudit,
    StoreTally,
    StoreWriter,
)

__all__ = [
    "LATEST",
    "AuditConfig",
    "ReviewError",
    "Store",
    "StoreError",
    "StoreTally",
    "StoreWriter",
    "StoredAudit",
    "apply_reviews",
    "latest_decisions",
]
