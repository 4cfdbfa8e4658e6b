"""Token patterns matched as regexes over one feature string per Doc, not by spaCy's Matcher.

spaCy's Matcher tests `IN` / `NOT_IN` sets with a Python call per token and predicate, which
made it the dearest part of reading a report. Here every token becomes one segment of a string
holding the attributes the patterns read (`LOWER`, `NORM`, `TAG`, flags as `1`/`0`, ...), and
each pattern becomes one regex over it, so matching runs in the regex engine. The result is the
Matcher's: every (label, start, end) token span any of a label's patterns matches, all lengths
of a variable-length pattern included, each once.

Compiled: equality, `IN` and `NOT_IN` on string attributes (`ORTH`/`TEXT`, `LOWER`, `NORM`,
`LEMMA`, `TAG`, `POS`, `DEP`, `SHAPE`, `ENT_TYPE`), boolean flags, `LENGTH` as a number or
compared (`==`, `>=`, ...), and every `OP`. A pattern using anything else (`REGEX`, `FUZZY`,
`MORPH`, the subset operations, extension attributes, ...) is left to a spaCy Matcher, as is a
Doc whose text holds the two separator characters.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from typing import Any, cast

from spacy.attrs import IDS
from spacy.matcher import Matcher
from spacy.tokens import Doc
from spacy.vocab import Vocab

from auditor.nlp.literals import may_match, necessary_literals
from auditor.token_patterns import FLAG_ATTRS

_SEP, _END = "\x1e", "\x1f"  # between a token's fields; after each token
_ANY = "[^\x1e\x1f]*+"  # one field, whatever its value
_TERM = "[\x1e\x1f]"
_ONE_TOKEN = "[^\x1f]*+\x1f"
_STRING_ATTRS = ("ORTH", "LOWER", "NORM", "LEMMA", "TAG", "POS", "DEP", "SHAPE", "ENT_TYPE")
#: Flags read from the token array; IS_SENT_START is read as SENT_START (see `_ALIASES`).
_FLAG_ATTRS = tuple(f for f in FLAG_ATTRS if f not in ("SPACY", "IS_SENT_START"))
_ALIASES = {"TEXT": "ORTH", "IS_SENT_START": "SENT_START"}
_COMPARE = ("==", "!=", ">=", "<=", ">", "<")
_INF = math.inf


class NotCompilableError(ValueError):
    """A token pattern this module does not compile (a spaCy Matcher handles it)."""


def _attr(key: str) -> str:
    name = key.upper()
    return _ALIASES.get(name, name)


def _strings(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise NotCompilableError(f"not a list of strings: {value!r}")
    return value


def _text_constraint(value: Any) -> str:
    """A regex for one field's value, anchored at the field's start (not its end)."""
    if isinstance(value, str):
        return re.escape(value) + f"(?={_TERM})"
    if not isinstance(value, dict) or len(value) != 1:
        raise NotCompilableError(f"unsupported value {value!r}")
    ((op, arg),) = value.items()
    words = "|".join(re.escape(w) for w in _strings(arg))
    if op.upper() == "IN":
        return f"(?:{words})(?={_TERM})" if words else "(?!)"
    if op.upper() == "NOT_IN":
        return f"(?!(?:{words}){_TERM})" if words else ""
    raise NotCompilableError(f"unsupported operation {op!r}")


def _length_constraint(value: Any) -> str:
    """`LENGTH` checked on the ORTH field: its length is the token's length."""

    def exactly(n: float) -> str:
        return f"[^\x1e\x1f]{{{int(n)}}}{_TERM}" if n >= 0 and n == int(n) else "(?!)"

    if isinstance(value, int) and not isinstance(value, bool):
        return f"(?={exactly(value)})"
    if not isinstance(value, dict) or len(value) != 1:
        raise NotCompilableError(f"unsupported LENGTH {value!r}")
    ((op, n),) = value.items()
    if isinstance(n, bool) or not isinstance(n, int | float) or op not in _COMPARE:
        raise NotCompilableError(f"unsupported LENGTH {value!r}")
    lo = {"==": n, ">=": n, ">": math.floor(n) + 1}.get(op, 0)
    hi = {"==": n, "<=": n, "<": math.ceil(n) - 1}.get(op, _INF)
    if op == "!=":
        return f"(?!{exactly(n)})"
    if op == "==":
        return f"(?={exactly(n)})"
    lo = max(math.ceil(lo), 0)
    hi = math.floor(hi) if hi != _INF else _INF
    if hi < lo:
        return "(?!)"
    upper = "" if hi == _INF else str(hi)
    return f"(?=[^\x1e\x1f]{{{lo},{upper}}}{_TERM})"


def _quantifier(op: Any) -> tuple[str, float, float]:
    """Regex quantifier and token count range of a spaCy `OP`."""
    fixed = {None: ("", 1, 1), "!": ("", 1, 1), "?": ("?", 0, 1), "*": ("*", 0, _INF)}
    if op in fixed:
        return fixed[op]
    if op == "+":
        return "+", 1, _INF
    m = re.fullmatch(r"\{(\d*)(,?)(\d*)\}", str(op))
    if not m or (not m.group(1) and not m.group(3)):
        raise NotCompilableError(f"unsupported OP {op!r}")
    lo = int(m.group(1) or 0)
    hi: float = int(m.group(3)) if m.group(3) else (_INF if m.group(2) else lo)
    upper = "" if hi == _INF else str(int(hi))
    return f"{{{lo},{upper}}}", lo, hi


