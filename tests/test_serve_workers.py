"""`auditor serve --workers 2`: a real multi-process server answers as the in-process app does.

The server and the in-process engine use the same small rule pack (cli_support.small_pack):
each server worker builds its own pipeline.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cli_support import RULES_ONLY, running_server, small_pack

from auditor.config import load_ruleset
from auditor.engine import Auditor
from auditor.render.responses import to_response
from auditor.schema import Report

DRAFT = (
    "Call with Dr Lee to agree a trial of Cardiova. You asked two open questions about her "
    "newly diagnosed patients. By the next ride-along on 15 May, ask for a follow-up date."
)


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_pack(tmp_path_factory.mktemp("serve") / "pack")


@pytest.fixture(scope="module")
def server(pack: Path) -> Iterator[str]:
    """`auditor serve --workers 2` (rules only) over the small pack, on a free port."""
    with running_server(["--workers", "2", *RULES_ONLY, "--rubric", str(pack)]) as (url, _):
        yield url


def test_workers_answer_like_the_in_process_engine(server: str, pack: Path) -> None:
    engine = Auditor(load_ruleset(pack))
    expected = to_response(engine.audit(Report(id="draft", text=DRAFT)), engine.rules)
    for _ in range(4):  # requests spread over both workers
        response = httpx.post(f"{server}/api/check", json={"text": DRAFT}, timeout=60)
        assert response.status_code == 200
        assert response.json() == expected
