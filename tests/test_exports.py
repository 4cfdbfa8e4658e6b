"""Real CRM export shapes: column mapping and presets, CSV dialects and encodings, xlsx, parquet.

Readers are tested directly (no spaCy); one CLI run takes a Veeva-style export end to end
into `auditor regions`.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import logging
from pathlib import Path

import pytest
from cli_support import RULES_ONLY, Cli
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.io import InputError, TableOptions, build_map, parse_map, read_inputs
from auditor.io.mapping import available_presets, normalise_date
from auditor.io.tabular import read_csv
from auditor.schema import FailedRecord, Report

TEXT = (
    "Rode with Sam to Dr Patel's clinic. You asked two open questions about her newly "
    "diagnosed patients; she agreed to try it in two patients. By 15 May, ask for a date."
)
VEEVA_HEADER = [
    "Id",
    "Territory_vod__c",
    "Manager_vod__c",
    "Employee_vod__c",
    "Review_Date_vod__c",
    "Comments__c",
]


def _csv(rows: list[list[str]], delimiter: str = ",", newline: str = "\r\n") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=newline).writerows(rows)
    return out.getvalue()


def _read(data: bytes, name: str = "export.csv", **options: object) -> list[Report | FailedRecord]:
    return list(read_csv(io.BytesIO(data), name, TableOptions(**options)))  # type: ignore[arg-type]


def _veeva_rows(n: int = 3) -> list[list[str]]:
    regions = ["EMEA-DACH", "EMEA-UK", "US-West"]
    return [VEEVA_HEADER] + [
        [
            f"a0X{i:03d}",
            regions[i % 3],
            f"m-{i % 2}",
            f"rep-{i}",
            f"{3 + i % 9}/1{i % 9}/2026",
            f"{TEXT} Visit {i}.",
        ]
        for i in range(n)
    ]


# -- mapping and presets -----------------------------------------------------------------------
def test_veeva_preset_maps_metadata_and_normalises_us_dates() -> None:
    data = ("\ufeff" + _csv(_veeva_rows())).encode("utf-8")  # BOM + CRLF, as Excel writes
    recs = _read(data, columns=build_map("veeva"))
    assert [r.id for r in recs] == ["a0X000", "a0X001", "a0X002"]
    assert all(isinstance(r, Report) for r in recs)
    assert recs[1].metadata == {
        "region": "EMEA-UK",
        "manager": "m-1",
        "rep": "rep-1",
        "date": "2026-04-11",
    }
    assert recs[1].text == f"{TEXT} Visit 1."


def test_salesforce_preset_joins_comments_and_plan_into_the_text() -> None:
    header = [
        "Id",
        "Owner.Name",
        "Attendee.Name",
        "ActualStartDateTime",
        "Comments",
        "EnablementPlanComments",
    ]
    rows = [
        header,
        [
            "0Zx1",
            "Ann Manager",
            "Rep One",
            "2026-03-12T10:00:00Z",
            TEXT,
            "Next visit: ask for one trial by 30 April.",
        ],
        ["0Zx2", "Ann Manager", "Rep Two", "2026-03-13T09:00:00.000+0000", TEXT, ""],
    ]
    recs = _read(_csv(rows).encode(), columns=build_map("salesforce"))
    assert recs[0].text == f"{TEXT}\n\nNext visit: ask for one trial by 30 April."
    assert recs[0].metadata == {"manager": "Ann Manager", "rep": "Rep One", "date": "2026-03-12"}
    assert recs[1].text == TEXT and recs[1].metadata["date"] == "2026-03-13"


def test_header_matching_ignores_case_spaces_and_bom_and_keeps_extra_columns() -> None:
    rows = [
        ["  ID ", "COMMENTS__C", "Territory_VOD__c", "Call_Channel__c"],
        ["x-1", TEXT, "APAC", "Remote"],
    ]
    data = codecs.BOM_UTF8 + _csv(rows, ";").encode()
    cmap = build_map("veeva", parse_map(["channel=Call_Channel__c"]))
    (rec,) = _read(data, columns=cmap)
    assert rec.id == "x-1" and rec.metadata == {"region": "APAC", "channel": "Remote"}


def test_map_overrides_preset_and_repeating_a_field_adds_a_fallback() -> None:
    rows = [["Ref", "Notes", "Body"], ["r-1", "", TEXT], ["r-2", "short note", TEXT]]
    cmap = build_map(None, parse_map(["id=Ref", "text=Notes", "text=Body"]))
    recs = _read(_csv(rows).encode(), columns=cmap)
    assert [(r.id, r.text) for r in recs] == [("r-1", TEXT), ("r-2", "short note")]


def test_bad_map_and_unknown_preset_are_input_errors() -> None:
    with pytest.raises(InputError, match="expected FIELD=COLUMN"):
        parse_map(["region"])
    with pytest.raises(InputError, match="unknown preset 'sap'.*salesforce, veeva"):
        build_map("sap")
    assert {"veeva", "salesforce"} <= set(available_presets())


@pytest.mark.parametrize(
    ("value", "order", "expected", "warned"),
    [
        ("2026-03-12", None, "2026-03-12", False),
        ("2026-03-12T10:00:00Z", None, "2026-03-12", False),
        ("2026-03-12 10:00:00", None, "2026-03-12", False),
        ("12/03/2026", "dmy", "2026-03-12", False),
        ("12/03/2026", "mdy", "2026-12-03", False),
        ("25/03/2026", None, "2026-03-25", False),  # unambiguous without an order
        ("03/25/2026", None, "2026-03-25", False),
        ("12.03.2026", "dmy", "2026-03-12", False),
        ("12/03/2026", None, "12/03/2026", True),  # ambiguous: kept, with a warning
        ("31/02/2026", "dmy", "31/02/2026", True),
        ("next Tuesday", "dmy", "next Tuesday", True),
    ],
)
def test_dates_are_normalised_or_warned(
    value: str, order: str | None, expected: str, warned: bool
) -> None:
    got, warning = normalise_date(value, order)  # type: ignore[arg-type]
    assert got == expected and bool(warning) == warned


def test_an_unparseable_date_is_a_warning_not_a_loss() -> None:
    rows = [["id", "text", "date"], ["d-1", TEXT, "sometime in March"]]
    (rec,) = _read(_csv(rows).encode())
    assert isinstance(rec, Report) and rec.metadata["date"] == "sometime in March"
    assert rec.warnings == ["unparseable date 'sometime in March'; kept as given"]


# -- CSV dialects and encodings ----------------------------------------------------------------
@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_detected_from_the_header(delimiter: str) -> None:
    rows = [["id", "text", "region"], ["a", "Hello; you asked, well.", "EMEA"], ["b", TEXT, "US"]]
    recs = _read(_csv(rows, delimiter).encode())
    assert [(r.id, r.metadata) for r in recs] == [
        ("a", {"region": "EMEA"}),
        ("b", {"region": "US"}),
    ]
    assert recs[0].text == "Hello; you asked, well."


def test_delimiter_option_overrides_detection() -> None:
    # The header splits best on the comma; --delimiter ";" reads it as two other columns.
    data = b"id,text,more;x\na,b;c,d\n"
    assert [(r.id, r.text) for r in _read(data)] == [("a", "b;c")]
    cmap = build_map(None, parse_map(["id=x", "text=id,text,more"]))
    (rec,) = _read(data, delimiter=";", columns=cmap)
    assert (rec.id, rec.text) == ("c,d", "a,b")
    with pytest.raises(InputError, match="no column for id"):
        _read(b"id;text\na;b\n", delimiter="|")


def test_windows_1252_is_announced_once_and_keeps_accents_and_ids() -> None:
    class Messages(logging.Handler):
        def __init__(self) -> None:
            super().__init__()
            self.seen: list[str] = []

        def emit(self, record: logging.LogRecord) -> None:
            self.seen.append(record.getMessage())

    rows = [["id", "text"], ["é-1", "Réunion à l'hôpital – très bien"], ["é-2", "Señor Müller"]]
    data = _csv(rows, ";").encode("cp1252")
    messages = Messages()
    logger = logging.getLogger("auditor.io")
    logger.addHandler(messages)
    try:
        recs = _read(data)
    finally:
        logger.removeHandler(messages)
    assert [(r.id, r.text) for r in recs] == [
        ("é-1", "Réunion à l'hôpital – très bien"),
        ("é-2", "Señor Müller"),
    ]
    assert messages.seen == [
        "export.csv is not UTF-8; reading it as Windows-1252 (use --encoding to choose)"
    ]


def test_mostly_utf8_file_keeps_utf8_and_fails_only_the_bad_row() -> None:
    data = "id,text\nu-1,Réunion\nu-2,bad ".encode() + b"\xe9\xff" + b"\nu-3,ok\n"
    recs = _read(data)
    assert [r.id for r in recs] == ["u-1", "export.csv:row3", "u-3"]
    assert recs[0].text == "Réunion" and "invalid UTF-8" in recs[1].error


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be"])
def test_utf16_with_bom(codec: str) -> None:
    rows = [["id", "text"], ["w-1", "Visite à l'hôpital"], ["w-2", TEXT]]
    text = _csv(rows, "\t")
    data = (
        (codecs.BOM_UTF16_BE + text.encode("utf-16-be"))
        if codec == "utf-16-be"
        else text.encode("utf-16")
    )
    recs = _read(data, name="export.tsv")
    assert [(r.id, r.text) for r in recs] == [("w-1", "Visite à l'hôpital"), ("w-2", TEXT)]


def test_encoding_option_is_used_as_given() -> None:
    data = "id,text\nk-1,Überweisung\n".encode("latin-1")
    (rec,) = _read(data, encoding="latin-1")
    assert rec.text == "Überweisung"


def test_embedded_newlines_and_doubled_quotes_survive() -> None:
    data = (
        b'id,text\r\nq-1,"He said ""great job"".\r\nNext steps:\r\n- ask, then listen"\r\n'
        b"q-2,plain\r\n"
    )
    recs = _read(data)
    assert recs[0].text == 'He said "great job".\r\nNext steps:\r\n- ask, then listen'
    assert recs[1].id == "q-2"


def test_an_unclosed_quote_fails_one_row_and_reading_resumes_on_the_next_line() -> None:
    lines = ["id,text,region", 'b-1,"He was good,EMEA'] + [
        f"b-{i},Report {i} text,EMEA" for i in range(2, 3002)
    ]
    recs = _read(("\n".join(lines) + "\n").encode())
    assert len(recs) == 3001  # one per data line: nothing swallowed
    assert isinstance(recs[0], FailedRecord)
    assert "a quoted field is not closed" in recs[0].error and "lines 2-3002" in recs[0].error
    assert [r.id for r in recs[1:]] == [f"b-{i}" for i in range(2, 3002)]
    assert all(isinstance(r, Report) for r in recs[1:])


def test_a_quote_closed_by_the_next_row_is_split_again() -> None:
    data = b'id,text,region\nb-1,"oops,EMEA\nb-2,"fine text",US\nb-3,more,US\n'
    recs = _read(data)
    assert [r.id for r in recs] == ["export.csv:row2", "b-2", "b-3"]
    assert recs[1].text == "fine text"


# -- xlsx, parquet, directories ----------------------------------------------------------------
def test_xlsx_first_sheet_or_named_sheet(tmp_path: Path) -> None:
    from datetime import datetime

    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Summary"
    book.active.append(["nothing here"])
    sheet = book.create_sheet("Reports")
    sheet.append(VEEVA_HEADER)
    sheet.append([1001, "EMEA-UK", "m-1", "rep-1", datetime(2026, 3, 12), f"{TEXT}\nLine 2"])
    sheet.append([1002.0, "US-West", "m-2", "rep-2", "03/13/2026", TEXT])
    path = tmp_path / "export.xlsx"
    book.save(path)
    options = TableOptions(columns=build_map("veeva"), sheet="Reports")
    recs = list(read_inputs([str(path)], options))
    assert [(r.id, r.metadata.get("date")) for r in recs] == [
        ("1001", "2026-03-12"),
        ("1002", "2026-03-13"),
    ]
    assert recs[0].text == f"{TEXT}\nLine 2"
    with pytest.raises(InputError, match="no column for id"):
        list(read_inputs([str(path)], TableOptions(columns=build_map("veeva"))))
    with pytest.raises(InputError, match="no sheet 'Other'; sheets: Summary, Reports"):
        list(read_inputs([str(path)], TableOptions(sheet="Other")))


def test_parquet_is_streamed(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow", reason="pyarrow is the optional [parquet] extra")
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "Id": [f"p-{i}" for i in range(2500)],
            "Comments__c": [TEXT] * 2500,
            "Territory_vod__c": ["APAC"] * 2500,
        }
    )
    path = tmp_path / "export.parquet"
    pq.write_table(table, path)
    recs = list(read_inputs([str(path)], TableOptions(columns=build_map("veeva"))))
    assert len(recs) == 2500 and recs[-1].id == "p-2499"
    assert recs[0].metadata == {"region": "APAC"}


def test_corrupt_xlsx_and_parquet_in_a_directory_are_error_records(tmp_path: Path) -> None:
    (tmp_path / "a.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    (tmp_path / "b.parquet").write_bytes(b"PAR1 nope")
    (tmp_path / "c.tsv").write_text(f"id\ttext\nt-1\t{TEXT}\n", encoding="utf-8")
    recs = list(read_inputs([str(tmp_path)]))
    assert [type(r).__name__ for r in recs] == ["FailedRecord", "FailedRecord", "Report"]
    assert "not a readable .xlsx" in recs[0].error
    assert "not a readable .parquet" in recs[1].error or "pyarrow" in recs[1].error


# -- end to end --------------------------------------------------------------------------------
def test_veeva_export_end_to_end_into_regions(cli: Cli, tmp_path: Path) -> None:
    src = tmp_path / "veeva.csv"
    src.write_bytes(("\ufeff" + _csv(_veeva_rows(9), ";")).encode("utf-8"))
    out = tmp_path / "out"
    result = cli("audit", str(src), "--out", str(out), "--preset", "veeva", "--quiet", *RULES_ONLY)
    assert result.exit_code == 0, result.output
    first = json.loads((out / "results.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert first["metadata"]["region"] == "EMEA-DACH" and first["metadata"]["date"]
    regions = cli("regions", str(out / "results.jsonl"), "--format", "json")
    assert regions.exit_code == 0, regions.output
    groups = {g["name"] for g in json.loads(regions.stdout)["groups"]}
    assert groups == {"EMEA-DACH", "EMEA-UK", "US-West"}


# -- property: random cells survive a CSV round trip; a broken quote costs one row ---------------
_cell = st.text(
    st.one_of(
        st.sampled_from(list(",;\t|\"'\n\r =+-@é🏥\u200b\x85")),
        st.characters(exclude_categories=("Cs",), exclude_characters="\x00"),
    ),
    max_size=20,
)


@settings(max_examples=60, deadline=None)
@given(
    cells=st.lists(st.tuples(_cell, _cell), min_size=1, max_size=12),
    tail=st.lists(
        st.text(
            st.characters(exclude_categories=("Cs",), exclude_characters=',;\t|"\r\n\x00'),
            max_size=15,
        ),
        max_size=6,
    ),
    delimiter=st.sampled_from([",", ";", "\t"]),
    newline=st.sampled_from(["\n", "\r\n"]),
    codec=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
)
def test_random_csv_keeps_every_row(
    cells: list[tuple[str, str]], tail: list[str], delimiter: str, newline: str, codec: str
) -> None:
    rows = [["id", "text", "region"]] + [[f"r-{i}", t, r] for i, (t, r) in enumerate(cells)]
    broken = f'x-0{delimiter}"never closed{delimiter}EMEA{newline}'
    after = "".join(f"t-{i}{delimiter}{t}{delimiter}US{newline}" for i, t in enumerate(tail))
    # An exporter quotes cells holding CR or LF; the lines after may end in LF or CRLF.
    data = (_csv(rows, delimiter) + broken + after).encode(codec)
    recs = _read(data)
    good = [r for r in recs if isinstance(r, Report)]
    assert [r.id for r in good] == [f"r-{i}" for i in range(len(cells))] + [
        f"t-{i}" for i in range(len(tail))
    ]
    assert [r.text for r in good[: len(cells)]] == [t for t, _ in cells]
    assert [r.id for r in recs if isinstance(r, FailedRecord)] == [
        f"export.csv:row{len(cells) + 2}"
    ]


def test_map_and_preset_apply_to_json_lines_keys(tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl"
    path.write_text(
        "\n".join(
            json.dumps(o)
            for o in [
                {
                    "Id": "j-1",
                    "Comments__c": TEXT,
                    "Territory_vod__c": "EMEA-UK",
                    "Review_Date_vod__c": "3/12/2026",
                    "Score__c": 4,
                },
                {"Id": "j-2", "Comments__c": TEXT, "Review_Date_vod__c": "soon"},
                {"Comments__c": TEXT},
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    recs = list(read_inputs([str(path)], TableOptions(columns=build_map("veeva"))))
    assert recs[0].id == "j-1" and recs[0].text == TEXT
    assert recs[0].metadata == {"region": "EMEA-UK", "date": "2026-03-12", "Score__c": 4}
    assert recs[1].warnings == ["unparseable date 'soon'; kept as given"]
    assert isinstance(recs[2], FailedRecord) and "missing required field 'id'" in recs[2].error
    # Without a mapping, JSON Lines keys are used as they are.
    assert isinstance(next(read_inputs([str(path)])), FailedRecord)
