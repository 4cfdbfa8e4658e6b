"""`auditor serve` connection limits through a real uvicorn process (auditor.serving).

One server over the small rule pack, with timeouts of 1 s and a cap of 40 connections passed
as options, so that every stall resolves in seconds. Assertions are behaviour with generous
bounds (closed well within 10 s, still open after the timeout's half), never timings.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cli_support import RULES_ONLY, running_server, small_pack

TIMEOUT = 1.0  # header, body and idle timeouts of the server under test
CAP = 40
CLOSED_WITHIN = 10.0  # generous bound on "closed within the timeout"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """`auditor serve` (rules only, small pack) with short timeouts, on a free port."""
    pack = small_pack(tmp_path_factory.mktemp("limits") / "pack")
    limits = ["--header-timeout", "--body-timeout", "--idle-timeout"]
    args = [*RULES_ONLY, "--rubric", str(pack), "--max-connections", str(CAP)]
    args += [a for option in limits for a in (option, str(TIMEOUT))]
    with running_server(args) as (url, port):
        yield url, port


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(CLOSED_WITHIN)
    return sock


def _read_until_closed(sock: socket.socket) -> tuple[bytes, float]:
    """Everything the server sends until it closes, and how long that took (raises on timeout)."""
    start = time.monotonic()
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data, time.monotonic() - start


def _still_open(sock: socket.socket, seconds: float) -> bool:
    sock.settimeout(seconds)
    try:
        return sock.recv(1) != b""
    except TimeoutError:
        return True
    finally:
        sock.settimeout(CLOSED_WITHIN)


HEADER = b"POST /api/check HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"


@pytest.mark.parametrize(
    "sent",
    [
        b"",  # idle: connected, nothing sent
        b"POST /api/check HTTP/1.1\r\nHost: t\r\nContent-Ty",  # half a header
        HEADER + b"Content-Length: 100\r\n\r\n" + b'{"text": "Rode wi',  # half a body
        HEADER + b'Transfer-Encoding: chunked\r\n\r\n5\r\n{"tex',  # half a chunked body
    ],
    ids=["idle", "half-header", "half-body", "half-chunked-body"],
)
def test_stalled_connections_are_closed(server: tuple[str, int], sent: bytes) -> None:
    sock = _connect(server[1])
    with sock:
        sock.sendall(sent)
        data, _ = _read_until_closed(sock)  # a TimeoutError here means it stayed open
    assert data == b""  # closed without an answer: there is no complete request to answer


def test_a_trickled_header_is_closed_at_its_deadline(server: tuple[str, int]) -> None:
    sock = _connect(server[1])
    with sock:
        sock.sendall(b"POST /api/check HTTP/1.1\r\n")
        # One header line every 0.3 s: each byte resets nothing, the deadline stays fixed.
        closed = False
        for _ in range(int(CLOSED_WITHIN / 0.3)):
            try:
                sock.sendall(b"X-Slow: 1\r\n")
            except OSError:
                closed = True
                break
            if not _still_open(sock, 0.3):
                closed = True
                break
        assert closed


def test_kept_alive_connection_serves_then_closes_when_idle(server: tuple[str, int]) -> None:
    sock = _connect(server[1])
    with sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
        time.sleep(TIMEOUT / 4)
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        assert _still_open(sock, TIMEOUT / 4)  # kept alive for now
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n")  # a second request is served
        data, _ = _read_until_closed(sock)
    assert data.startswith(b"HTTP/1.1 200")


def test_content_length_with_transfer_encoding_is_400_and_closed(
    server: tuple[str, int],
) -> None:
    body = b'{"text": "Rode with Ana."}'
    sock = _connect(server[1])
    with sock:
        sock.sendall(
            HEADER
            + f"Content-Length: {len(body)}\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
            + f"{len(body):x}\r\n".encode()
            + body
            + b"\r\n0\r\n\r\n"
        )
        data, _ = _read_until_closed(sock)
    assert data.startswith(b"HTTP/1.1 400")
    assert b"ambiguous_framing" in data


def test_thirty_thousand_unknown_fields_get_a_small_422(server: tuple[str, int]) -> None:
    body = "{" + ",".join(f'"f{i}": 1' for i in range(30_000)) + ', "text": "hi"}'
    response = httpx.post(
        f"{server[0]}/api/check",
        content=body.encode(),
        headers={"content-type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 422
    assert len(response.content) < 5_000
    err = response.json()
    assert err["problems"] == 30_000 and len(err["fields"]) == 20
    assert "and 29980 more" in err["message"]


@pytest.mark.parametrize(
    "body",
    [
        b'{"text": "a\\ud800"}',
        b'{"text": "hi", "\\ud800": 1}',
        b'{"text": "hi", "metadata": ' + b'{"a": ' * 300 + b"1" + b"}" * 301,
        b'{"text": "hi", "metadata": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"text": "a\xff"}',
    ],
    ids=["surrogate-text", "surrogate-key", "nested-300", "nested-100k", "not-utf8"],
)
def test_unprocessable_bodies_get_a_compact_422(server: tuple[str, int], body: bytes) -> None:
    response = httpx.post(
        f"{server[0]}/api/check",
        content=body,
        headers={"content-type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid_request"
    assert len(response.content) < 1_000


def test_no_server_path_in_responses(server: tuple[str, int]) -> None:
    for path in ("/health", "/api/rubric"):
        response = httpx.get(f"{server[0]}{path}", timeout=10)
        assert response.status_code == 200
        assert str(Path.cwd()) not in response.text and "/tmp" not in response.text
        assert "/" not in (response.json().get("rules") or response.json()["source"])
    health = httpx.get(f"{server[0]}/health", timeout=10).json()
    assert health["rules"] == "pack" and len(health["rules_sha256"]) == 64


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/health"), ("GET", "/api/rubric"), ("POST", "/api/check"), ("GET", "/nope")],
)
def test_security_headers_on_api_responses(server: tuple[str, int], method: str, path: str) -> None:
    response = httpx.request(method, f"{server[0]}{path}", json={"text": "Rode."}, timeout=30)
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "default-src 'none'" in headers["content-security-policy"]
    assert "server" not in headers


def _over_the_cap(port: int) -> bytes:
    """What a connection gets while CAP others are held open."""
    held = [_connect(port) for _ in range(CAP)]
    try:
        time.sleep(0.2)  # let the server accept them all
        with _connect(port) as extra:
            return _read_until_closed(extra)[0]  # answered and closed at once
    finally:
        for sock in held:
            sock.close()


def test_connections_over_the_cap_are_refused_with_503(server: tuple[str, int]) -> None:
    # The held connections are idle, so the server closes them after TIMEOUT (1 s): on a loaded
    # machine they can be gone before the extra one arrives. Up to three tries, each a full
    # scenario; a server without the cap never answers 503.
    for _ in range(3):
        data = _over_the_cap(server[1])
        if data:
            break
    assert data.startswith(b"HTTP/1.1 503")
    assert b"service_unavailable" in data
    # Once the held connections are gone, the server answers again.
    deadline = time.monotonic() + CLOSED_WITHIN
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{server[0]}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail("server did not answer after the held connections closed")
