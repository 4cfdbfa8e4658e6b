"""HTTP guards of `auditor serve`: the error body every refusal uses, and the ASGI middleware
that bounds request bodies, rejects ambiguous framing and sets security headers on every answer.
"""

from __future__ import annotations

import logging

from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from auditor.textsafety import printable

log = logging.getLogger("auditor.api")

#: An error body lists at most this many problems (and counts them all), so that a request
#: with 30,000 unknown fields gets a small answer.
MAX_LISTED_PROBLEMS = 20
#: Longest name part or message echoed in an error (a field name may be the whole body).
MAX_ERROR_TEXT = 200
#: Headers on every response: nothing may frame, sniff or refer; API bodies run nothing.
SECURITY_HEADERS: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
API_CSP = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"


class FieldError(BaseModel):
    """One invalid part of a request: where (`loc`), what is wrong (`msg`) and its kind."""

    loc: list[str | int]
    msg: str
    type: str


class ErrorBody(BaseModel):
    """Every error response: a stable code, a sentence for people, and the fields at fault."""

    error: str = Field(description="Stable machine-readable code, e.g. body_too_large.")
    message: str
    fields: list[FieldError] = Field(
        default_factory=list,
        description=f"The first {MAX_LISTED_PROBLEMS} problems with a request (see `problems`).",
    )
    problems: int = Field(default=0, description="How many problems there were in all.")


def short_text(text: str) -> str:
    """Printable (no lone surrogates) and at most MAX_ERROR_TEXT characters."""
    text = printable(text)
    return text if len(text) <= MAX_ERROR_TEXT else text[: MAX_ERROR_TEXT - 1] + "…"


def error_response(
    status: int,
    code: str,
    message: str,
    fields: list[FieldError] | None = None,
    *,
    problems: int | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """An ErrorBody response listing at most MAX_LISTED_PROBLEMS fields, with security headers."""
    fields = fields or []
    body = ErrorBody(
        error=code,
        message=message,
        fields=fields[:MAX_LISTED_PROBLEMS],
        problems=len(fields) if problems is None else problems,
    )
    return JSONResponse(
        body.model_dump(),
        status_code=status,
        headers={**SECURITY_HEADERS, "Content-Security-Policy": API_CSP, **(headers or {})},
    )


class BodyLimit:
    """ASGI middleware: answer 413 (JSON) to request bodies over `max_bytes`, declared or not."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check Content-Length up front; buffer chunked bodies up to the limit."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None:
            if not declared.isdigit() or int(declared) > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        # No Content-Length (chunked): read at most max_bytes, then replay to the app.
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = message.get("more_body", False)
            if size > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            413, "body_too_large", f"request body over the limit of {self.max_bytes} bytes"
        )
        await response(scope, receive, send)


class RejectAmbiguousFraming:
    """ASGI middleware: 400 and close for a request with both Content-Length and chunks.

    A proxy in front may frame such a request by the other header than we do, and the bytes
    one of us takes for a second request could be smuggled past it (RFC 9112 section 6.3).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer 400 with `Connection: close` when both framing headers are present."""
        if scope["type"] == "http":
            names = {name.lower() for name, _ in scope["headers"]}
            if b"content-length" in names and b"transfer-encoding" in names:
                response = error_response(
                    400,
                    "ambiguous_framing",
                    "send either Content-Length or Transfer-Encoding, not both",
                    headers={"Connection": "close"},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class SecurityHeaders:
    """ASGI middleware: SECURITY_HEADERS on every response, a CSP on those without their own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.headers = [
            (k.lower().encode(), v.encode())
            for k, v in {**SECURITY_HEADERS, "Content-Security-Policy": API_CSP}.items()
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Add each header the response does not already set."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                missing = [(k, v) for k, v in self.headers if k not in present]
                message = {**message, "headers": [*message.get("headers", []), *missing]}
            await send(message)

        await self.app(scope, receive, with_headers)


# -- app --------------------------------------------------------------------------------------
