"""What every config file shares: the bundled pack's place, strict models, YAML and errors.

Every file is validated once, with pydantic `extra="forbid"`. Errors name the file, the key path
and, where the value must come from a fixed set, the allowed values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

DEFAULT_RULES_DIR = Path(__file__).resolve().parent.parent.parent / "rules"


class ConfigError(ValueError):
    """A rule pack is missing, malformed or inconsistent; the message names file and key."""


class StrictModel(BaseModel):
    """Base of every config model: unknown keys are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> Any:
    """The parsed content of a YAML file; ConfigError when it is missing or not YAML."""
    if not path.is_file():
        raise ConfigError(f"{path}: file not found")
    try:
        # libyaml's safe loader when present: the same data, ~10x faster than the pure-Python one
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc


def validation_problems(exc: ValidationError) -> list[str]:
    """Each problem of a pydantic error as `key.path[0]: message (got value)`."""
    lines = []
    for err in exc.errors():
        loc = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"]).lstrip(".")
        msg = err["msg"]
        expected = (err.get("ctx") or {}).get("expected")
        if expected and "expected" not in msg and "should be" not in msg:
            msg = f"{msg}; allowed: {expected}"
        got = err.get("input")
        got_text = "" if isinstance(got, (dict, list)) else f" (got {got!r})"
        lines.append(f"{loc or '<top>'}: {msg}{got_text}")
    return lines


def _format_error(path: Path, exc: ValidationError) -> str:
    return "\n".join(f"{path}: {problem}" for problem in validation_problems(exc))


def load_file(model: type[BaseModel], path: Path) -> Any:
    """Read the YAML file at `path` and validate it as `model`; ConfigError names file and key."""
    data = read_yaml(path)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_error(path, exc)) from None
