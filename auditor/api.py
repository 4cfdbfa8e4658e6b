"""HTTP adapter: routes, middleware and error handlers (no audit logic).

Requests are parsed here, audited by the engine and answered with the bodies of
`auditor.render.responses` (every evidence with UTF-16 offsets too; see docs/api.md).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import re
import threading
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from auditor import __version__, render
from auditor.access import AccessLog, AccessPolicy, CrossOriginAccess, read_token
from auditor.config import load_checklist
from auditor.guards import (
    MAX_LISTED_PROBLEMS,
    BodyLimit,
    ErrorBody,
    FieldError,
    RejectAmbiguousFraming,
    SecurityHeaders,
    error_response,
    short_text,
)
from auditor.io.fingerprint import tree_digest
from auditor.io.records import validate_record
from auditor.project import ServeLimits
from auditor.render.responses import CheckResponse, RubricResponse, rubric_response, to_response
from auditor.schema import FailedRecord, Report

if TYPE_CHECKING:
    from auditor.engine import Auditor
    from auditor.store import Store

log = logging.getLogger("auditor.api")

#: Bytes of JSON one text character may take at worst (an escaped astral character is
#: `\ud83d\ude00`, 12 bytes), so any text within the rule pack's `max_chars` fits the body limit.
WORST_JSON_BYTES_PER_CHAR = 12
#: Room for the rest of the request body (id, metadata, JSON punctuation).
BODY_OVERHEAD_BYTES = 64 * 1024
JSON_MEDIA_TYPE = re.compile(r"^application/([\w.+-]+\+)?json$")


# -- wire models ------------------------------------------------------------------------------
class CheckRequest(BaseModel):
    """A draft to check: the text and, optionally, the report metadata (e.g. rep_level)."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(description="The draft report text.")
    metadata: dict[str, Any] = Field(
        default_factory=dict,
        description="Report metadata: region, manager, rep, rep_level (new|experienced), date.",
    )
    id: str = Field(default="draft", max_length=200, description="Echoed back in the audit.")


class Health(BaseModel):
    """Liveness and what is loaded."""

    status: Literal["ok"]
    version: str
    rules: str = Field(description="The rule pack's name (its directory name, never a path).")
    rules_sha256: str = Field(description="sha256 over the rule pack's files.")
    checks: int


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "Ambiguous framing (Content-Length with chunks)."},
    413: {"model": ErrorBody, "description": "Request body too large."},
    415: {"model": ErrorBody, "description": "Content type is not JSON."},
    422: {"model": ErrorBody, "description": "Invalid JSON, field or text (empty / too long)."},
    500: {"model": ErrorBody, "description": "Internal error (details only in the server log)."},
}


# -- errors -----------------------------------------------------------------------------------
class UnsupportedMediaTypeError(Exception):
    """The request body is not declared as JSON."""

    def __init__(self, content_type: str) -> None:
        super().__init__(content_type)
        self.content_type = content_type


def require_json(request: Request) -> None:
    """Reject bodies not sent as application/json (or a +json type) with 415."""
    content_type = request.headers.get("content-type", "")
    if not JSON_MEDIA_TYPE.match(content_type.split(";")[0].strip().lower()):
        raise UnsupportedMediaTypeError(content_type)


def _describe(field: FieldError) -> str:
    """`text: Field required`, or where the JSON stopped parsing."""
    if field.type == "json_invalid":
        return f"malformed JSON at character {field.loc[-1]}"
    return f"{'.'.join(str(p) for p in field.loc[1:]) or 'body'}: {field.msg}"


def _unparsable_json(cause: BaseException | None) -> str | None:
    """Why a body is not JSON when the parser raised other than JSONDecodeError, or None."""
    if isinstance(cause, RecursionError):
        return "malformed JSON: nested too deeply"
    if isinstance(cause, UnicodeDecodeError):
        return "malformed JSON: not valid UTF-8"
    return None


