"""HTTP API: the check endpoint, offsets for JavaScript, every error case, rubric/health/openapi."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from auditor.api import create_app
from auditor.render.responses import CheckResponse, Utf16Offsets

WEAK = "He was lazy and unprepared in the call. Work harder."


@pytest.fixture(scope="session")
def app(engine):
    """One app over the session's Auditor (spaCy loads once per test session)."""
    return create_app(engine=engine)


@pytest.fixture(scope="session")
def client(app) -> TestClient:
    """A client that, like a real one, sees 500 responses instead of server exceptions."""
    return TestClient(app, raise_server_exceptions=False)


def _evidence(body: dict, code: str) -> list[dict]:
    return [e for f in body["findings"] if f["code"] == code for e in f["evidence"]]


def _utf16_slice(text: str, start: int, end: int) -> str:
    """What JavaScript's text.slice(start, end) returns."""
    return text.encode("utf-16-le")[2 * start : 2 * end].decode("utf-16-le")


def _assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["error"] == code
    assert body["message"]
    assert "Traceback" not in response.text
    return body


# -- happy path -------------------------------------------------------------------------------
def test_check_returns_the_report_audit(client: TestClient) -> None:
    response = client.post(
        "/api/check", json={"text": WEAK, "metadata": {"rep_level": "new"}, "id": "d-1"}
    )
    assert response.status_code == 200
    body = response.json()
    CheckResponse.model_validate(body)  # the documented shape is the served shape
    assert body["id"] == "d-1"
    assert body["metadata"] == {"rep_level": "new"}
    assert body["text"] == WEAK
    assert body["verdict"] == "weak"
    assert 0 <= body["score"] <= 100
    assert set(body["star"]) == {"situation", "action", "result"}
    assert body["next_objective"]["present"] is False
    judged = _evidence(body, "JUD001")
    assert any(e["text"] == "lazy" for e in judged)
    for e in judged:
        assert WEAK[e["start"] : e["end"]] == e["text"]


def test_good_draft_scores_higher_than_weak(client: TestClient) -> None:
    good = (
        "The call with Dr Ruiz was about Cardiova in newly diagnosed patients. You asked "
        '"What do you see in your newly diagnosed patients?" before showing data. As a '
        "result Dr Ruiz agreed to try it in two patients. Ana felt she rushed the close; we "
        "agreed that by our next ride-along on 12 May she will ask at least three open "
        "questions in every call before presenting data."
    )
    weak = client.post("/api/check", json={"text": WEAK}).json()
    better = client.post("/api/check", json={"text": good}).json()
    assert better["score"] > weak["score"]
    assert better["verdict"] != "weak"


# -- offsets ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "prefix",
    [
        "",
        "Café médecin, naïve façade. ",  # accented: 1 code point = 1 UTF-16 unit
        "😀 Great 👍🏽 day! ",  # astral emoji + skin-tone modifier: 2 units each
        "🇫🇷 Dr Müller 𝒳 e\u0301t\u00e9 🙂🙂 ",  # flag (2 astral), math letter, combining accent
    ],
)
def test_offsets_are_right_in_code_points_and_utf16(client: TestClient, prefix: str) -> None:
    text = prefix + WEAK + " 🎯 Sales notes 😀."
    body = client.post("/api/check", json={"text": text}).json()
    evidence = [e for f in body["findings"] for e in f["evidence"]]
    evidence += [e for tag in body["competencies"] + body["priorities"] for e in tag["evidence"]]
    assert any(e["text"] == "lazy" for e in evidence)
    astral_before = sum(ord(c) > 0xFFFF for c in prefix)
    for e in evidence:
        assert text[e["start"] : e["end"]] == e["text"]
        assert _utf16_slice(text, e["start_utf16"], e["end_utf16"]) == e["text"]
    lazy = next(e for e in evidence if e["text"] == "lazy")
    assert lazy["start_utf16"] - lazy["start"] == astral_before


def test_utf16_offsets_count_surrogate_pairs() -> None:
    text = "a😀b👍🏽c"
    utf16 = Utf16Offsets(text)
    # JavaScript: "a😀b👍🏽c".indexOf("b") === 3, .indexOf("c") === 8, .length === 9
    assert [utf16(i) for i in range(len(text) + 1)] == [0, 1, 3, 4, 6, 8, 9]
    assert utf16(text.index("b")) == 3
    assert utf16(text.index("c")) == 8
    assert utf16(len(text)) == len(text.encode("utf-16-le")) // 2


# -- limits and errors ------------------------------------------------------------------------
def test_body_over_the_limit_is_413_json(engine) -> None:
    small = TestClient(create_app(engine=engine, max_body_bytes=1_000))
    body = _assert_error(
        small.post("/api/check", json={"text": "x" * 2_000}), 413, "body_too_large"
    )
    assert "1000 bytes" in body["message"]


