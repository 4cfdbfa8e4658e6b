"""All custom spaCy extensions, registered once per process."""

from __future__ import annotations

from spacy.tokens import Doc

SPAN_KEYS = ("priority", "competency", "cue", "star", "objective", "focus", "signal")


def register_extensions() -> None:
    """Register `doc._.fcr` (the report's Annotations); safe to call repeatedly."""
    if not Doc.has_extension("fcr"):
        Doc.set_extension("fcr", default=None)
