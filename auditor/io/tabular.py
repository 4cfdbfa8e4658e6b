"""Tables with a header row (CSV/TSV, .xlsx, .parquet): rows mapped to id, text and metadata.

Every table reader turns its rows into lists of strings and hands them to `read_table`, which
applies the column mapping. CSV files are decoded as UTF-8 (with or without BOM) or UTF-16
(with BOM), falling back to Windows-1252 for files that are not UTF-8 at all (announced once
on stderr); the delimiter (comma, semicolon, tab, pipe) is detected from the header line. A
quoted field left open swallows the rows after it: such a row becomes one error and reading
starts again at the next line.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Any

from auditor.io.mapping import ColumnMap, build_map, parse_map
from auditor.io.records import ESCAPED, InputError, Record, from_row
from auditor.schema import FailedRecord

log = logging.getLogger("auditor.io")
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {"comma": ",", "semicolon": ";", "tab": "\t", "\\t": "\t", "pipe": "|"}
FALLBACK_ENCODING = "cp1252"
_SCAN_CHUNK = 1 << 20


@dataclass(frozen=True)
class TableOptions:
    """How to read tables: the column map and the CSV/xlsx overrides (None: detect)."""

    columns: ColumnMap = ColumnMap()
    delimiter: str | None = None
    encoding: str | None = None
    sheet: str | None = None

    @classmethod
    def from_options(
        cls,
        rubric: str | None = None,
        maps: Iterable[str] = (),
        preset: str | None = None,
        date_order: str | None = None,
        delimiter: str | None = None,
        encoding: str | None = None,
        sheet: str | None = None,
        id_col: str | None = None,
        text_col: Iterable[str] = (),
    ) -> TableOptions:
        """From the command-line options (`--id-col`/`--text-col` are `--map` shorthands);
        InputError when one cannot be used."""
        items = [*maps, *([f"id={id_col}"] if id_col else []), *(f"text={c}" for c in text_col)]
        if delimiter is not None:
            delimiter = DELIMITER_NAMES.get(delimiter.lower(), delimiter)
            if len(delimiter) != 1:
                raise InputError(
                    f"--delimiter {delimiter!r}: one character, or comma, semicolon, tab, pipe"
                )
        if encoding is not None:
            try:
                codecs.lookup(encoding)
            except LookupError:
                raise InputError(f"--encoding {encoding!r}: unknown encoding") from None
        columns = build_map(preset, parse_map(items), date_order, rubric)  # type: ignore[arg-type]
        return cls(columns, delimiter, encoding, sheet)


# -- shared -------------------------------------------------------------------------------------
def _unreadable(cells: Iterable[str]) -> str | None:
    """Why cells decoded with surrogateescape are not text, or None when they are."""
    cells = list(cells)
    if any("\x00" in c for c in cells):
        return "binary content (NUL bytes), not a text report"
    if any(ESCAPED.search(c) for c in cells):
        return "invalid UTF-8 (use --encoding to name the file's encoding)"
    return None


def read_table(
    header: list[str], rows: Iterable[tuple[int, list[str] | str]], name: str, columns: ColumnMap
) -> Iterator[Record]:
    """Map (row number, cells) to records; a str in place of cells is that row's error."""
    if reason := _unreadable(header):
        yield FailedRecord(f"{name}:1", f"{name}: header: {reason}")
        return
    try:
        bound = columns.bind(header)
    except InputError as exc:
        raise InputError(f"{name}: {exc}") from None
    width = len(header)
    id_cols = [c[0] for c in bound.fields["id"] if len(c) == 1]
    for row_no, row in rows:
        where = f"{name}:row{row_no}"
        if isinstance(row, str):
            yield FailedRecord(where, f"{name}: row {row_no}: {row}")
            continue
        if not any(cell.strip() for cell in row):
            continue
        if reason := _unreadable(row):
            yield FailedRecord(where, f"{where}: {reason}")
            continue
        if len(row) < width:
            rid = next((row[i].strip() for i in id_cols if i < len(row) and row[i].strip()), "")
            yield FailedRecord(rid or where, f"{where}: {len(row)} of {width} columns present")
            continue
        if any(cell.strip() for cell in row[width:]):
            # An unquoted delimiter in the text: the report would be cut silently.
            yield FailedRecord(
                where,
                f"{where}: {len(row)} columns but the header has {width} "
                f"(quote fields that contain the delimiter)",
            )
            continue
        yield from_row(bound.record(row), where)