def test_chunked_body_over_the_limit_is_413(engine) -> None:
    small = TestClient(create_app(engine=engine, max_body_bytes=1_000))

    def chunks():
        yield b'{"text": "'
        for _ in range(20):
            yield b"x" * 100
        yield b'"}'

    _assert_error(
        small.post("/api/check", content=chunks(), headers={"content-type": "application/json"}),
        413,
        "body_too_large",
    )


def test_chunked_body_under_the_limit_is_checked(engine) -> None:
    small = TestClient(create_app(engine=engine, max_body_bytes=1_000))

    def chunks():
        yield b'{"text": "He was '
        yield b'lazy."}'

    response = small.post(
        "/api/check", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 200
    assert _evidence(response.json(), "JUD001")


def test_text_over_max_chars_is_422_on_text_not_413(client: TestClient, rules) -> None:
    limit = rules.rubric.limits.max_chars
    # Escaped astral characters are the worst case of bytes per character: the body limit must
    # still let the text limit speak.
    body = json.dumps({"text": "😀" * (limit + 1)})  # ensure_ascii: 12 bytes per emoji
    response = client.post("/api/check", content=body, headers={"content-type": "application/json"})
    err = _assert_error(response, 422, "invalid_request")
    assert err["fields"][0]["loc"] == ["body", "text"]
    assert f"limit {limit}" in err["message"]
    assert "😀" * 10 not in response.text  # the draft is not echoed back


def test_empty_text_is_422(client: TestClient) -> None:
    err = _assert_error(client.post("/api/check", json={"text": "   "}), 422, "invalid_request")
    assert err["fields"][0]["loc"] == ["body", "text"]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b'{"text": "You asked \\ud800 two questions."}', "invalid Unicode in the text"),
        (
            b'{"text": "You asked two questions.", "metadata": {"region": "\\udfff"}}',
            "invalid Unicode in metadata field 'region'",
        ),
        (
            b'{"text": "You asked two questions.", "metadata": '
            + b'{"a": ' * 300
            + b"1"
            + b"}" * 301,
            "metadata nested more than 20 levels deep",
        ),
        (
            json.dumps(
                {
                    "text": "You asked two questions.",
                    "metadata": {f"k{i}": i for i in range(30_000)},
                }
            ).encode(),
            "metadata holds more than 2000 keys and items (limits.max_metadata_values)",
        ),
    ],
)
def test_records_a_batch_would_reject_are_422_not_500(
    client: TestClient, body: bytes, fragment: str
) -> None:
    response = client.post("/api/check", content=body, headers={"content-type": "application/json"})
    assert fragment in _assert_error(response, 422, "invalid_request")["message"]


def test_malformed_json_is_422_with_position(client: TestClient) -> None:
    response = client.post(
        "/api/check", content=b'{"text": "lazy', headers={"content-type": "application/json"}
    )
    err = _assert_error(response, 422, "invalid_request")
    assert err["fields"][0]["type"] == "json_invalid"
    assert "malformed JSON" in err["message"]