def _install_error_handlers(app: FastAPI) -> None:
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        # Rebuilt from loc/msg/type only: pydantic's default also echoes the input, and a
        # client should never get its (possibly long, confidential) draft back in an error.
        # Only the first MAX_LISTED_PROBLEMS are listed, each name cut short and made
        # printable (a field name may hold a lone surrogate), so the body stays small.
        errors = exc.errors()
        fields = [
            FieldError(
                loc=[short_text(p) if isinstance(p, str) else p for p in e["loc"]],
                msg=short_text(e["msg"]),
                type=e["type"],
            )
            for e in errors[:MAX_LISTED_PROBLEMS]
        ]
        problems = "; ".join(_describe(f) for f in fields)
        more = len(errors) - len(fields)
        if more:
            problems += f"; and {more} more"
        return error_response(
            422, "invalid_request", f"invalid request: {problems}", fields, problems=len(errors)
        )

    async def unsupported(_: Request, exc: UnsupportedMediaTypeError) -> JSONResponse:
        got = exc.content_type or "none"
        return error_response(
            415,
            "unsupported_media_type",
            f"send the body as application/json (got content type {got})",
        )

    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        # FastAPI answers 400 to a body json.loads raises on other than JSONDecodeError.
        unparsable = _unparsable_json(exc.__cause__)
        if exc.status_code == 400 and unparsable is not None:
            field = FieldError(loc=["body"], msg=unparsable, type="json_invalid")
            return error_response(422, "invalid_request", f"invalid request: {unparsable}", [field])
        code = str(exc.detail).lower().replace(" ", "_")
        return error_response(exc.status_code, code, str(exc.detail))

    async def internal(request: Request, exc: Exception) -> JSONResponse:
        # The traceback's frames, not the exception's message: a message may quote the draft.
        frames = "".join(traceback.format_tb(exc.__traceback__))
        log.error(
            "internal error on %s %s: %s\n%s",
            request.method,
            request.url.path,
            type(exc).__name__,
            frames,
        )
        return error_response(
            500, "internal_error", "internal error; the server log has the details"
        )

    app.add_exception_handler(RequestValidationError, invalid_request)  # type: ignore[arg-type]
    app.add_exception_handler(UnsupportedMediaTypeError, unsupported)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, internal)


