"""Shared fixtures: the engine is built once per test session (loading spaCy is expensive)."""

from __future__ import annotations

import pytest

from auditor.config import RuleSet, load_ruleset


def pytest_addoption(parser: pytest.Parser) -> None:
    """`--update-golden` rewrites tests/golden/*.json instead of comparing with them."""
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="Rewrite the expected golden files from the current audits.")


@pytest.fixture(scope="session")
def rules() -> RuleSet:
    """The bundled rule pack."""
    return load_ruleset()


@pytest.fixture(scope="session")
def engine(rules: RuleSet):  # noqa: ANN201
    """One Auditor for the whole session."""
    from auditor.engine import Auditor

    return Auditor(rules)