@pytest.mark.parametrize(
    ("payload", "field", "kind"),
    [
        ({}, "text", "missing"),
        ({"text": 42}, "text", "string_type"),
        ({"text": "ok", "metadata": "north"}, "metadata", "dict_type"),
        ({"txt": "typo"}, "txt", "extra_forbidden"),
    ],
)
def test_invalid_fields_are_named(client: TestClient, payload: dict, field: str, kind: str) -> None:
    err = _assert_error(client.post("/api/check", json=payload), 422, "invalid_request")
    named = {(tuple(f["loc"]), f["type"]) for f in err["fields"]}
    assert (("body", field), kind) in named
    assert field in err["message"]
    assert all(set(f) == {"loc", "msg", "type"} for f in err["fields"])  # no echo of the input


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None],
)
def test_wrong_content_type_is_415(client: TestClient, content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = client.post("/api/check", content=b'{"text": "He was lazy."}', headers=headers)
    _assert_error(response, 415, "unsupported_media_type")


def test_json_with_charset_is_accepted(client: TestClient) -> None:
    response = client.post(
        "/api/check",
        content=json.dumps({"text": WEAK}).encode(),
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 200


def test_internal_errors_carry_no_stack_trace(engine, caplog: pytest.LogCaptureFixture) -> None:
    def boom(report):
        detail = "secret internal detail in /work/main/auditor/engine.py"
        raise RuntimeError(f"{detail}: {report.text}")

    # A copy of the session engine: patching the shared one would leak into other tests.
    broken = engine.with_models()
    broken.audit = boom
    client = TestClient(create_app(engine=broken), raise_server_exceptions=False)
    response = client.post("/api/check", json={"text": WEAK})
    _assert_error(response, 500, "internal_error")
    assert "secret" not in response.text
    assert "engine.py" not in response.text
    # The server log has where it failed (frames with their source lines), never the message,
    # which may quote the draft.
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("auditor"))
    assert "internal error on POST /api/check: RuntimeError" in logged
    assert "in boom" in logged
    assert WEAK[:30] not in logged


def test_unknown_path_and_method_are_json(client: TestClient) -> None:
    _assert_error(client.get("/api/nope"), 404, "not_found")
    _assert_error(client.get("/api/check"), 405, "method_not_allowed")


# -- rubric, health, openapi, page ------------------------------------------------------------
def test_rubric_lists_active_checks_and_taxonomy(client: TestClient, rules) -> None:
    body = client.get("/api/rubric").json()
    codes = [c["code"] for c in body["checks"]]
    # FOL001 compares a report with the rep's previous one: only `auditor audit` runs it
    assert codes == [c.code for c in rules.rubric.checks if c.code != "FOL001"]
    jud = next(c for c in body["checks"] if c["code"] == "JUD001")
    assert jud["why"] and jud["message"] and jud["suggestion"]
    assert jud["examples"]["flag"] and jud["examples"]["pass"]
    assert {p["id"] for p in body["priorities"]} == set(rules.priority_ids)
    assert all(c["name"] for c in body["competencies"])
    assert body["limits"]["max_chars"] == rules.rubric.limits.max_chars
    assert body["limits"]["max_body_bytes"] >= 12 * rules.rubric.limits.max_chars


def test_health(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["checks"] > 0


def test_openapi_documents_offsets_and_errors(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    post = spec["paths"]["/api/check"]["post"]
    assert {"200", "413", "415", "422"} <= set(post["responses"])
    evidence = spec["components"]["schemas"]["ApiEvidence"]["properties"]
    assert {"start", "end", "start_utf16", "end_utf16", "text"} <= set(evidence)
    assert "/api/rubric" in spec["paths"] and "/health" in spec["paths"]
    assert client.get("/docs").status_code == 404  # Swagger UI would load scripts from a CDN


def test_page_is_self_contained_and_locked_down(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    page = response.text
    assert '<textarea id="draft"' in page
    assert "http://" not in page and "https://" not in page  # nothing loaded from elsewhere
    assert "innerHTML" not in page and "insertAdjacentHTML" not in page
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "connect-src 'self'" in csp
    assert "'unsafe-inline'" not in csp


def test_one_risky_phrase_is_one_span_not_overlapping_ones(client: TestClient) -> None:
    text = "Offer Dr Silva tickets to the match if he prescribes more."
    body = client.post("/api/check", json={"text": text}).json()
    risky = [f for f in body["findings"] if f["code"] == "CMP001"]
    assert len(risky) == 1
    (evidence,) = risky[0]["evidence"]
    assert evidence["text"] == "tickets to the match if he prescribes"
    spans = sorted(
        (e["start"], e["end"])
        for f in body["findings"]
        for e in f["evidence"]
        if f["code"] == "CMP001"
    )
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))


def test_no_finding_has_overlapping_evidence(client: TestClient) -> None:
    text = (
        "Sales are 82% of target YTD. TRx down 4% vs last quarter. You need to reach 110% by Q4 "
        "and increase call rate to 8 per day. She was lazy and her attitude was unacceptable."
    )
    body = client.post("/api/check", json={"text": text}).json()
    for code in {f["code"] for f in body["findings"]}:
        spans = sorted(
            (e["start"], e["end"])
            for f in body["findings"]
            if f["code"] == code
            for e in f["evidence"]
        )
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False)), (code, spans)


def test_findings_carry_a_message_with_names(client: TestClient) -> None:
    text = (
        "Lots to work on after today. Planning: you had no written objective for two of the "
        "calls. Questions: you asked Dr Ross only closed questions. Objections: when she raised "
        "cost you went straight to the copay card. Closing: none of the calls ended with a "
        "request for a next step."
    )
    body = client.post("/api/check", json={"text": text}).json()
    foc = next(f for f in body["findings"] if f["code"] == "FOC001")
    assert "objection_handling" in foc["message"]  # the contract keeps ids
    assert "Objection handling" in foc["display_message"]
    assert "objection_handling" not in foc["display_message"]
    jud = client.post("/api/check", json={"text": "He was lazy."}).json()
    assert all(f["display_message"] == f["message"] for f in jud["findings"])


def test_rubric_has_the_checklist_and_focus_range(client: TestClient, rules) -> None:
    from auditor.checks.generic import count_range
    from auditor.config import load_checklist

    body = client.get("/api/rubric").json()
    assert [(i["label"], i["field"]) for i in body["checklist"]] == [
        (i.label, i.field) for i in load_checklist(rules.source).items
    ]
    for key, level in (("default", None), ("new", "new"), ("experienced", "experienced")):
        low, high = count_range(rules.rubric.checks, "focus_competencies", level)
        assert body["focus_range"][key] == {"min": low, "max": high}


def test_check_response_carries_the_compliance_status(client: TestClient) -> None:
    risky = "Next time mention that it works off-label in children too; the doctor liked that."
    body = client.post("/api/check", json={"text": risky}).json()
    assert (body["compliance"], body["verdict"]) == ("risk", "weak") and body["score"] <= 40
    clean = client.post("/api/check", json={"text": "You asked Dr Lee two open questions."}).json()
    assert clean["compliance"] == "clear" and clean["verdict_change"] is None
