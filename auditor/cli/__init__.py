"""The `auditor` command: a thin adapter that parses arguments, calls the engine and prints.

Exit codes: 0 success; 1 findings of error severity (check) or records that failed (audit) or
failing examples (rules test); 2 unusable arguments, input or rule pack (also `audit --resume`
when there is nothing to resume or the inputs, rule pack, models or options changed); 3 the run
itself failed (audit: an unexpected error, out of disk space, worker processes unusable), with
one line on stderr and the results so far kept for `audit --resume` (a traceback too with
AUDITOR_DEBUG=1); 130 interrupted (Ctrl-C; `audit --resume` continues).
"""

from auditor.cli import (  # noqa: F401 (each module registers its commands on `main`)
    audit,
    check,
    evaluation,
    learn,
    outcomes,
    regions,
    rep,
    review,
    rules,
    serve,
    settings,
)
from auditor.cli.group import main

__all__ = ["main"]
