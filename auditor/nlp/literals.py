"""Necessary literals of a regex: strings one of which every match contains.

A text that contains none of a regex's necessary literals cannot hold a match, so the regex
need not scan it; testing a few substrings costs far less than a pass of the regex engine.
The literals come from the pattern as `re` parses it: runs of literal characters, the union
over a branch's alternatives, a repeat that happens at least once, a group, a lookaround that
must match. For a case-insensitive test only ASCII literals are kept, compared lower-cased with
a `fold`ed text: a superset of what the regex can match with or without IGNORECASE.
"""

from __future__ import annotations

import re
import re._constants as _sre  # type: ignore[import-not-found]  # the parser's opcodes
import re._parser as _parser  # type: ignore[import-not-found]  # the parse tree `re` compiles
from typing import Any

#: Non-ASCII characters that IGNORECASE matches to an ASCII letter (Kelvin sign, dotted and
#: dotless I, long s); tests/test_literals.py checks the table against every code point.
ASCII_FOLD = {"\u212a": "k", "\u0130": "i", "\u0131": "i", "\u017f": "s"}
_FOLD = str.maketrans(ASCII_FOLD)
_REPEATS = {_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT}

Literals = frozenset[str]


def fold(text: str) -> str:
    """`text` lower-cased so that it contains fold(x) wherever IGNORECASE finds ASCII `x`."""
    return text.lower() if text.isascii() else text.translate(_FOLD).lower()


def _best(options: list[Literals]) -> Literals | None:
    """The most selective set: longest shortest literal, then fewest literals."""
    if not options:
        return None
    return max(options, key=lambda s: (min(map(len, s)), -len(s)))


def _sequence(items: Any, casefold: bool) -> Literals | None:
    options: list[Literals] = []
    run: list[str] = []
    for op, av in items:
        if op is _sre.LITERAL and (chr(av).isascii() or not casefold):
            run.append(chr(av).lower() if casefold else chr(av))
            continue
        if run:
            options.append(frozenset({"".join(run)}))
            run = []
        one = _item(op, av, casefold)
        if one:
            options.append(one)
    if run:
        options.append(frozenset({"".join(run)}))
    return _best(options)


def _item(op: Any, av: Any, casefold: bool) -> Literals | None:
    if op is _sre.SUBPATTERN:
        return _sequence(av[3].data, casefold)
    if op is _sre.ATOMIC_GROUP:
        return _sequence(av.data, casefold)
    if op is _sre.ASSERT:  # (direction, pattern): a lookaround that must match
        return _sequence(av[1].data, casefold)
    if op in _REPEATS:
        lo, _hi, inner = av
        return _sequence(inner.data, casefold) if lo >= 1 else None
    if op is _sre.BRANCH:
        out: set[str] = set()
        for alt in av[1]:
            one = _sequence(alt.data, casefold)
            if not one:
                return None
            out |= one
        return frozenset(out)
    return None


def necessary_literals(pattern: str, flags: int = 0, casefold: bool = True) -> Literals | None:
    """Literals one of which every match of `pattern` contains, lower-cased ASCII to test
    against a `fold`ed text (or, with `casefold` False, as written, to test against the text
    itself, for a pattern without IGNORECASE); None when it has none (always scan it)."""
    try:
        parsed = _parser.parse(pattern, flags)
    except re.error:
        return None
    return _sequence(parsed.data, casefold)


def may_match(literals: Literals | None, text: str) -> bool:
    """Whether `text` (`fold`ed for case-folded literals) can hold a match."""
    return literals is None or any(lit in text for lit in literals)
