"""KPI tables for `auditor outcomes`: one value per rep (or territory) and period, bad rows kept.

A KPI file is a CSV/TSV, .xlsx or JSON Lines table with a column for the unit (`rep` or
`territory`), the period and the value; `--kpi-map FIELD=COLUMN` names other columns (a
repeated field adds a fallback, first present wins; headers compare as in `--map`). Periods
are months (`2025-02`, or a date in the usual export forms) or quarters (`2025-Q1`, `Q1 2025`).
A row that cannot be used (no unit, an unreadable period or value) becomes a `KpiProblem`;
only a file that cannot be read at all, or has no column for a field, raises `InputError`.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from auditor.io.mapping import DateOrder, header_key, normalise_date
from auditor.io.records import InputError
from auditor.io.tabular import cell_text, sniff_delimiter, sniff_encoding
from auditor.jsonlines import JsonLineError, loads_line
from auditor.stats.outcomes import KpiProblem, KpiRow, KpiTable

KPI_FIELDS = ("rep", "territory", "period", "value")
DEFAULT_KPI_COLUMNS: dict[str, tuple[str, ...]] = {
    "rep": ("rep",),
    "territory": ("territory",),
    "period": ("period", "month", "quarter", "date"),
    "value": ("value", "kpi"),
}
Row = tuple[str, list[str] | str]  # (where, cells) or (where, why the row cannot be read)
_MONTH = re.compile(r"^(\d{4})[-/.](\d{1,2})$")
_QUARTER = re.compile(r"^(?:(\d{4})[- ]?Q([1-4])|Q([1-4])[- /]?(\d{4}))$", re.IGNORECASE)


def parse_kpi_map(items: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """`FIELD=COLUMN` options -> the KPI columns (defaults for fields not named)."""
    named: dict[str, list[str]] = {}
    for item in items:
        name, sep, column = item.partition("=")
        name, column = name.strip().lower(), column.strip()
        if not sep or not column or name not in KPI_FIELDS:
            raise InputError(
                f"--kpi-map {item!r}: expected FIELD=COLUMN, FIELD one of {', '.join(KPI_FIELDS)}"
            )
        named.setdefault(name, []).append(column)
    return {**DEFAULT_KPI_COLUMNS, **{k: tuple(v) for k, v in named.items()}}


def period_label(text: str, date_order: DateOrder | None = None) -> str | None:
    """`2025-02` for a month or a date in it, `2025-Q1` for a quarter; None when unreadable."""
    text = text.strip()
    if m := _MONTH.match(text):
        year, month = int(m.group(1)), int(m.group(2))
        return f"{year:04d}-{month:02d}" if 1 <= month <= 12 else None
    if q := _QUARTER.match(text):
        y, quarter = (q.group(1), q.group(2)) if q.group(1) else (q.group(4), q.group(3))
        return f"{int(y):04d}-Q{quarter}"
    day, warning = normalise_date(text, date_order)
    return None if warning else day[:7]


def parse_value(text: str) -> float | None:
    """A KPI value: `85.5`, `85,5`, `85.5%` (the number as written); None when not a number."""
    text = text.strip().removesuffix("%").strip()
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def read_kpi(
    path: Path,
    unit: str,
    columns: Mapping[str, tuple[str, ...]] = DEFAULT_KPI_COLUMNS,
    date_order: DateOrder | None = None,
) -> KpiTable:
    """The KPI rows of a file, keyed by `unit` ("rep" or "territory")."""
    header, rows = _table(path)
    index = {header_key(h): i for i, h in reversed(list(enumerate(header)))}
    found: dict[str, int] = {}
    for name in (unit, "period", "value"):
        hit = next((index[header_key(c)] for c in columns[name] if header_key(c) in index), None)
        if hit is None:
            wanted = " or ".join(repr(c) for c in columns[name])
            raise InputError(
                f"{path}: no column for the KPI's {name} ({wanted}); found {', '.join(header)} "
                f"(use --kpi-map {name}=COLUMN)"
            )
        found[name] = hit
    table = KpiTable(value_column=header[found["value"]].strip())
    for where, cells in rows:
        if isinstance(cells, str):
            table.problems.append(KpiProblem(where, cells))
            continue
        if not any(c.strip() for c in cells):
            continue
        got = {k: cells[i].strip() if i < len(cells) else "" for k, i in found.items()}
        period = period_label(got["period"], date_order) if got["period"] else None
        value = parse_value(got["value"]) if got["value"] else None
        if not got[unit]:
            table.problems.append(KpiProblem(where, f"no {unit}"))
        elif period is None:
            table.problems.append(KpiProblem(where, f"unreadable period {got['period']!r}"))
        elif value is None:
            table.problems.append(KpiProblem(where, f"value {got['value']!r} is not a number"))
        else:
            table.rows.append(KpiRow(got[unit], period, value, where))
    return table


def _table(path: Path) -> tuple[list[str], Iterator[Row]]:
    """The header and (where, cells) rows of a CSV/TSV, .xlsx or JSON Lines file."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise InputError(f"{path}: no such KPI file")
    if suffix in (".csv", ".tsv", ".tab"):
        return _csv(path, "\t" if suffix != ".csv" else ",")
    if suffix == ".xlsx":
        return _xlsx(path)
    if suffix in (".jsonl", ".ndjson"):
        return _jsonl(path)
    raise InputError(
        f"{path}: unsupported KPI file type {suffix or '(none)'} (csv, tsv, xlsx, jsonl)"
    )


def _csv(path: Path, default: str) -> tuple[list[str], Iterator[Row]]:
    with path.open("rb") as fh:
        encoding = sniff_encoding(fh, str(path))
        text = fh.read().decode(encoding, errors="replace")
    lines = io.StringIO(text, newline="")
    header_line = lines.readline()
    reader = csv.reader(lines, delimiter=sniff_delimiter(header_line, default))
    header = next(csv.reader([header_line], delimiter=reader.dialect.delimiter), [])

    def rows() -> Iterator[Row]:
        try:
            for cells in reader:
                yield f"{path}:row{reader.line_num + 1}", cells
        except csv.Error as exc:
            yield f"{path}:row{reader.line_num + 1}", f"unreadable from here on: {exc}"

    return header, rows()


def _xlsx(path: Path) -> tuple[list[str], Iterator[Row]]:
    from openpyxl import load_workbook  # a dependency, imported only when a workbook comes

    try:
        book = load_workbook(path, read_only=True, data_only=True)
        values = [
            [cell_text(v) for v in row] for row in book.worksheets[0].iter_rows(values_only=True)
        ]
        book.close()
    except Exception as exc:
        raise InputError(f"{path}: not a readable .xlsx workbook: {exc}") from None
    header = values[0] if values else []
    return header, ((f"{path}:row{n}", cells) for n, cells in enumerate(values[1:], 2))


def _jsonl(path: Path) -> tuple[list[str], Iterator[Row]]:
    objects: list[tuple[str, dict[str, Any] | str]] = []
    with path.open("rb") as fh:
        for lineno, line in enumerate(fh, 1):
            where = f"{path}:row{lineno}"
            if not line.strip():
                continue
            try:
                obj = loads_line(line, where)
            except JsonLineError as exc:
                objects.append((where, str(exc).removeprefix(f"{where}: ")))
                continue
            objects.append((where, obj if isinstance(obj, dict) else "not a JSON object"))
    header = list(dict.fromkeys(k for _, obj in objects if isinstance(obj, dict) for k in obj))
    return header, (
        (where, obj if isinstance(obj, str) else [cell_text(obj.get(k)) for k in header])
        for where, obj in objects
    )