# -- CSV ----------------------------------------------------------------------------------------
def sniff_encoding(stream: IO[bytes], name: str, announce: bool = True) -> str:
    """UTF-16 or UTF-8 by BOM; UTF-8 when the bytes decode (or mostly do); else Windows-1252.

    A file with valid multi-byte UTF-8 and a few bad bytes stays UTF-8 (its bad rows fail
    alone); a file with no valid multi-byte sequence and bad bytes is taken as Windows-1252.
    The stream is rewound.
    """
    start = stream.read(4)
    if start[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) and not start.startswith(
        codecs.BOM_UTF32_LE
    ):
        stream.seek(0)
        return "utf-16"
    if start[:3] == codecs.BOM_UTF8:
        stream.seek(0)
        return "utf-8-sig"
    decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
    bad = multibyte = 0
    chunk = start
    while chunk:
        text = decoder.decode(chunk)
        escaped = len(ESCAPED.findall(text))
        bad += escaped
        multibyte += sum(1 for ch in text if ord(ch) > 0x7F) - escaped
        chunk = stream.read(_SCAN_CHUNK)
    stream.seek(0)
    if bad and not multibyte:
        if announce:
            log.warning(
                "%s is not UTF-8; reading it as Windows-1252 (use --encoding to choose)", name
            )
        return FALLBACK_ENCODING
    return "utf-8-sig"