class _Pattern:
    """One compiled pattern: its regex, the token counts it can span, its label."""

    def __init__(self, label: str, regex: str, lo: float, hi: float) -> None:
        self.label, self.lo, self.hi = label, max(lo, 1), hi  # the Matcher skips empty matches
        self.whole = re.compile(regex)
        self.literals = necessary_literals(regex, casefold=False)
        self.fixed = lo == hi
        # Token starts where some match begins; for a fixed length, with its end.
        self.starts = re.compile(f"{_END}(?=({regex}))")


class TokenPatterns:
    """Labelled spaCy token patterns, matched through a feature string where possible."""

    #: The segment cache is cleared past this many distinct tokens (long exports).
    MAX_SEGMENTS = 200_000

    def __init__(self, vocab: Vocab, patterns: Iterable[tuple[str, Sequence[dict[str, Any]]]]):
        self.vocab = vocab
        specs = [(label, [dict(t) for t in p]) for label, p in patterns]
        self.fields = self._fields(specs)
        self._index = {name: i for i, name in enumerate(self.fields)}
        self._compiled: list[_Pattern] = []
        self._fallback = Matcher(vocab, validate=True)
        self._all = Matcher(vocab, validate=True)  # every pattern: Docs with separator chars
        for label, spec in specs:
            self._all.add(label, [spec])
            try:
                self._compiled.append(self._compile(label, spec))
            except NotCompilableError:
                self._fallback.add(label, [spec])
        self._ids = [IDS[name] for name in self.fields]
        self._flag = [name in _FLAG_ATTRS for name in self.fields]
        self._segments: dict[tuple[int, ...], str] = {}

    @staticmethod
    def _fields(specs: list[tuple[str, list[dict[str, Any]]]]) -> list[str]:
        """The attributes any pattern reads; ORTH always (LENGTH is read on it)."""
        used = {_attr(k) for _, spec in specs for tok in spec for k in tok} | {"ORTH"}
        order = (*_STRING_ATTRS, *_FLAG_ATTRS)
        return [name for name in order if name in used]

    def _token(self, tok: dict[str, Any]) -> str:
        """The regex of one token segment."""
        checks: dict[str, list[str]] = {}
        for key, value in tok.items():
            name = _attr(key)
            if name == "OP":
                continue
            if name == "LENGTH":
                checks.setdefault("ORTH", []).append(_length_constraint(value))
            elif name in _STRING_ATTRS:
                checks.setdefault(name, []).append(_text_constraint(value))
            elif name in _FLAG_ATTRS and isinstance(value, bool):
                checks.setdefault(name, []).append(("1" if value else "0") + f"(?={_TERM})")
            else:
                raise NotCompilableError(f"unsupported attribute {key!r}")
        fields = []
        for name in self.fields:
            parts = checks.get(name, [])
            fields.append("".join(f"(?={p})" for p in parts) + _ANY if parts else _ANY)
        return _SEP.join(fields) + _END

    def _compile(self, label: str, spec: list[dict[str, Any]]) -> _Pattern:
        regex, lo, hi = "", 0.0, 0.0
        for tok in spec:
            op = next((v for k, v in tok.items() if k.upper() == "OP"), None)
            quant, a, b = _quantifier(op)
            one = self._token(tok)
            if op == "!":
                one = f"(?!{one}){_ONE_TOKEN}"
            regex += f"(?:{one}){quant}"
            lo, hi = lo + a, hi + b
        if hi == 0:
            raise NotCompilableError("a pattern that matches no token")
        return _Pattern(label, regex, lo, hi)

    # -- matching ---------------------------------------------------------------------------
    def _segment(self, row: tuple[int, ...]) -> str | None:
        strings = self.vocab.strings
        values = [
            ("1" if (v == 1 if name == "SENT_START" else v) else "0") if flag else strings[v]
            for v, name, flag in zip(row, self.fields, self._flag, strict=True)
        ]
        if any(_SEP in v or _END in v for v in values):
            return None
        if len(self._segments) >= self.MAX_SEGMENTS:
            self._segments.clear()
        seg = self._segments[row] = _SEP.join(values) + _END
        return seg

    def feature_string(self, doc: Doc) -> tuple[str, list[int]] | None:
        """The Doc's feature string and each token's offset in it (and the end offset); None
        when an attribute of a token holds a separator character."""
        get = self._segments.get
        rows = cast(list[list[int]], doc.to_array(self._ids).reshape(len(doc), -1).tolist())
        segs = [get(row) or self._segment(row) for row in map(tuple, rows)]
        if None in segs:
            return None
        offsets = [1]
        for s in segs:
            offsets.append(offsets[-1] + len(s))  # type: ignore[arg-type]
        return _END + "".join(segs), offsets  # type: ignore[arg-type]

    def __call__(self, doc: Doc) -> list[tuple[str, int, int]]:
        """(label, start token, end token) of every match, each once."""
        strings = self.vocab.strings
        if not self._compiled:
            return [(strings[k], s, e) for k, s, e in self._all(doc)]
        built = self.feature_string(doc) if len(doc) else None
        if built is None:
            return [(strings[k], s, e) for k, s, e in self._all(doc)]
        text, offsets = built
        found: dict[tuple[str, int, int], None] = {}
        for p in self._compiled:
            if not may_match(p.literals, text):
                continue
            for m in p.starts.finditer(text):
                start = bisect_left(offsets, m.end())
                if p.fixed:
                    found[(p.label, start, bisect_left(offsets, m.end(1)))] = None
                    continue
                last = len(offsets) - 1 if p.hi == _INF else min(len(offsets) - 1, start + p.hi)
                for end in range(start + int(p.lo), int(last) + 1):
                    if p.whole.fullmatch(text, offsets[start], offsets[end]):
                        found[(p.label, start, end)] = None
        if len(self._fallback):
            found.update(dict.fromkeys((strings[k], s, e) for k, s, e in self._fallback(doc)))
        return list(found)
