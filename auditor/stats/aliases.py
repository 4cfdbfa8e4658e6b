"""Region names that mean the same place, merged before records are grouped (stats.yaml)."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Mapping, Sequence

from auditor.stats.records import Record


def merge_regions(
    records: Sequence[Record], aliases: Mapping[str, str]
) -> tuple[list[Record], dict[str, list[str]]]:
    """Records with aliased regions renamed, and each region's merged original names.

    `aliases` maps a case-folded, trimmed name to its region (`StatsSettings.alias_map`). The
    second value lists, per region that absorbed another name, every original spelling seen.
    """
    out: list[Record] = []
    merged: dict[str, set[str]] = {}
    for r in records:
        name = aliases.get(r.region.strip().casefold())
        if name is None or name == r.region:
            out.append(r)
            continue
        merged.setdefault(name, set()).add(r.region)
        out.append(dataclasses.replace(r, region=sys.intern(name)))
    return out, {name: sorted(names) for name, names in sorted(merged.items())}