def _content_security_policy(page: str) -> str:
    """A CSP that lets only the page's own inline script and style run, and talk to us only."""

    def hashes(tag: str) -> str:
        bodies = re.findall(rf"<{tag}>(.*?)</{tag}>", page, flags=re.DOTALL)
        return " ".join(
            f"'sha256-{base64.b64encode(hashlib.sha256(b.encode()).digest()).decode()}'"
            for b in bodies
        )

    # Defence in depth: even if a draft ever reached the DOM as markup, nothing in it could run.
    return (
        f"default-src 'none'; script-src {hashes('script')}; style-src {hashes('style')}; "
        "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )


def create_app(
    rules_dir: str | None = None,
    *,
    engine: Auditor | None = None,
    max_body_bytes: int | None = None,
    access: AccessPolicy | None = None,
    store: Store | None = None,
) -> FastAPI:
    """The FastAPI app; builds the Auditor (spaCy) once unless one is passed in.

    `access` holds the origins allowed to call the API from their pages and the API token
    (auditor.access; by default: same origin only, no token). With `store`, the reviewer
    decision routes are mounted (auditor.review_api).
    """
    if engine is None:
        from auditor.config import load_ruleset
        from auditor.engine import Auditor  # spaCy is imported only when an app is built

        engine = Auditor(load_ruleset(rules_dir))
    rules = engine.rules
    max_chars = engine.max_chars
    body_limit = max_body_bytes or max_chars * WORST_JSON_BYTES_PER_CHAR + BODY_OVERHEAD_BYTES
    # The pack by name and content hash: a response never shows a server path.
    pack_name = os.path.basename(os.path.normpath(rules.source)) or "rules"
    pack_sha256 = tree_digest(Path(rules.source)) if os.path.isdir(rules.source) else ""
    rubric = rubric_response(
        rules,
        [c.spec.code for c in engine.checks],
        body_limit,
        pack_name,
        pack_sha256,
        load_checklist(rules.source),
    )
    page = render.draft_page(max_chars)
    embed = render.embed_script(max_chars)
    embed_headers = {
        # Loaded by <script src> from other sites' pages: allow that explicitly (a page with
        # Cross-Origin-Embedder-Policy needs it), and let caches revalidate after an upgrade.
        "Cross-Origin-Resource-Policy": "cross-origin",
        "Cache-Control": "no-cache",
    }
    page_headers = {
        "Content-Security-Policy": _content_security_policy(page),
        "X-Content-Type-Options": "nosniff",
    }
    # spaCy pipelines are not documented as thread-safe, and a check is CPU-bound under the
    # GIL anyway: one check at a time, while the event loop keeps accepting requests.
    engine_lock = threading.Lock()

    # No /docs or /redoc: FastAPI serves them with scripts from a CDN, and nothing we serve
    # may need the network; /openapi.json is the machine-readable contract.
    app = FastAPI(
        title="fcr-auditor",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        description="Checks field coaching report drafts against the rubric. "
        "Offsets: see docs/api.md.",
    )
    # The last added runs first: log everything, then headers, then who may ask, then framing.
    app.add_middleware(BodyLimit, max_bytes=body_limit)
    app.add_middleware(RejectAmbiguousFraming)
    app.add_middleware(
        CrossOriginAccess,
        policy=access or AccessPolicy(),
        error=lambda status, code, message: error_response(status, code, message),
    )
    app.add_middleware(SecurityHeaders)
    app.add_middleware(AccessLog)
    _install_error_handlers(app)

    @app.post(
        "/api/check",
        response_model=CheckResponse,
        responses=ERROR_RESPONSES,
        dependencies=[Depends(require_json)],
    )
    def check(request: CheckRequest) -> JSONResponse:
        """Audit one draft and return its ReportAudit with findings and offsets."""
        report = Report(id=request.id, text=request.text, metadata=request.metadata)
        # The same validation as every batch record: lone surrogates, metadata nesting.
        checked = validate_record(report, "request", rules.rubric.limits)
        if isinstance(checked, FailedRecord):
            return error_response(422, "invalid_request", short_text(checked.error), [], problems=1)
        with engine_lock:
            audit = engine.audit(report)
        if audit.error:
            # The engine rejects only the text: empty, over max_chars, or in another language.
            field = FieldError(loc=["body", "text"], msg=audit.error, type="value_error")
            unsupported = audit.status == "unsupported_language"
            code = "unsupported_language" if unsupported else "invalid_request"
            return error_response(422, code, audit.error, [field])
        # Already validated by the engine's models: skip FastAPI's second validation pass.
        return JSONResponse(to_response(audit, rules))

    if store is not None:
        from auditor.review_api import add_review_routes

        add_review_routes(app, store, rules, require_json)

    @app.get("/api/rubric", response_model=RubricResponse)
    def get_rubric() -> RubricResponse:
        """The active checks with messages, why and examples, and the taxonomy."""
        return rubric

    @app.get("/health", response_model=Health)
    def health() -> Health:
        """Liveness: the rule pack is loaded and the engine is ready."""
        return Health(
            status="ok",
            version=__version__,
            rules=pack_name,
            rules_sha256=pack_sha256,
            checks=len(engine.checks),
        )

    @app.get("/embed.js", include_in_schema=False)
    def embed_script() -> Response:
        """The check for a text box on another site's page (docs/api.md, "Embedding")."""
        return Response(embed, media_type="text/javascript; charset=utf-8", headers=embed_headers)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def draft_page() -> HTMLResponse:
        """The draft page: write a report and see the feedback inline."""
        return HTMLResponse(page, headers=page_headers)

    return app


#: Environment variable through which `auditor serve --workers N` configures each worker.
SERVE_CONFIG_ENV = "FCR_AUDITOR_SERVE"


def app_from_env() -> FastAPI:
    """The app of one worker of `auditor serve --workers N` (uvicorn imports it in each process).

    $FCR_AUDITOR_SERVE holds JSON {"rubric", "sentence_model", "calibration", "focus_model",
    "allow_origin", "token_file", "store"} as the command line gave them (null for the
    defaults); the parent has already checked they load.
    """
    from threadpoolctl import threadpool_limits

    from auditor.config import load_ruleset
    from auditor.engine import Auditor
    from auditor.learned.loading import load_learned

    config = json.loads(os.environ[SERVE_CONFIG_ENV])
    threadpool_limits(limits=1)  # the worker processes already use the cores
    learned = load_learned(
        config["sentence_model"], config["calibration"], config.get("focus_model")
    )
    access = AccessPolicy.build(config["allow_origin"], read_token(config["token_file"]))
    store = None
    if config.get("store"):
        from auditor.store import Store

        store = Store(config["store"])
    return create_app(
        engine=Auditor(
            load_ruleset(config["rubric"]),
            sentence_model=learned.sentence_model,
            calibration=learned.calibration,
            focus_model=learned.focus_model,
        ),
        access=access,
        store=store,
    )


def serve_workers(host: str, port: int, workers: int, limits: ServeLimits) -> None:
    """Serve `app_from_env` from `workers` processes that share one listening socket.

    uvicorn's own `workers=` binds its socket without IPPROTO_TCP, so asyncio never sets
    TCP_NODELAY on the connections and every response waits for a delayed ACK (measured here:
    GET /health 44 ms instead of 1 ms). The socket is bound here as asyncio would bind it.
    Each worker enforces `limits` on its own connections (auditor.serving).
    """
    import socket

    from uvicorn.supervisors import Multiprocess

    from auditor.serving import HardenedConfig

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    config = HardenedConfig(
        "auditor.api:app_from_env",
        limits=limits,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
    )
    Multiprocess(config, sockets=[sock]).run()
