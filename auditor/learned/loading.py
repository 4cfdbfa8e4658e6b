"""Which learned pieces an auditor uses: named directories, `none`, or the enabled defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from auditor.learned.artefacts import ModelKind, default_model_dir
from auditor.learned.calibration import Calibration
from auditor.learned.focus_model import FocusModel
from auditor.learned.sentence_model import SentenceRoleModel


class Learned(NamedTuple):
    """The learned pieces an auditor uses, and a note for the user about the defaults."""

    sentence_model: SentenceRoleModel | None
    calibration: Calibration | None
    focus_model: FocusModel | None
    note: str | None = None


def load_learned(
    sentence_model: str | None,
    calibration: str | None,
    focus_model: str | None = None,
) -> Learned:
    """The learned pieces to use, each named by a directory, "none", or None (the default).

    The note says when the default calibration was skipped because it was fitted with another
    sentence-model setting. Raises ModelLoadError for a directory without a valid artefact.
    """
    loaded: list[Any] = []
    pieces: tuple[tuple[ModelKind, str | None, Any], ...] = (
        ("sentence_model", sentence_model, SentenceRoleModel),
        ("calibration", calibration, Calibration),
        ("focus_model", focus_model, FocusModel),
    )
    for kind, given, cls in pieces:
        path = (
            default_model_dir(kind)
            if given is None
            else (None if given.lower() == "none" else Path(given))
        )
        loaded.append(cls.load(path) if path else None)
    sm, cal, fm = loaded
    if calibration is None and cal and cal.sentence_model != (sm.sha256 if sm else None):
        # A default calibration fitted on another pipeline would misread its audits.
        return Learned(
            sm,
            None,
            fm,
            "default calibration skipped: it was fitted with another "
            "sentence-model setting (pass --calibration DIR to choose one)",
        )
    return Learned(sm, cal, fm)