def sniff_delimiter(header_line: str, default: str = ",") -> str:
    """The candidate delimiter that splits the header line into the most columns."""
    counts = {d: len(next(csv.reader([header_line], delimiter=d), [])) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > 1 else default


class _Lines:
    """Physical lines for csv.reader, with the lines of the current record kept for replay."""

    def __init__(self, text: IO[str]) -> None:
        self._text = text
        self.pending: deque[str] = deque()
        self.current: list[str] = []
        self.line_no = 0  # physical lines handed out so far

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = self.pending.popleft() if self.pending else self._text.readline()
        if not line:
            raise StopIteration
        self.line_no += 1
        self.current.append(line)
        return line

    def start_record(self) -> None:
        """Forget the lines of the record just read."""
        self.current = []

    def replay_after_first(self) -> int:
        """Read the current record's lines again, except its first; returns lines replayed."""
        rest = self.current[1:]
        self.pending.extendleft(reversed(rest))
        self.line_no -= len(rest)
        self.current = []
        return len(rest)


def _merged(first: int, last: int, replayed: int, why: str) -> str:
    return (
        f"a quoted field is not closed as expected ({why}), so lines {first}-{last} ran "
        f"together; lines {first + 1}-{first + replayed} are read again as rows of their own"
    )


def _csv_rows(lines: _Lines, delimiter: str, width: int) -> Iterator[tuple[int, list[str] | str]]:
    """(row number, cells) per record, the header being row 1; a broken record is an error.

    The reader is strict, so a quote closed in the wrong place stops it; a one-line row that
    only a lenient reader accepts (a stray quote inside a field) is kept when its width fits.
    """
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    row_no = 1
    while True:
        lines.start_record()
        first = lines.line_no + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            row_no += 1
            if len(lines.current) == 1:
                lenient = next(csv.reader(lines.current, delimiter=delimiter), [])
                if len(lenient) == width:
                    yield row_no, lenient
                    reader = csv.reader(lines, delimiter=delimiter, strict=True)
                    continue
            last = lines.line_no
            replayed = lines.replay_after_first()
            yield (
                row_no,
                (
                    _merged(first, last, replayed, str(exc))
                    if replayed
                    else f"unreadable (line {first}): {exc}"
                ),
            )
            reader = csv.reader(lines, delimiter=delimiter, strict=True)
            continue
        row_no += 1
        if len(lines.current) > 1 and len(row) != width and any(c.strip() for c in row):
            last = lines.line_no
            replayed = lines.replay_after_first()
            yield row_no, _merged(first, last, replayed, f"{len(row)} columns, {width} expected")
            reader = csv.reader(lines, delimiter=delimiter, strict=True)
            continue
        yield row_no, row


def read_csv(
    stream: IO[bytes], name: str, options: TableOptions, tsv: bool = False, seekable: bool = True
) -> Iterator[Record]:
    """CSV/TSV with a header row; quoted fields may contain newlines."""
    encoding = options.encoding or (sniff_encoding(stream, name) if seekable else "utf-8-sig")
    # Undecodable bytes become lone surrogates, so one bad row fails alone, not the whole file.
    text = io.TextIOWrapper(stream, encoding=encoding, errors="surrogateescape", newline="")
    try:
        header_line = text.readline()
    except (UnicodeError, LookupError) as exc:
        raise InputError(f"{name}: cannot decode as {encoding}: {exc}") from None
    if not header_line.strip():
        return
    delimiter = options.delimiter or sniff_delimiter(header_line, "\t" if tsv else ",")
    header = next(csv.reader([header_line], delimiter=delimiter))
    lines = _Lines(text)
    lines.line_no = 1
    yield from read_table(header, _csv_rows(lines, delimiter, len(header)), name, options.columns)


# -- xlsx and parquet ---------------------------------------------------------------------------
def cell_text(value: Any) -> str:
    """A spreadsheet or parquet cell as the text a CSV export would hold."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ") if value.time() != time() else value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_xlsx(path: Path, options: TableOptions) -> Iterator[Record]:
    """The first sheet (or `options.sheet`) of an .xlsx workbook, streamed read-only."""
    from openpyxl import load_workbook  # a dependency, imported only when a workbook comes

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        yield FailedRecord(str(path), f"{path}: not a readable .xlsx workbook: {exc}")
        return
    try:
        if options.sheet is not None and options.sheet not in book.sheetnames:
            raise InputError(
                f"{path}: no sheet {options.sheet!r}; sheets: {', '.join(book.sheetnames)}"
            )
        sheet = book[options.sheet] if options.sheet else book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = [cell_text(v) for v in next(rows, ())]
        while header and not header[-1]:
            header.pop()
        if not header:
            return
        numbered = ((n, [cell_text(v) for v in row]) for n, row in enumerate(rows, 2))
        yield from read_table(header, numbered, str(path), options.columns)
    finally:
        book.close()


def read_parquet(path: Path, options: TableOptions) -> Iterator[Record]:
    """A .parquet file, streamed in record batches (needs the optional pyarrow)."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        yield FailedRecord(
            str(path), f"{path}: reading .parquet needs pyarrow: pip install 'fcr-auditor[parquet]'"
        )
        return
    try:
        table = pq.ParquetFile(path)
        header = list(table.schema_arrow.names)
        batches = table.iter_batches(batch_size=1024)
    except Exception as exc:
        yield FailedRecord(str(path), f"{path}: not a readable .parquet file: {exc}")
        return

    def rows() -> Iterator[tuple[int, list[str] | str]]:
        n = 1
        try:
            for batch in batches:
                for row in batch.to_pylist():
                    n += 1
                    yield n, [cell_text(row[h]) for h in header]
        except Exception as exc:
            yield n + 1, f"unreadable from here on: {exc}"

    yield from read_table(header, rows(), str(path), options.columns)
