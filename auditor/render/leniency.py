"""Terminal text of the managers' leniency of ratings (`auditor regions --by manager`)."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.schema import Leniency
from auditor.textsafety import escape_controls


def leniency_lines(leniency: Leniency | None) -> Iterator[str]:
    """Leniency per manager, lenient and harsh ones named; nothing without rated reports.

    Manager and region names come from report metadata: control characters are escaped.
    """
    if leniency is None:
        return
    yield ""
    yield (
        f"Leniency of ratings ({leniency.n_rated} rated reports; rating minus what narratives "
        f"of the same score get, in scale units; {leniency.confidence:.0%} intervals; "
        f"organisation {leniency.org_level:+.2f})"
    )
    yield f"  {'Manager':<32}{'n':>5}  {'leniency [interval]':<24}call"
    for m in leniency.managers:
        name = escape_controls(f"{m.manager} ({m.region})")
        value = "n/a" if m.leniency is None else f"{m.leniency:+.2f}"
        ci = f"[{m.ci[0]:+.2f}, {m.ci[1]:+.2f}]" if m.ci else ""
        yield f"  {name[:31]:<32}{m.n:>5}  {f'{value} {ci}':<24}{m.call}"
    for label, names in (("Lenient", leniency.lenient), ("Harsh", leniency.harsh)):
        yield f"  {label}: {escape_controls(', '.join(names)) if names else 'none named'}"
    for note in leniency.notes:
        yield f"  - {note}"
