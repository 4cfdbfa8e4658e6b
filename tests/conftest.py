"""Shared fixtures: the engine is built once per test session (loading spaCy is expensive)."""

from __future__ import annotations

import pytest

from auditor.config import RuleSet, load_ruleset


@pytest.fixture(scope="session")
def rules() -> RuleSet:
    """The bundled rule pack."""
    return load_ruleset()


@pytest.fixture(scope="session")
def engine(rules: RuleSet):  # noqa: ANN201
    """One Auditor for the whole session."""
    from auditor.engine import Auditor

    return Auditor(rules)
