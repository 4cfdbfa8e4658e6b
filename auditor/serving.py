"""Connection limits of `auditor serve`: read and idle timeouts and a connection cap (h11).

uvicorn (0.54, h11 protocol) times out only a kept-alive connection *after* a response: a
connection that never sends a byte, a request header sent halfway and a body sent halfway all
stay open for ever, and `limit_concurrency` answers 503 only once a whole header has arrived
(a stalled connection still holds its socket). `HardenedH11Protocol` adds, per connection:

- idle: a new connection, like a kept-alive one, is closed after `idle_timeout` s without a
  byte of a request (uvicorn's keep-alive timer, armed at connect too);
- header: a request's header must be complete `header_timeout` s after its first byte;
- body: its body must be complete `body_timeout` s after the header (a fixed deadline, so a
  client trickling one byte a second is closed too);
- cap: beyond `max_connections` open connections a new one gets 503 and is closed at once;
- size: a header over `max_header_bytes` gets 400 (h11's incomplete-event limit).

A read timeout closes the connection without an answer (there is no request to answer yet, or
the application is still waiting for its body). Timers are asyncio `call_later` handles, one
per connection and phase, so the cost is nothing while no connection stalls. The settings
travel in `HardenedConfig`, a uvicorn Config that worker processes receive pickled.
"""

from __future__ import annotations

import asyncio
import copy
import json
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from auditor.project import ServeLimits

#: The answer to a connection over the cap (written raw: no request has been read).
_REFUSED_BODY = json.dumps(
    {
        "error": "service_unavailable",
        "message": "too many open connections; retry shortly",
        "fields": [],
    }
).encode()
REFUSED_RESPONSE = (
    b"HTTP/1.1 503 Service Unavailable\r\n"
    b"content-type: application/json\r\n"
    b"x-content-type-options: nosniff\r\n"
    b"retry-after: 1\r\n"
    b"connection: close\r\n"
    b"content-length: " + str(len(_REFUSED_BODY)).encode() + b"\r\n\r\n" + _REFUSED_BODY
)


def log_config() -> dict[str, Any]:
    """uvicorn's logging configuration, plus the `auditor` loggers on the same stderr handler."""
    config: dict[str, Any] = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["loggers"]["auditor"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


class HardenedConfig(uvicorn.Config):
    """A uvicorn Config that carries ServeLimits to the protocol (and to worker processes)."""

    def __init__(self, app: Any, *, limits: ServeLimits, **kwargs: Any) -> None:
        super().__init__(
            app,
            http=HardenedH11Protocol,
            timeout_keep_alive=limits.idle_timeout,  # type: ignore[arg-type]  # float works
            h11_max_incomplete_event_size=limits.max_header_bytes,
            server_header=False,  # no "server: uvicorn": the software is nobody's business
            # uvicorn's access log shows the query string; auditor.access logs method, path,
            # status, size and duration only (no report text, no token).
            access_log=False,
            log_config=log_config(),
            **kwargs,
        )
        self.limits = limits


class HardenedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with header, body and idle timeouts and a connection cap."""

    _last_refusal_log = float("-inf")

    def __init__(self, config: uvicorn.Config, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self.limits: ServeLimits = getattr(config, "limits", ServeLimits())
        self._phase: str | None = None  # "header" or "body" while a read deadline runs
        self._deadline: asyncio.TimerHandle | None = None
        self._refused = False

    # -- asyncio.Protocol --------------------------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Refuse a connection over the cap; otherwise start its idle timer."""
        if len(self.connections) >= self.limits.max_connections:
            self._refused = True
            self.transport = transport
            now = self.loop.time()
            if now - HardenedH11Protocol._last_refusal_log >= 1.0:  # at most one line a second
                HardenedH11Protocol._last_refusal_log = now
                self.logger.warning("Refusing connections: %d open.", len(self.connections))
            transport.write(REFUSED_RESPONSE)
            transport.close()
            return
        super().connection_made(transport)
        # uvicorn arms this only after a response; a fresh connection idles the same way.
        self.timeout_keep_alive_task = self.loop.call_later(
            self.timeout_keep_alive, self.timeout_keep_alive_handler
        )

    def connection_lost(self, exc: Exception | None) -> None:
        """Stop the read deadline as well."""
        self._set_phase(None)
        if self._refused:
            return
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """Parse as uvicorn does, then start or stop the header/body deadline."""
        if self._refused:
            return
        super().data_received(data)
        self._watch()

    def on_response_complete(self) -> None:
        """After a response (and any pipelined request it unblocked), re-check the phase."""
        super().on_response_complete()
        self._watch()

    # -- deadlines -----------------------------------------------------------------------------
    def _watch(self) -> None:
        """Which read is pending: a header (bytes of a request buffered), a body, or none."""
        if self.transport is None or self.transport.is_closing():
            self._set_phase(None)
            return
        theirs = self.conn.their_state
        if theirs is h11.SEND_BODY:
            self._set_phase("body")
        elif theirs is h11.IDLE and self.conn.trailing_data[0]:
            self._set_phase("header")
        else:  # request complete (the app is working) or idle (the keep-alive timer runs)
            self._set_phase(None)

    def _set_phase(self, phase: str | None) -> None:
        if phase == self._phase:
            return  # a deadline is fixed when its phase starts: trickling bytes do not extend it
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._phase = phase
        if phase is not None:
            seconds = self.limits.header_timeout if phase == "header" else self.limits.body_timeout
            self._deadline = self.loop.call_later(seconds, self._timed_out, phase)

    def _timed_out(self, phase: str) -> None:
        self._deadline = None
        self._phase = None
        if not self.transport.is_closing():
            self.logger.info("Closed a connection: request %s not received in time.", phase)
            self.transport.close()


def serve(app: Any, host: str, port: int, limits: ServeLimits) -> None:
    """Serve `app` in this process with the limits (uvicorn binds the socket)."""
    uvicorn.Server(HardenedConfig(app, limits=limits, host=host, port=port, log_level="info")).run()
