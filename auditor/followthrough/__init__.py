"""Follow-through: does a report pick up the objective of the rep's previous report? (FOL001)

Pure, no spaCy: it reads audits, never texts through the NLP pipeline. `words` turns texts into
comparable content words, `decision` judges one pair, `history` finds the previous report (in
the batch or through a pluggable provider), `assess` gives an audit its field, finding and score.
"""

from auditor.followthrough.assess import (
    EXAMPLE_SEPARATOR,
    FollowThroughPass,
    judge_pair,
    split_example,
)
from auditor.followthrough.decision import (
    Current,
    Decision,
    Previous,
    current_of,
    decide,
    previous_of,
)
from auditor.followthrough.history import BatchHistory, History, latest_previous, rep_and_date
from auditor.followthrough.words import Vocabulary

__all__ = [
    "EXAMPLE_SEPARATOR",
    "BatchHistory",
    "Current",
    "Decision",
    "FollowThroughPass",
    "History",
    "Previous",
    "Vocabulary",
    "current_of",
    "decide",
    "judge_pair",
    "latest_previous",
    "previous_of",
    "rep_and_date",
    "split_example",
]
