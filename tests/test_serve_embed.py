"""`auditor serve --allow-origin --token-file` through a real process: access and its logs.

The server's stderr is captured to a file, so the test sees everything uvicorn and our loggers
write: access lines are there, the report text and the token are not. `--workers 2` goes
through `api.app_from_env`, where each worker reads the token file itself.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cli_support import RULES_ONLY, running_server, small_pack

CRM = "https://crm.example.com"
TOKEN = "real-process-token-91c2"
MARKER = "Xylophoneclaw"
TEXT = f"Rode with {MARKER} today. He was lazy and unprepared in the call."


@pytest.fixture(scope="module", params=[1, 2], ids=["one-process", "two-workers"])
def server(request, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A real `auditor serve` over the small pack; yields its URL and its stderr file."""
    tmp = tmp_path_factory.mktemp("embed")
    pack = small_pack(tmp / "pack")
    (tmp / "token").write_text(TOKEN + "\n")
    log = tmp / "stderr.log"
    env = {k: v for k, v in os.environ.items() if k != "FCR_AUDITOR_TOKEN"}
    args = [
        "--workers",
        str(request.param),
        *RULES_ONLY,
        "--rubric",
        str(pack),
        "--allow-origin",
        CRM,
        "--token-file",
        str(tmp / "token"),
    ]
    with (
        log.open("wb") as err,
        running_server(args, stderr=err, env=env, why_exited=log.read_text) as (url, _),
    ):
        yield url, log


def test_token_origins_and_logs_in_a_real_server(server: tuple[str, Path]) -> None:
    url, log = server
    auth = {"Authorization": f"Bearer {TOKEN}"}
    check = f"{url}/api/check?q={MARKER}"
    assert httpx.post(check, json={"text": TEXT}).status_code == 401
    assert (
        httpx.post(check, json={"text": TEXT}, headers={"Authorization": "Bearer x"}).status_code
        == 401
    )
    ok = httpx.post(check, json={"text": TEXT}, headers={**auth, "Origin": CRM})
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == CRM
    refused = httpx.post(
        check, json={"text": TEXT}, headers={**auth, "Origin": "https://evil.test"}
    )
    assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers
    preflight = httpx.options(
        f"{url}/api/check",
        headers={"Origin": CRM, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization,content-type"},
    )  # fmt: skip
    assert preflight.status_code == 204
    assert httpx.get(f"{url}/embed.js").status_code == 200

    deadline = time.monotonic() + 10
    while "POST /api/check 403" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    written = log.read_text()
    assert "POST /api/check 200" in written and "OPTIONS /api/check 204" in written, written
    for secret in (MARKER, "lazy", TOKEN, "?q="):
        assert secret not in written, secret
