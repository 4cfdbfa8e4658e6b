"""Random bad batches through `auditor audit`: every record comes out once, in order, no crash.

Hypothesis builds a JSON Lines file (objects with odd Unicode, lone surrogates, control and
zero-width characters, random metadata nesting, malformed and non-object lines) and a directory
of .md files (odd or absent front matter, raw invalid bytes) and runs them through the command
on the rules alone.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from cli_support import RULES_ONLY, Cli
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from test_io import GOOD, _results

from auditor.textsafety import printable

ODD = [
    "\ud800",
    "\udfff",
    "\udcff",
    "\x00",
    "\x1b",
    "\x07",
    "\x7f",
    "\x85",
    "\u200b",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\u202e",
    "\r",
    "\n",
    "\t",
    " ",
    "=",
    "-",
    "@",
    '"',
    "\\",
    "{",
    "é",
    "🏥",
    "ß",
]
WORDS = GOOD.split()

chars = st.one_of(st.sampled_from(ODD), st.characters(exclude_categories=()))
text = st.lists(st.one_of(chars, st.sampled_from(WORDS).map(lambda w: w + " ")), max_size=12).map(
    "".join
)
scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), text)


@st.composite
def nested(draw: st.DrawFn) -> Any:
    """A scalar inside 0 to 40 levels of objects and lists (the limit is 20)."""
    value = draw(scalar)
    for is_list in draw(st.lists(st.booleans(), max_size=40)):
        value = [value] if is_list else {draw(text): value}
    return value


json_object = st.fixed_dictionaries(
    {"id": st.one_of(text, st.integers())},
    optional={
        "text": st.one_of(text, scalar),
        "region": scalar,
        "manager": text,
        "extra": nested(),
        "metadata": st.dictionaries(text, nested(), max_size=2),
    },
)
jsonl_line = st.one_of(
    json_object.map(lambda o: ("object", o, json.dumps(o).encode())),
    st.binary(max_size=30).map(lambda b: ("raw", None, b"{" + b.replace(b"\n", b" "))),
    st.sampled_from([b"[1, 2]", b'"text"', b"null", b"[" * 5000 + b"]" * 5000]).map(
        lambda b: ("raw", None, b)
    ),
)
FRONT = [
    "",
    "---\n- a\n- b\n---\n",
    "---\n1: one\n---\n",
    "---\na: &x [1]\nb: *x\n---\n",
    "---\nregion: [unclosed\n---\n",
    "---\n" + "[" * 3000 + "\n---\n",
    "---\n---\n",
    "---\nregion: EMEA\ndate: 2025-01-02\n---\n",
    "---\n\x00\n---\n",
    "---\nno end\n",
]
md_file = st.tuples(st.sampled_from(FRONT), text, st.booleans()).map(
    lambda t: (t[0] + t[1]).encode("utf-8", "surrogatepass" if t[2] else "backslashreplace")
)


def _expected_id(kind: str, obj: dict[str, Any] | None, where: str) -> str:
    """The id a JSON Lines record comes out with: its own, else its file and line."""
    if kind == "raw" or obj is None:
        return where
    rid = str(obj["id"]).strip() if obj["id"] not in (None, "") else ""
    return printable(rid) if rid else where


# Each example is a whole CLI run (about half a second): no shrinking, which would take
# minutes; a failure is reported as found, with the seed to reproduce it.
@settings(
    max_examples=25,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow],
)
@given(lines=st.lists(jsonl_line, max_size=8), notes=st.lists(md_file, max_size=5))
def test_random_bad_batches_keep_every_record_in_order(cli: Cli, lines: list, notes: list) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        batch = root / "batch.jsonl"
        batch.write_bytes(b"".join(raw + b"\n" for _, _, raw in lines))
        folder = root / "notes"
        folder.mkdir()
        for k, data in enumerate(notes):
            (folder / f"m{k:02}.md").write_bytes(data)
        result = cli(
            "audit", str(batch), str(folder), "--out", str(root / "out"), "--quiet", *RULES_ONLY
        )
        # An exception other than click's SystemExit propagates (catch_exceptions=False).
        assert "Traceback" not in result.output
        assert result.exit_code in (0, 1), result.output
        audits, rows = _results(root / "out")
    expected = [
        _expected_id(kind, obj, f"{batch}:{n}") for n, (kind, obj, _) in enumerate(lines, 1)
    ]
    assert len(audits) == len(rows) == len(expected) + len(notes)
    assert [a.id for a in audits[: len(expected)]] == expected
    for k, audit in enumerate(audits[len(expected) :]):  # the file name, with suffix if failed
        assert audit.id in (f"m{k:02}", f"m{k:02}.md"), audit
    assert result.exit_code == (1 if any(a.error for a in audits) else 0)
