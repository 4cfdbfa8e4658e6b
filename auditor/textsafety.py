"""Text from reports that is shown or checked: blank tests, terminal escaping, lone surrogates.

Report text, ids and metadata are data, never markup or terminal commands: before they reach a
terminal, control characters (C0, DEL, C1), bidirectional overrides and lone surrogates are
shown as Python escapes (`\\x1b`, `\\u202e`, `\\ud800`), so output cannot move the cursor,
recolour the terminal, reorder what is shown, or fail to encode.
"""

from __future__ import annotations

import re

#: Characters that take no space and carry no text: a report of only these (and whitespace) is
#: empty. `str.strip` leaves them, since Unicode does not class them as whitespace.
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"

_DROP_ZERO_WIDTH = dict.fromkeys(map(ord, ZERO_WIDTH))
SURROGATE = re.compile("[\ud800-\udfff]")
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def is_blank(text: str) -> bool:
    """True when `text` is empty or only whitespace and zero-width characters."""
    return not text.translate(_DROP_ZERO_WIDTH).strip()


def escape_controls(text: str) -> str:
    """`text` with control characters, bidi overrides and lone surrogates as Python escapes."""
    return _UNSAFE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def printable(text: str) -> str:
    """`text` with lone surrogates as backslash escapes, so it can be encoded as UTF-8."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")
