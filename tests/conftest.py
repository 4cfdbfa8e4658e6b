"""Shared fixtures: the spaCy pipeline is built once per rule pack per test session.

Building the pipeline takes seconds (the rule tagger runs every lexicon phrase through the
model), and depends only on the parts of the rule pack that auditor/nlp reads: the taxonomy,
the section cues and the lexicons. `auditor.engine.build_nlp` is therefore replaced, for the
whole session, by a cache keyed by the content of those parts: every Auditor (the session
`engine`, in-process CLI runs, the API app) shares the pipeline of an identical pack, a copy
whose rubric or strategy a test edits shares it too, and a pack whose taxonomy, cues or
lexicons differ gets its own. Worker processes and subprocesses build their own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
from cli_support import Cli, cli_runner

import auditor.engine
from auditor.config import RuleSet, load_ruleset


def pytest_addoption(parser: pytest.Parser) -> None:
    """`--update-golden` rewrites tests/golden/*.json instead of comparing with them."""
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="Rewrite the expected golden files from the current audits.")


@pytest.fixture(scope="session", autouse=True)
def shared_pipelines() -> Iterator[dict[str, Any]]:
    """One spaCy pipeline per distinct rule pack for the whole session (see the module doc)."""
    build = auditor.engine.build_nlp
    pipelines: dict[str, Any] = {}

    def cached_build(rules: RuleSet):  # noqa: ANN202 (-> spaCy Language)
        parts = rules.model_dump_json(include={"taxonomy", "sections", "lexicons"})
        key = hashlib.sha256(parts.encode()).hexdigest()
        if key not in pipelines:
            pipelines[key] = build(rules)
        return pipelines[key]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(auditor.engine, "build_nlp", cached_build)
        yield pipelines


@pytest.fixture(scope="session")
def rules() -> RuleSet:
    """The bundled rule pack."""
    return load_ruleset()


@pytest.fixture(scope="session")
def engine(rules: RuleSet):  # noqa: ANN201
    """One Auditor for the whole session (rules only: no sentence model, no calibration)."""
    return auditor.engine.Auditor(rules)


@pytest.fixture(scope="session")
def cli() -> Cli:
    """The `auditor` command in-process: `cli(*args, input=None)` returns click's Result."""
    return cli_runner()
