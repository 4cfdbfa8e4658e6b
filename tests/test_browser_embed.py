"""/embed.js in headless Chromium on a CRM-like form served from another origin.

Three local servers: the auditor (allows one origin, needs a token), a "CRM" on an allowed
origin and a look-alike on an origin that is not allowed. Both forms include the script from
the auditor with `data-auditor-target`; only the allowed one gets feedback.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from test_browser_draft import CHROMIUM, WEAK, _free_port

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed")

TOKEN = "embed-test-token"
CRM_FORM = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Call report · CRM</title>
<style>body {{ font: 13px Arial, sans-serif; margin: 2rem; }}
textarea {{ width: 40rem; height: 9rem; font: 14px/1.4 Arial; padding: 6px; }}</style></head>
<body>
<form onsubmit="return false">
  <label for="Comments__c">Coaching comments</label><br>
  <textarea id="Comments__c" name="Comments__c"></textarea>
  <button type="submit">Save</button>
</form>
<script src="{auditor}/embed.js" data-auditor-target="#Comments__c"
        data-auditor-token="{token}"></script>
</body></html>
"""


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def _form_server(html: str) -> tuple[ThreadingHTTPServer, str]:
    body = html.encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:  # keep the test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture(scope="module")
def sites(engine) -> Iterator[dict]:
    """The auditor, an allowed CRM origin and an origin that is not allowed."""
    import uvicorn

    from auditor.access import AccessPolicy
    from auditor.api import create_app

    port = _free_port()
    auditor = f"http://127.0.0.1:{port}"
    html = CRM_FORM.format(auditor=auditor, token=TOKEN)
    crm, crm_url = _form_server(html)
    other, other_url = _form_server(html)
    app = create_app(engine=engine, access=AccessPolicy.build([crm_url], TOKEN))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    handler = _Lines()
    log = logging.getLogger("auditor.access")
    log.addHandler(handler)
    old_level = log.level
    log.setLevel(logging.INFO)
    yield {"auditor": auditor, "crm": crm_url, "other": other_url, "log": handler}
    log.removeHandler(handler)
    log.setLevel(old_level)
    server.should_exit = True
    thread.join(timeout=10)
    crm.shutdown()
    other.shutdown()


@pytest.fixture(scope="module")
def browser() -> Iterator:
    """Headless Debian Chromium."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )
        yield chromium
        chromium.close()


def _open(browser, url: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    return context, page, errors


STATUS = "[data-fcr-auditor=panel] .fcr-status"
MARKS = "[data-fcr-auditor=overlay] mark.hl"


def test_crm_form_on_an_allowed_origin_gets_highlights_and_checklist(browser, sites) -> None:
    context, page, errors = _open(browser, sites["crm"] + "/")
    page.wait_for_selector(f"{STATUS}:text('Start writing')", timeout=20_000)
    box = page.locator("#Comments__c")
    box.click()
    box.press_sequentially(WEAK[:60])
    box.press_sequentially(WEAK[60:], delay=1)
    page.wait_for_selector(f"{STATUS}:text('Checked in')", timeout=20_000)

    marks = page.locator(MARKS)
    assert marks.count() >= 1
    assert any("lazy" in marks.nth(i).inner_text() for i in range(marks.count()))
    # The marks sit over the words of the textarea (the overlay copies its box).
    area = box.bounding_box()
    first = marks.first.bounding_box()
    assert area and first
    assert area["x"] <= first["x"] <= area["x"] + area["width"]
    assert area["y"] <= first["y"] <= area["y"] + area["height"]

    panel = page.locator("[data-fcr-auditor=panel]")
    assert panel.locator(".badge").inner_text().strip().lower() == "weak"
    checklist = panel.locator("ul.checklist li")
    assert checklist.count() >= 4
    assert panel.locator("ul.checklist li.todo").count() >= 1
    cards = panel.locator("ol.findings li[data-code]")
    assert cards.count() >= 2
    assert panel.locator(".suggestion").first.inner_text().strip()
    # The draft's markup stayed text on the CRM page too.
    assert page.evaluate("() => window.__xss") is None
    # The form's own text box still holds exactly what was typed.
    assert box.input_value() == WEAK
    context.close()
    assert not errors, errors


def test_form_on_an_origin_not_allowed_gets_nothing(browser, sites) -> None:
    log = sites["log"]
    log.lines.clear()
    context, page, errors = _open(browser, sites["other"] + "/")
    page.wait_for_selector(f"{STATUS}:text('Not checked')", timeout=20_000)
    box = page.locator("#Comments__c")
    box.click()
    box.press_sequentially(WEAK, delay=1)
    # The check after typing is refused too (its preflight), and the panel says so.
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-fcr-auditor=panel]')]"
        ".some((h) => h.shadowRoot.textContent.includes('refused this page'))",
        timeout=20_000,
    )
    deadline = time.monotonic() + 10
    while not any(x.startswith("OPTIONS /api/check") for x in log.lines):
        assert time.monotonic() < deadline, log.lines
        time.sleep(0.1)
    page.wait_for_timeout(300)

    assert page.locator(MARKS).count() == 0
    panel = page.locator("[data-fcr-auditor=panel]")
    assert panel.locator("ul.checklist li").count() == 0
    assert panel.locator(".badge").inner_text().strip().lower() == "not checked"
    # The server refused the preflights; no check ran for this origin.
    assert any(line.startswith("OPTIONS /api/check 403") for line in log.lines), log.lines
    assert not any(line.startswith("POST /api/check") for line in log.lines), log.lines
    context.close()
    assert not errors, errors


def test_draft_page_asks_for_the_token_then_checks(browser, sites) -> None:
    context, page, errors = _open(browser, sites["auditor"] + "/")
    page.wait_for_selector("#status:text('needs an API token')", timeout=20_000)
    assert page.locator("#token-box").is_visible()
    page.fill("#token", TOKEN)
    page.click("#token-use")
    page.wait_for_selector("#status:text('Start writing')", timeout=20_000)
    assert not page.locator("#token-box").is_visible()
    page.fill("#draft", WEAK)
    page.wait_for_selector("#status:text('Checked in')", timeout=20_000)
    assert page.locator("#highlights mark.hl").count() >= 1
    assert page.locator("#checklist li").count() >= 4
    context.close()
    assert not errors, errors
