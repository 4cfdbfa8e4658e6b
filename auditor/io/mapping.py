"""Column mapping: which export column holds a report's id, text and metadata.

A `ColumnMap` maps each field (id, text, region, manager, rep, rep_level, date, or any other
name kept as metadata) to candidate column names, tried in order; `A+B` joins several columns
(non-empty parts, a blank line between them). `rating` and `rating.COMPETENCY` fields are
gathered into `metadata["ratings"]` (`overall` and competency ids; the audit reads them onto the
pack's scales). Header matching ignores case, surrounding spaces
and a byte-order mark. Named presets are data files (`presets/*.yaml` in the rule pack);
dates in the usual export forms are normalised to ISO `YYYY-MM-DD`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from auditor.config import DEFAULT_RULES_DIR, OVERALL
from auditor.io.records import InputError
from auditor.schema import METADATA_FIELDS

DateOrder = Literal["dmy", "mdy"]
T = TypeVar("T")
FIELDS = ("id", "text", *METADATA_FIELDS)
DEFAULT_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id",),
    "text": ("text", "comments", "comment", "report"),
    **{name: (name,) for name in METADATA_FIELDS},
}
BUNDLED_PRESETS = DEFAULT_RULES_DIR / "presets"
_FIELD_NAME = re.compile(r"^(rating\.)?[a-z][a-z0-9_]*$")
RATING = "rating"


def header_key(name: str) -> str:
    """How headers compare: no BOM, no surrounding spaces, case-insensitive."""
    return name.replace("\ufeff", "").strip().casefold()


class Preset(BaseModel):
    """A named mapping shipped as data (rules/presets/NAME.yaml)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str = ""
    columns: dict[str, list[str]] = Field(default_factory=dict)
    date_order: DateOrder | None = None


