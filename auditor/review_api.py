"""HTTP routes of reviewer decisions on stored audits: POST /api/reviews, GET /api/reviews/{id}.

Mounted by `auditor.api.create_app` when `auditor serve --store` is given; the API's token,
origin checks, body limit and error bodies apply to them as to every /api/ route.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Literal

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from auditor.config import RuleSet
from auditor.guards import ErrorBody, FieldError, error_response, short_text
from auditor.schema import ReportAudit, ReviewDecision, Verdict
from auditor.store import ReviewError, Store

#: Longest reviewer name and reason accepted (characters).
MAX_REVIEWER_CHARS = 200
MAX_REASON_CHARS = 4000


class ReviewRequest(BaseModel):
    """A decision: accept or reject the finding `code` of a stored report, or set its verdict."""

    model_config = ConfigDict(extra="forbid")

    report_id: str = Field(min_length=1, max_length=200)
    kind: Literal["accept", "reject", "verdict"]
    code: str | None = Field(default=None, max_length=50, description="With accept / reject.")
    verdict: Verdict | None = Field(default=None, description="With kind verdict.")
    reviewer: str = Field(min_length=1, max_length=MAX_REVIEWER_CHARS)
    reason: str = Field(min_length=1, max_length=MAX_REASON_CHARS)

    @model_validator(mode="after")
    def _one_target(self) -> ReviewRequest:
        if (self.kind == "verdict") != (self.verdict is not None) or (
            (self.kind != "verdict") != (self.code is not None)
        ):
            raise ValueError("accept and reject take `code`, verdict takes `verdict`")
        return self


class ReviewResponse(BaseModel):
    """A report's trail (or the decision just recorded) and its audit as the reviewers left it."""

    report_id: str
    decisions: list[ReviewDecision]
    audit: dict[str, Any] = Field(description="The latest ReportAudit, decisions applied.")


REVIEW_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "No such report in the store."},
    422: {"model": ErrorBody, "description": "Invalid decision (unknown finding, bad fields)."},
}


def _body(report_id: str, decisions: list[ReviewDecision], audit: ReportAudit) -> dict[str, Any]:
    # The report text stays in the store: clients have it, and a response need not carry it.
    return ReviewResponse(
        report_id=report_id,
        decisions=decisions,
        audit=audit.model_dump(mode="json", exclude={"text"}),
    ).model_dump(mode="json")


def _not_found(report_id: str) -> JSONResponse:
    return error_response(404, "not_found", f"no report {short_text(report_id)!r} in the store")


def add_review_routes(
    app: FastAPI, store: Store, rules: RuleSet, require_json: Callable[[Request], None]
) -> None:
    """Mount the review routes on `app`, reading and writing `store`; `require_json` is the
    API's content-type check."""
    # One decision at a time per process: SQLite serialises writers anyway.
    lock = threading.Lock()

    @app.post(
        "/api/reviews",
        status_code=201,
        response_model=ReviewResponse,
        responses=REVIEW_ERRORS,
        dependencies=[Depends(require_json)],
    )
    def post_review(request: ReviewRequest) -> JSONResponse:
        """Record a reviewer's decision (append-only) and return the report as now reviewed."""
        value = request.verdict if request.kind == "verdict" else request.code
        assert value is not None  # the model's validator
        with lock:
            if store.current(request.report_id, rules) is None:
                return _not_found(request.report_id)
            try:
                decision = store.review(
                    request.report_id, request.kind, value, request.reviewer, request.reason
                )
            except ReviewError as exc:
                field = FieldError(
                    loc=["body", request.kind], msg=short_text(str(exc)), type="value_error"
                )
                return error_response(422, "invalid_request", short_text(str(exc)), [field])
        audit = store.current(request.report_id, rules)
        assert audit is not None
        return JSONResponse(_body(request.report_id, [decision], audit), status_code=201)

    @app.get("/api/reviews/{report_id}", response_model=ReviewResponse, responses=REVIEW_ERRORS)
    def get_reviews(report_id: str) -> JSONResponse:
        """The report's decisions, oldest first, and its latest audit with them applied."""
        audit = store.current(report_id, rules)
        if audit is None:
            return _not_found(report_id)
        return JSONResponse(_body(report_id, store.reviews(report_id), audit))
