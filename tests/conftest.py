"""Shared fixtures: the spaCy pipeline is built once per rule pack per test session.

Building the pipeline takes seconds (the rule tagger runs every lexicon phrase through the
model), and depends only on the parts of the rule pack that auditor/nlp reads: the taxonomy,
the section cues and the lexicons. `auditor.engine.build_nlp` is therefore replaced, for the
whole session, by a cache keyed by the content of those parts: every Auditor (the session
`engine`, in-process CLI runs, the API app) shares the pipeline of an identical pack, a copy
whose rubric or strategy a test edits shares it too, and a pack whose taxonomy, cues or
lexicons differ gets its own. Worker processes and subprocesses build their own.

Likewise every in-process command loads its rule pack, and PyYAML's pure-Python parser takes
about half a second for the bundled one: `shared_yaml` keeps the parsed data of each distinct
file content (a pure function of it) and hands out copies; files it cannot parse still go
through the real reader every time, so every error is the real one.

BLAS runs on one thread in the test process and in the processes it starts (as the product's
worker processes already do): the model's matrices are small, and extra OpenBLAS threads only
contend with the other processes of the suite for the cores. On a loaded 2-core machine this
made building one pipeline take 7-9 s instead of 3-4 s. Results do not depend on it (the
goldens and compare.sh agree).

The compiled rule-pack cache (auditor.nlp.compiled) lives in a temporary directory for the
session, shared with its subprocesses, unless FCR_AUDITOR_CACHE_DIR is set.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # before numpy loads; inherited by subprocesses

import atexit  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402

if "FCR_AUDITOR_CACHE_DIR" not in os.environ:
    # The compiled rule-pack cache of this session (and its subprocesses): never the user's.
    _CACHE = tempfile.mkdtemp(prefix="fcr-auditor-cache-")
    os.environ["FCR_AUDITOR_CACHE_DIR"] = _CACHE
    atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)

import copy  # noqa: E402
import hashlib  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402
from cli_support import Cli, cli_runner  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

import auditor.config.base  # noqa: E402
import auditor.engine  # noqa: E402
from auditor.config import RuleSet, load_ruleset  # noqa: E402

#: In case a plugin imported numpy before this file set the variables.
_BLAS_LIMIT = threadpool_limits(limits=1, user_api="blas")


def pytest_addoption(parser: pytest.Parser) -> None:
    """`--update-golden` rewrites tests/golden/*.json instead of comparing with them."""
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="Rewrite the expected golden files from the current audits.",
    )


@pytest.fixture(scope="session", autouse=True)
def shared_pipelines() -> Iterator[dict[str, Any]]:
    """One spaCy pipeline per distinct rule pack for the whole session (see the module doc)."""
    build = auditor.engine.build_nlp
    pipelines: dict[str, Any] = {}

    def cached_build(rules: RuleSet):
        parts = rules.model_dump_json(include={"taxonomy", "sections", "lexicons"})
        key = hashlib.sha256(parts.encode()).hexdigest()
        if key not in pipelines:
            pipelines[key] = build(rules)
        return pipelines[key]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(auditor.engine, "build_nlp", cached_build)
        yield pipelines


@pytest.fixture(scope="session", autouse=True)
def shared_yaml() -> Iterator[dict[str, Any]]:
    """Parsed rule-pack YAML by file content, for the whole session (see the module doc)."""
    read = auditor.config.base.read_yaml
    parsed: dict[str, Any] = {}

    def cached_read(path: Path) -> Any:
        try:
            key = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            return read(path)  # the real error
        if key not in parsed:
            parsed[key] = read(path)  # raises ConfigError for bad YAML: never cached
        return copy.deepcopy(parsed[key])

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(auditor.config.base, "read_yaml", cached_read)
        yield parsed


@pytest.fixture(scope="session")
def rules() -> RuleSet:
    """The bundled rule pack."""
    return load_ruleset()


@pytest.fixture(scope="session")
def engine(rules: RuleSet):
    """One Auditor for the whole session (rules only: no sentence model, no calibration)."""
    return auditor.engine.Auditor(rules)


@pytest.fixture(scope="session")
def cli() -> Cli:
    """The `auditor` command in-process: `cli(*args, input=None)` returns click's Result."""
    return cli_runner()
