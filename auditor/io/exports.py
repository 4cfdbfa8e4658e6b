"""The region, manager and rep tables of `auditor regions --export` as CSV and one .xlsx.

Every figure comes from the RegionsReports (the JSON output's data): one row per group, nested
figures flattened (`score_ci` -> `score_ci_low`/`score_ci_high`, `check_pass_rates` ->
`check_pass_rates.CODE`), the manager table joined with the managers' leniency. Text cells
that a spreadsheet would run as a formula (= + - @, tab, carriage return first) are written
with a leading apostrophe.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from auditor.atomic import atomic_writer, replace_durably
from auditor.schema import GROUP_NOUN, GroupBy, RegionsReport

Cell = str | int | float | bool | None
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PAIRS = {"score_ci": ("low", "high"), "ci": ("low", "high")}
_QUARTILES = ("min", "q1", "median", "q3", "max")
WORKBOOK = "tables.xlsx"


def safe_cell(value: Cell) -> Cell:
    """`value`, a text that starts like a formula prefixed with an apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _flatten(prefix: str, value: Any, out: dict[str, Cell]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(f"{prefix}.{key}", inner, out)
    elif isinstance(value, (tuple, list)):
        names = _PAIRS.get(prefix.rsplit(".", 1)[-1], _QUARTILES)
        for name, inner in zip(names, value, strict=False):
            out[f"{prefix}_{name}"] = inner
    else:
        out[prefix] = value


def _leniency_cells(report: RegionsReport) -> dict[tuple[str, str], dict[str, Cell]]:
    if report.leniency is None:
        return {}
    out: dict[tuple[str, str], dict[str, Cell]] = {}
    for m in report.leniency.managers:
        cells: dict[str, Cell] = {}
        for key, value in m.model_dump(exclude={"manager", "region"}).items():
            _flatten(f"leniency.{key}", value, cells)
        out[(m.region, m.manager)] = cells
    return out


def table_rows(report: RegionsReport) -> tuple[list[str], list[list[Cell]]]:
    """(header, rows) of one report's groups; the manager table with leniency columns."""
    leniency = _leniency_cells(report)
    empty = dict.fromkeys(next(iter(leniency.values()), {}))
    flat: list[dict[str, Cell]] = []
    for group in report.groups:
        row: dict[str, Cell] = {report.by: group.name}  # the name column names the grouping
        for key, value in group.model_dump(exclude={"name", report.by}).items():
            _flatten(key, value, row)
        if leniency:
            row.update(leniency.get((group.region or "", group.name), empty))
        flat.append(row)
    header = list(dict.fromkeys(k for row in flat for k in row))
    return header, [[safe_cell(row.get(k)) for k in header] for row in flat]


def _write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[Cell]]) -> None:
    with atomic_writer(path, newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(["" if c is None else c for c in row] for row in rows)


def _write_xlsx(path: Path, tables: Mapping[str, tuple[list[str], list[list[Cell]]]]) -> None:
    from openpyxl import Workbook  # a dependency, imported only when exporting

    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]  # the default sheet; one per table instead
    for name, (header, rows) in tables.items():
        sheet = book.create_sheet(name)
        sheet.append(header)
        for row in rows:
            sheet.append(row)
        sheet.freeze_panes = "B2"
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        book.save(tmp)
        replace_durably(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def export_tables(reports: Mapping[GroupBy, RegionsReport], directory: Path) -> list[Path]:
    """Write NOUN.csv per report and one tables.xlsx (a sheet each); the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    tables = {GROUP_NOUN[by]: table_rows(report) for by, report in reports.items()}
    written = []
    for noun, (header, rows) in tables.items():
        path = directory / f"{noun}.csv"
        _write_csv(path, header, rows)
        written.append(path)
    _write_xlsx(directory / WORKBOOK, tables)
    return [*written, directory / WORKBOOK]
