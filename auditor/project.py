"""Project configuration: `auditor.toml`, or `[tool.auditor]` in pyproject.toml, found from the
current directory upwards (the nearest wins), as ruff and Vale do.

Every key is the name of a command-line option; an option given on the command line wins over
the file. Relative paths are relative to the file's directory. Example:

    rubric = "rules-acme"          # --rubric
    preset = "veeva"               # --preset
    date_order = "dmy"             # --date-order
    ignore = ["NUM001"]            # --ignore
    workers = 2                    # --workers
    [map]                          # --map FIELD=COLUMN (a list gives fallbacks)
    region = "Territory_vod__c"
    text = ["Comments__c", "Notes__c"]
    [serve]                        # `auditor serve` connection limits (docs/api.md)
    header_timeout = 10            # --header-timeout
    max_connections = 1000         # --max-connections
    allow_origin = ["https://acme.my.salesforce.com"]   # --allow-origin (embedding, docs/api.md)
    token_file = "/etc/fcr-auditor/token"               # --token-file
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from auditor.config import ConfigError, validation_problems

CONFIG_NAME = "auditor.toml"
PATH_KEYS = ("rubric", "sentence_model", "calibration", "out_dir")


@dataclass(frozen=True)
class ServeLimits:
    """Connection limits of `auditor serve` (auditor.serving enforces them; docs/api.md)."""

    header_timeout: float = 10.0  # s from a request's first byte to the end of its header
    body_timeout: float = 30.0  # s from the end of the header to the end of the body
    idle_timeout: float = 5.0  # s a connection may wait for a request (new or kept alive)
    max_connections: int = 1000  # open connections; more are refused with 503
    max_header_bytes: int = 16 * 1024  # a longer request line + header gets 400


#: [serve] keys: the connection limits, then who may call the API (auditor.access).
SERVE_KEYS = (*(f.name for f in fields(ServeLimits)), "allow_origin", "token_file")


class ServeSettings(BaseModel):
    """The [serve] table: `auditor serve` options (each one a command-line option)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    header_timeout: float | None = Field(default=None, gt=0)
    body_timeout: float | None = Field(default=None, gt=0)
    idle_timeout: float | None = Field(default=None, gt=0)
    max_connections: int | None = Field(default=None, ge=1)
    max_header_bytes: int | None = Field(default=None, ge=1024)
    allow_origin: list[str] | None = None
    token_file: str | None = None


class ProjectConfig(BaseModel):
    """The settings a project file may hold (each one a command-line option)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    rubric: str | None = None
    ignore: list[str] | None = None
    preset: str | None = None
    map: dict[str, str | list[str]] | None = None
    date_order: Literal["dmy", "mdy"] | None = None
    delimiter: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    workers: int | None = Field(default=None, ge=1, le=64)
    batch_size: int | None = Field(default=None, ge=1, le=1024)
    sentence_model: str | None = None
    calibration: str | None = None
    out_dir: str | None = Field(default=None, alias="out")
    quiet: bool | None = None
    serve: ServeSettings | None = None

    def options(self, base: Path) -> dict[str, Any]:
        """The set keys as click parameter values (paths resolved against `base`)."""
        values: dict[str, Any] = {}
        for key, value in self.model_dump(exclude_none=True).items():
            if key in PATH_KEYS and value != "none":
                value = str((base / value).resolve())
            if key == "map":
                key, value = (
                    "maps",
                    tuple(
                        f"{k}={c}"
                        for k, cols in value.items()
                        for c in ([cols] if isinstance(cols, str) else cols)
                    ),
                )
            elif key == "ignore":
                value = tuple(value)
            elif key == "serve":
                values.update(value)  # serve's own options, under their names
                if "allow_origin" in value:
                    values["allow_origin"] = tuple(value["allow_origin"])
                if "token_file" in value:
                    values["token_file"] = str((base / value["token_file"]).resolve())
                continue
            values[key] = value
        return values


@dataclass(frozen=True)
class Project:
    """A found configuration: the file (None when there is none) and its settings."""

    path: Path | None = None
    config: ProjectConfig = field(default_factory=ProjectConfig)

    def options(self) -> dict[str, Any]:
        """Click parameter name -> value, for every setting the file holds."""
        return self.config.options(self.path.parent) if self.path else {}


def find_config(start: Path | None = None) -> Path | None:
    """The nearest auditor.toml, or pyproject.toml with [tool.auditor], from `start` upwards."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder / CONFIG_NAME
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and "auditor" in _read_toml(pyproject).get("tool", {}):
            return pyproject
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def load_project(path: Path | None = None, start: Path | None = None) -> Project:
    """The project configuration at `path`, or the nearest one found; empty when none."""
    path = path or find_config(start)
    if path is None:
        return Project()
    data = _read_toml(path)
    if path.name == "pyproject.toml":
        data = data.get("tool", {}).get("auditor", {})
    try:
        return Project(path, ProjectConfig.model_validate(data))
    except ValidationError as exc:
        where = "[tool.auditor] " if path.name == "pyproject.toml" else ""
        problems = "; ".join(validation_problems(exc))
        raise ConfigError(f"{path}: {where}{problems}") from None
