"""Safe model files: JSON artefacts beside model cards that pin their sha256 and library versions.

Nothing is pickled; a directory loads only when its card's hash, kind and scikit-learn version
fit (models/defaults.json names the shipped directory of each kind and whether it is on).
"""

from __future__ import annotations

import hashlib
import json
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np

from auditor.atomic import write_json_atomic

CARD_FILE = "card.json"
MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
DEFAULTS_FILE = MODELS_DIR / "defaults.json"
ModelKind = Literal["sentence_model", "calibration", "focus_model"]


class ModelLoadError(RuntimeError):
    """A model directory is missing, corrupt, tampered with or made by another library version."""


def sha256_file(path: Path) -> str:
    """The sha256 hex digest of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def file_facts(path: Path) -> dict[str, str]:
    """What a model card records of a data file: its name and sha256."""
    return {"file": path.name, "sha256": sha256_file(path)}


def library_versions() -> dict[str, str]:
    """Versions of the libraries a trained artefact depends on."""
    import scipy
    import sklearn

    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
    }


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def write_card(directory: Path, kind: str, artefact: str, extra: dict[str, Any]) -> dict[str, Any]:
    """Write the model card of `directory/artefact` (call after the artefact is written)."""
    card = {
        "kind": kind,
        "name": directory.name,
        "created": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "artefact": {"file": artefact, "sha256": sha256_file(directory / artefact)},
        "libraries": library_versions(),
        **extra,
    }
    write_json_atomic(directory / CARD_FILE, card)
    return card


def _sklearn_version() -> str:
    """The installed scikit-learn's version, read without importing it (~0.8 s)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("scikit-learn")
    except PackageNotFoundError:
        import sklearn  # an unusual install: ask the package itself

        return str(sklearn.__version__)


def read_verified(directory: str | Path, kind: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The card and artefact of a model directory, after checking hash, kind and library version.

    Raises ModelLoadError with a message naming the file and what is wrong.
    """
    root = Path(directory)
    card_path = root / CARD_FILE
    if not card_path.is_file():
        raise ModelLoadError(f"{card_path}: model card not found (is {root} a model directory?)")
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
        art_name, digest = card["artefact"]["file"], card["artefact"]["sha256"]
        trained_with = card["libraries"]["scikit-learn"]
        card_kind = card["kind"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelLoadError(f"{card_path}: corrupt model card ({exc!r})") from None
    if card_kind != kind:
        raise ModelLoadError(f"{card_path}: this is a {card_kind!r} model, expected {kind!r}")
    art_path = root / Path(str(art_name)).name  # never follow a path out of the directory
    if not art_path.is_file():
        raise ModelLoadError(f"{art_path}: model file not found")
    actual = sha256_file(art_path)
    if actual != digest:
        raise ModelLoadError(
            f"{art_path}: sha256 {actual} does not match the model card "
            f"({digest}); the file was changed or the card belongs elsewhere"
        )
    installed = _sklearn_version()
    if _minor(str(trained_with)) != _minor(installed):
        raise ModelLoadError(
            f"{card_path}: trained with scikit-learn {trained_with}, but "
            f"{installed} is installed; retrain (see docs/models.md)"
        )
    try:
        artefact = json.loads(art_path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ModelLoadError(f"{art_path}: corrupt model file ({exc})") from None
    if not isinstance(artefact, dict):
        raise ModelLoadError(f"{art_path}: corrupt model file (not a JSON object)")
    return card, artefact


def default_model_dir(kind: ModelKind, only_enabled: bool = True) -> Path | None:
    """The shipped model directory of a kind (per models/defaults.json), if it is turned on."""
    if not DEFAULTS_FILE.is_file():
        return None
    entry = json.loads(DEFAULTS_FILE.read_text(encoding="utf-8")).get(kind) or {}
    if not entry.get("dir") or (only_enabled and not entry.get("enabled")):
        return None
    return MODELS_DIR / entry["dir"]
