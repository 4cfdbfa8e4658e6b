"""Many labelled regexes over one text, each found as its own `finditer` finds it.

Scanning a report once per regex is one pass of the regex engine per rule, and most rules
match nothing in a given report. Each regex's necessary literals (`auditor.nlp.literals`) are
tested on the lower-cased text first; only a regex one of whose literals occurs scans it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from auditor.nlp.literals import fold, may_match, necessary_literals


class RegexSet:
    """Regexes compiled once, with their literals; `finditer` skips those that cannot match."""

    def __init__(self, patterns: Sequence[str], flags: int = 0) -> None:
        self.regexes = [re.compile(p, flags) for p in patterns]
        self.literals = [necessary_literals(p, flags) for p in patterns]

    def finditer(self, text: str) -> list[list[tuple[int, int]]]:
        """Per regex, in the order given, the (start, end) of each non-empty match."""
        folded = fold(text)
        return [
            [m.span() for m in rx.finditer(text) if m.end() > m.start()]
            if may_match(lits, folded)
            else []
            for rx, lits in zip(self.regexes, self.literals, strict=True)
        ]
