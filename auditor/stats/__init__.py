"""ReportAudits -> group statistics, consistency across groups, outliers and trends (no spaCy).

`records` turns audits into compact records, `measures` holds the numeric tests, `outliers`
names managers and regions far from their baseline, `leniency` compares managers' ratings
with their narratives, and `analysis` builds a `RegionsReport`
(auditor.schema) from the records. Settings come from rules/stats.yaml
(`auditor.config.load_settings`), saved results are read by `auditor.io.results.read_results`
and text output is `auditor.render.text`.
"""

from auditor.stats.analysis import (
    TABLES,
    Analysis,
    analyse,
    analyse_audits,
    leniency_of,
    tables,
)
from auditor.stats.records import (
    SEVERITY_RANK,
    Collector,
    FindingSummary,
    Record,
    Vocabulary,
    WeakReport,
    compact,
    vocabulary,
)

__all__ = [
    "SEVERITY_RANK",
    "TABLES",
    "Analysis",
    "Collector",
    "FindingSummary",
    "Record",
    "Vocabulary",
    "WeakReport",
    "analyse",
    "analyse_audits",
    "leniency_of",
    "compact",
    "tables",
    "vocabulary",
]