@dataclass(frozen=True)
class ColumnMap:
    """Field -> candidate columns (first present wins; `A+B` joins columns), and the date order."""

    columns: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_COLUMNS))
    date_order: DateOrder | None = None

    def with_overrides(
        self, overrides: Mapping[str, Iterable[str]], date_order: DateOrder | None = None
    ) -> ColumnMap:
        """This map with some fields' candidates replaced (later options win)."""
        columns = dict(self.columns)
        for name, candidates in overrides.items():
            columns[name] = tuple(candidates)
        return replace(self, columns=columns, date_order=date_order or self.date_order)

    @property
    def is_default(self) -> bool:
        """True for the built-in mapping (every field read from its own name)."""
        return self == ColumnMap()

    def rename(self, obj: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """A JSON object with its mapped keys renamed to their fields, and date warnings.

        The first candidate with a non-empty value wins; `A+B` joins string values.
        """
        keys = {header_key(k): k for k in reversed(list(obj))}
        out: dict[str, Any] = dict(obj)
        warnings: list[str] = []
        for name, candidates in self.columns.items():
            for cand in candidates:
                parts = _resolve(cand, keys)
                if parts is None:
                    continue
                values = [obj[p] for p in parts]
                value = (
                    values[0]
                    if len(values) == 1
                    else "\n\n".join(str(v) for v in values if v is not None and str(v).strip())
                )
                if value in (None, ""):
                    continue
                for p in parts:
                    out.pop(p, None)
                out[name] = _field_value(name, value, self.date_order, warnings)
                break
        gather_ratings(out)
        return out, warnings

    def bind(self, header: list[str]) -> BoundMap:
        """Resolve the fields against one file's header (raises InputError without id/text)."""
        index = {header_key(h): i for i, h in reversed(list(enumerate(header)))}
        fields: dict[str, list[tuple[int, ...]]] = {}
        for name, candidates in self.columns.items():
            present = [
                tuple(parts) for cand in candidates if (parts := _resolve(cand, index)) is not None
            ]
            if present:
                fields[name] = present
        missing = [f for f in ("id", "text") if f not in fields]
        if missing:
            wanted = " and ".join(
                f"{f} ({' or '.join(repr(c) for c in self.columns.get(f, ())) or 'unmapped'})"
                for f in missing
            )
            raise InputError(
                f"no column for {wanted}; found {', '.join(header)} "
                f"(use --map FIELD=COLUMN or --preset NAME)"
            )
        used = {i for cands in fields.values() for cand in cands for i in cand}
        extra = {
            i: header[i].replace("\ufeff", "").strip() for i in range(len(header)) if i not in used
        }
        return BoundMap(fields, extra, self.date_order)


@dataclass(frozen=True)
class BoundMap:
    """A ColumnMap resolved against one header: column indices per field."""

    fields: dict[str, list[tuple[int, ...]]]
    extra: dict[int, str]  # unmapped columns, kept as metadata under their header name
    date_order: DateOrder | None

    def value(self, name: str, row: list[str]) -> str | None:
        """The first candidate with a non-blank value ("" when none; None when not mapped).

        A text cell is kept exactly as given; other cells lose surrounding spaces. Joined
        columns (`A+B`) keep their non-blank parts, a blank line between them.
        """
        candidates = self.fields.get(name)
        if candidates is None:
            return None
        first = ""
        for cols in candidates:
            parts = [row[i] if name == "text" else row[i].strip() for i in cols]
            value = parts[0] if len(parts) == 1 else "\n\n".join(p for p in parts if p.strip())
            if value.strip():
                return value
            first = first or value
        return first

    def record(self, row: list[str]) -> tuple[str, str, dict[str, Any], list[str]]:
        """(id, text, metadata, warnings) of one row, cells as strings."""
        meta: dict[str, Any] = {}
        warnings: list[str] = []
        for name in self.fields:
            if name in ("id", "text"):
                continue
            value = self.value(name, row)
            if value:
                meta[name] = _field_value(name, value, self.date_order, warnings)
        for i, name in self.extra.items():
            if row[i].strip():
                meta.setdefault(name, row[i])
        gather_ratings(meta)
        return (self.value("id", row) or "").strip(), self.value("text", row) or "", meta, warnings


def _resolve(candidate: str, index: Mapping[str, T]) -> list[T] | None:
    """The columns (or keys) a candidate names (`A+B` names two); None when one is absent."""
    found = [index.get(header_key(part)) for part in candidate.split("+")]
    return None if any(f is None for f in found) else [f for f in found if f is not None]


def _field_value(name: str, value: Any, order: DateOrder | None, warnings: list[str]) -> Any:
    """A mapped value as stored: dates normalised (a warning added when that fails)."""
    if name == "date" and isinstance(value, str):
        value, warning = normalise_date(value, order)
        if warning:
            warnings.append(warning)
    return value


def gather_ratings(meta: dict[str, Any]) -> None:
    """Move mapped `rating` / `rating.ID` fields into `meta["ratings"]` (id -> value as given)."""
    keys = [k for k in meta if k == RATING or k.startswith(f"{RATING}.")]
    if not keys:
        return
    ratings = dict(meta["ratings"]) if isinstance(meta.get("ratings"), dict) else {}
    for key in keys:
        ratings[OVERALL if key == RATING else key.partition(".")[2]] = meta.pop(key)
    meta["ratings"] = ratings


# -- dates --------------------------------------------------------------------------------------
_NUMERIC = re.compile(r"^(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{1,4})$")


def normalise_date(value: str, order: DateOrder | None) -> tuple[str, str | None]:
    """ISO `YYYY-MM-DD` for the usual export forms; otherwise the value and a warning."""
    text = value.strip()
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date().isoformat(), None
    except ValueError:
        pass
    match = _NUMERIC.match(text.split(" ")[0].split("T")[0])
    if match:
        a, b, c = (int(g) for g in match.groups())
        if len(match.group(1)) == 4:  # 2026/03/12
            candidates = [(a, b, c)]
        elif len(match.group(3)) == 4:
            if order == "dmy":
                candidates = [(c, b, a)]
            elif order == "mdy":
                candidates = [(c, a, b)]
            else:  # unambiguous only when one part cannot be a month
                candidates = [(c, b, a)] if a > 12 else [(c, a, b)] if b > 12 else []
                if not candidates:
                    return value, (
                        f"date {value!r} is ambiguous (day/month order); set "
                        f'date_order = "dmy" or "mdy"; kept as given'
                    )
        else:
            candidates = []
        for y, m, d in candidates:
            try:
                return date(y, m, d).isoformat(), None
            except ValueError:
                break
    return value, f"unparseable date {value!r}; kept as given"


# -- presets and --map --------------------------------------------------------------------------
def preset_dirs(rubric: str | Path | None) -> list[Path]:
    """Where presets are looked up: the rule pack's presets/ first, then the bundled ones."""
    dirs = [Path(rubric) / "presets"] if rubric else []
    return [*dirs, BUNDLED_PRESETS]


def available_presets(rubric: str | Path | None = None) -> list[str]:
    """Names of the presets that `--preset` accepts."""
    return sorted({p.stem for d in preset_dirs(rubric) if d.is_dir() for p in d.glob("*.yaml")})


def load_preset(name: str, rubric: str | Path | None = None) -> Preset:
    """A preset by name (or a path to a preset file); InputError when unknown or invalid."""
    path = Path(name)
    if not (path.suffix in (".yaml", ".yml") and path.is_file()):
        found = [d / f"{name}.yaml" for d in preset_dirs(rubric) if (d / f"{name}.yaml").is_file()]
        if not found:
            raise InputError(
                f"unknown preset {name!r}; known: {', '.join(available_presets(rubric)) or 'none'}"
            )
        path = found[0]
    try:
        preset = Preset.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise InputError(f"{path}: invalid preset: {exc}") from None
    bad = [k for k in preset.columns if not _FIELD_NAME.match(k)]
    if bad:
        raise InputError(f"{path}: invalid field name(s) {', '.join(bad)}")
    return preset


def parse_map(items: Iterable[str]) -> dict[str, list[str]]:
    """`FIELD=COLUMN` options -> field -> columns (repeating a field adds a fallback column)."""
    out: dict[str, list[str]] = {}
    for item in items:
        name, sep, column = item.partition("=")
        name, column = name.strip().lower(), column.strip()
        if not sep or not column or not _FIELD_NAME.match(name):
            raise InputError(
                f"--map {item!r}: expected FIELD=COLUMN, FIELD one of "
                f"{', '.join(FIELDS)}, rating, rating.COMPETENCY or another lower-case name "
                "for metadata"
            )
        out.setdefault(name, []).append(column)
    return out


def build_map(
    preset: str | None = None,
    overrides: Mapping[str, Iterable[str]] | None = None,
    date_order: DateOrder | None = None,
    rubric: str | Path | None = None,
) -> ColumnMap:
    """Defaults, then the preset, then explicit overrides (`--map`, `--id-col`, config)."""
    cmap = ColumnMap()
    if preset:
        p = load_preset(preset, rubric)
        cmap = cmap.with_overrides(p.columns, p.date_order)
    return cmap.with_overrides(overrides or {}, date_order)
