"""Embedding the check: allowed origins (CORS), the API token, /embed.js and log hygiene."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from auditor.access import AccessConfigError, AccessPolicy, normalise_origin, read_token
from auditor.api import create_app
from auditor.project import ServeLimits, load_project
from auditor.serving import HardenedConfig

CRM = "https://acme.my.salesforce.com"
EVIL = "https://evil.example"
TOKEN = "s3cret-token-4f7a"
SECRET_TEXT = "Rode with Zyxwvut Quillfeather today. He was lazy and unprepared in the call."


@pytest.fixture(scope="module")
def client(engine) -> TestClient:
    """An app that allows the CRM's origin and needs the token."""
    app = create_app(engine=engine, access=AccessPolicy.build([CRM + "/"], TOKEN))
    return TestClient(app, raise_server_exceptions=False)


def _auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _cors(response) -> str | None:
    return response.headers.get("access-control-allow-origin")


# -- token ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "headers",
    [
        {},
        _auth("wrong"),
        _auth(TOKEN + "x"),
        {"Authorization": TOKEN},
        {"Authorization": "Basic x"},
    ],
    ids=["none", "wrong", "longer", "no-scheme", "basic"],
)
@pytest.mark.parametrize("path", ["/api/check", "/api/rubric"])
def test_api_without_the_right_token_is_401(client: TestClient, headers, path: str) -> None:
    if path == "/api/check":
        response = client.post(path, json={"text": SECRET_TEXT}, headers=headers)
    else:
        response = client.get(path, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert SECRET_TEXT not in response.text


def test_right_token_checks_same_origin_and_without_origin(client: TestClient) -> None:
    for origin in ({}, {"Origin": "http://testserver"}):
        response = client.post(
            "/api/check", json={"text": SECRET_TEXT}, headers={**_auth(), **origin}
        )
        assert response.status_code == 200, response.text
        assert _cors(response) is None  # same origin: nothing to allow


def test_page_health_and_script_need_no_token(client: TestClient) -> None:
    for path in ("/", "/health", "/embed.js"):
        assert client.get(path).status_code == 200, path


def test_no_token_configured_means_none_needed(engine) -> None:
    open_client = TestClient(create_app(engine=engine))
    assert open_client.post("/api/check", json={"text": SECRET_TEXT}).status_code == 200


# -- origins ----------------------------------------------------------------------------------
def test_allowed_origin_gets_cors_headers(client: TestClient) -> None:
    response = client.post(
        "/api/check", json={"text": SECRET_TEXT}, headers={**_auth(), "Origin": CRM}
    )
    assert response.status_code == 200
    assert _cors(response) == CRM
    assert "Origin" in response.headers["vary"]
    assert "access-control-allow-credentials" not in response.headers
    # An error from an allowed origin is readable by its script too.
    refused = client.post("/api/check", json={"text": SECRET_TEXT}, headers={"Origin": CRM})
    assert refused.status_code == 401 and _cors(refused) == CRM


@pytest.mark.parametrize("origin", [EVIL, "http://acme.my.salesforce.com", CRM + ":8443", "null"])
def test_other_origins_are_403_without_cors(client: TestClient, origin: str) -> None:
    response = client.post(
        "/api/check", json={"text": SECRET_TEXT}, headers={**_auth(), "Origin": origin}
    )
    assert response.status_code == 403
    assert response.json()["error"] == "origin_not_allowed"
    assert _cors(response) is None
    assert "Origin" in response.headers["vary"]  # no shared cache hands this to the CRM
    assert client.get("/health", headers={"Origin": origin}).status_code == 403


def _preflight(client: TestClient, origin: str):
    return client.options(
        "/api/check",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )


def test_preflight_from_an_allowed_origin(client: TestClient) -> None:
    response = _preflight(client, CRM)  # a preflight carries no token
    assert response.status_code == 204
    assert _cors(response) == CRM
    assert "POST" in response.headers["access-control-allow-methods"]
    allowed = response.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed and "content-type" in allowed
    assert int(response.headers["access-control-max-age"]) > 0


def test_preflight_from_another_origin_is_refused(client: TestClient) -> None:
    response = _preflight(client, EVIL)
    assert response.status_code == 403
    assert not any(k.startswith("access-control-") for k in response.headers)


# -- the script -------------------------------------------------------------------------------
def test_embed_script_is_self_contained_javascript(client: TestClient) -> None:
    response = client.get("/embed.js", headers={"Origin": EVIL, "Sec-Fetch-Dest": "script"})
    # A classic <script src> sends no Origin; even with one, a script is refused like any
    # request from a page not allowed. Without Origin it loads anywhere:
    assert response.status_code == 403
    response = client.get("/embed.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cross-origin-resource-policy"] == "cross-origin"
    code = response.text
    assert "FcrAuditor" in code and "FcrFeedback" in code
    body = code.split("*/", 1)[1]  # past the header comment with the usage example
    assert not re.search(r"https?://", body), "the script must not load anything else"
    assert "{%" not in code and "{{" not in code


def test_page_and_script_share_the_feedback_code(client: TestClient) -> None:
    page = client.get("/").text
    script = client.get("/embed.js").text
    shared = (Path(__file__).parents[1] / "auditor/render/templates/feedback.js").read_text()
    assert shared.strip() in page and shared.strip() in script


# -- logs -------------------------------------------------------------------------------------
def test_report_text_and_token_never_reach_the_logs(client: TestClient, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    ok = client.post(
        "/api/check?draft=" + "Quillfeather",
        json={"text": SECRET_TEXT, "id": "Zyxwvut"},
        headers={**_auth(), "Origin": CRM},
    )
    assert ok.status_code == 200
    client.post("/api/check", json={"text": SECRET_TEXT}, headers=_auth("Quillfeather-wrong"))
    client.post("/api/check", json={"text": SECRET_TEXT, "txt": 1}, headers=_auth())
    # Everything the server side logged (httpx is the test's client, not the server).
    logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    assert re.search(r"POST /api/check 200 \d+B [\d.]+ms", logged), logged
    assert "POST /api/check 401" in logged and "POST /api/check 422" in logged
    for secret in ("Quillfeather", "Zyxwvut", "lazy", TOKEN):
        assert secret not in logged


def test_uvicorn_access_log_is_off_and_ours_is_on() -> None:
    # Building a uvicorn Config configures logging for the whole process (the `auditor` logger
    # stops propagating to the root): put it back so later tests' caplog still sees records.
    auditor_logger = logging.getLogger("auditor")
    saved = auditor_logger.handlers[:], auditor_logger.propagate, auditor_logger.level
    try:
        config = HardenedConfig("auditor.api:app_from_env", limits=ServeLimits(), factory=True)
    finally:
        auditor_logger.handlers[:], auditor_logger.propagate = saved[0], saved[1]
        auditor_logger.setLevel(saved[2])
    assert config.access_log is False
    assert "auditor" in config.log_config["loggers"]  # type: ignore[index]


# -- settings ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("given", "origin"),
    [
        ("https://CRM.example.com/", "https://crm.example.com"),
        ("https://crm.example.com:443", "https://crm.example.com"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    ],
)
def test_origins_are_normalised(given: str, origin: str) -> None:
    assert normalise_origin(given) == origin


@pytest.mark.parametrize(
    "bad", ["*", "crm.example.com", "ftp://x", "https://x/path", "https://u@x"]
)
def test_malformed_origins_are_refused(bad: str) -> None:
    with pytest.raises(AccessConfigError):
        normalise_origin(bad)


def test_token_from_file_or_environment(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text(" abc \nignored\n")
    assert read_token(str(path), {}) == "abc"
    assert read_token(None, {"FCR_AUDITOR_TOKEN": "xyz"}) == "xyz"
    assert read_token(None, {}) is None
    path.write_text("\n")
    with pytest.raises(AccessConfigError):
        read_token(str(path), {})


def test_serve_table_holds_origins_and_token_file(tmp_path: Path) -> None:
    (tmp_path / "auditor.toml").write_text(
        '[serve]\nallow_origin = ["https://crm.example.com"]\ntoken_file = "secrets/token"\n'
    )
    options = load_project(start=tmp_path).options()
    assert options["allow_origin"] == ("https://crm.example.com",)
    assert options["token_file"] == str((tmp_path / "secrets/token").resolve())


@pytest.mark.parametrize(
    "args", [["--allow-origin", "crm.example.com"], ["--token-file", "/nonexistent/token"]]
)
def test_serve_refuses_bad_access_settings_with_exit_2(args: list[str]) -> None:
    from click.testing import CliRunner

    from auditor.cli import main

    result = CliRunner().invoke(main, ["serve", *args])
    assert result.exit_code == 2, result.output
