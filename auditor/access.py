"""Who may call the API from where: allowed origins (CORS), the API token, and the access log.

`auditor serve --allow-origin URL --token-file PATH` (docs/api.md, "Embedding the check"):

- Origins. A request whose `Origin` is neither the server's own (scheme and Host) nor an
  allowed origin is refused with 403 and no CORS headers, preflight or not, so a page on
  another site can neither read an answer nor make the server do the work. An allowed origin
  gets `Access-Control-Allow-Origin` with exactly its own value (never `*`, never credentials).
- Token. When one is configured, every `/api/` request needs `Authorization: Bearer TOKEN`,
  the page's own included (a request without an `Origin` may come from anything, so "same
  origin" cannot exempt it); it is compared in constant time. Preflights carry no token.
- Log. One line per request: method, path (no query), status, response bytes, milliseconds.
  Never a header, a query or a body, so no report text and no token reach the log.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Environment variable holding the API token (when no --token-file is given).
TOKEN_ENV = "FCR_AUDITOR_TOKEN"
#: Paths that need the token when one is configured.
PROTECTED_PREFIX = "/api/"
PREFLIGHT_MAX_AGE = "600"
ALLOWED_METHODS = "GET, POST"
ALLOWED_HEADERS = "Authorization, Content-Type"

access_log = logging.getLogger("auditor.access")


class AccessConfigError(ValueError):
    """An allowed origin or token source that cannot be used."""


def normalise_origin(url: str) -> str:
    """`https://crm.example.com` from a URL an operator wrote; error for anything else."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AccessConfigError(f"not an origin (scheme://host[:port]): {url!r}")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise AccessConfigError(f"an origin has no path, query or user: {url!r}")
    default = {"http": 80, "https": 443}[parts.scheme]
    port = f":{parts.port}" if parts.port and parts.port != default else ""
    host = parts.hostname.lower()
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}{port}"


def read_token(token_file: str | None, environ: dict[str, str] | None = None) -> str | None:
    """The token from `token_file` (first line, stripped) or $FCR_AUDITOR_TOKEN; None if neither."""
    if token_file:
        try:
            lines = Path(token_file).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise AccessConfigError(f"cannot read the token file: {exc}") from None
        token = lines[0].strip() if lines else ""
        if not token:
            raise AccessConfigError(f"the token file is empty: {token_file}")
        return token
    token = (os.environ if environ is None else environ).get(TOKEN_ENV, "").strip()
    return token or None


@dataclass(frozen=True)
class AccessPolicy:
    """Allowed foreign origins (normalised) and the API token (None: no token needed)."""

    origins: frozenset[str] = field(default_factory=frozenset)
    token: str | None = None

    @classmethod
    def build(
        cls, origins: tuple[str, ...] | list[str] = (), token: str | None = None
    ) -> AccessPolicy:
        """Normalise the origins (error on a malformed one)."""
        return cls(frozenset(normalise_origin(o) for o in origins), token)

    def token_ok(self, authorization: str) -> bool:
        """Whether `Authorization: Bearer X` carries the token (constant-time comparison)."""
        if self.token is None:
            return True
        scheme, _, given = authorization.partition(" ")
        if scheme.lower() != "bearer":
            given = ""
        # Digests first: equal lengths, so not even the token's length shows in the timing.
        digest = hashlib.sha256(given.strip().encode()).digest()
        return hmac.compare_digest(digest, hashlib.sha256(self.token.encode()).digest())


ErrorFactory = Callable[[int, str, str], Response]


def _own_origin(scope: Scope, headers: dict[bytes, bytes]) -> str:
    host = headers.get(b"host", b"").decode("latin-1").lower()
    return f"{scope.get('scheme', 'http')}://{host}"


class CrossOriginAccess:
    """ASGI middleware: 403 to origins not allowed, CORS to allowed ones, 401 without the token."""

    def __init__(self, app: ASGIApp, policy: AccessPolicy, error: ErrorFactory) -> None:
        self.app = app
        self.policy = policy
        self.error = error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse, answer a preflight, or pass on with CORS headers added."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope["headers"]}
        origin = headers.get(b"origin", b"").decode("latin-1")
        foreign = bool(origin) and origin.lower() != _own_origin(scope, headers)
        # Every answer depends on Origin: a shared cache must not hand one origin's to another.
        vary = (b"vary", b"Origin")
        if foreign and origin not in self.policy.origins:
            response = self.error(403, "origin_not_allowed", "this origin may not use the API")
            response.raw_headers.append(vary)
            await response(scope, receive, send)
            return
        cors = [vary]
        if foreign:
            cors.append((b"access-control-allow-origin", origin.encode("latin-1")))
        if foreign and scope["method"] == "OPTIONS" and b"access-control-request-method" in headers:
            preflight = Response(
                status_code=204,
                headers={
                    "Access-Control-Allow-Methods": ALLOWED_METHODS,
                    "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                    "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
                },
            )
            preflight.raw_headers.extend(cors)
            await preflight(scope, receive, send)
            return

        async def with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *cors]}
            await send(message)

        path: str = scope["path"]
        if path.startswith(PROTECTED_PREFIX) and not self.policy.token_ok(
            headers.get(b"authorization", b"").decode("latin-1")
        ):
            response = self.error(
                401, "unauthorized", "send the API token: Authorization: Bearer TOKEN"
            )
            response.headers["WWW-Authenticate"] = 'Bearer realm="fcr-auditor"'
            await response(scope, receive, with_cors)
            return
        await self.app(scope, receive, with_cors)


class AccessLog:
    """ASGI middleware: one log line per request with method, path, status, bytes and ms only."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Time the request and count the bytes sent; log even when the app raises."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        size = 0

        async def counting(message: Message) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, counting)
        finally:
            access_log.info(
                "%s %s %d %dB %.1fms",
                scope["method"],
                ascii(scope["path"])[1:-1][:200],  # escaped: no control characters in the log
                status,
                size,
                (time.perf_counter() - start) * 1000,
            )
