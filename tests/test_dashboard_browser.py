"""The dashboard in headless Chromium: charts are visible, offline, escaped, and print cleanly."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from auditor.config import load_ruleset, load_settings
from auditor.schema import Finding, ReportAudit, Signals
from auditor.stats import Collector, analyse, vocabulary

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian chromium is not installed (/usr/bin/chromium); "
    "run: apt-get install -y chromium chromium-driver",
)
NO_SIGNALS = dict.fromkeys(Signals.model_fields, False)
EVIL = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script> lazy rep'
REGIONS = ("North", "South", "West")


def _audits() -> Iterator[ReportAudit]:
    for r, region in enumerate(REGIONS):
        for i in range(24):
            judge = region == "South" and i < 8
            text = EVIL if (region, i) == ("North", 0) else f"Report {i} from {region}."
            findings = (
                [
                    Finding(
                        code="JUD001",
                        name="judgemental-language",
                        severity="error",
                        message="Judgemental language.",
                        suggestion="describe",
                        evidence=[{"start": 0, "end": 4, "text": text[:4]}],
                    )
                ]
                if judge or text == EVIL
                else []
            )
            yield ReportAudit(
                id=f"{region}-{i}",
                metadata={
                    "region": region,
                    "manager": f"m-{r}{i % 3}",
                    "date": f"2025-{1 + i % 9:02d}-05",
                },
                score=20 if text == EVIL else 60 + (i * 7 + r * 5) % 40,
                verdict="adequate",
                focus_competencies=["messaging"] if i % 2 else ["payer_access"],
                aligned_priorities=["market_access"],
                findings=findings,
                signals=Signals(**{**NO_SIGNALS, "judgmental": judge}),
                text=text,
            )


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory, rules) -> Path:
    """A rendered dashboard file over a small planted data set."""
    from auditor.render.dashboard import render_dashboard

    settings = load_settings()
    collector = Collector(settings.weakest_reports).extend(_audits())
    vocab = vocabulary(rules)
    html = render_dashboard(
        analyse(collector.records, vocab, settings), vocab, collector.weakest(), source="planted"
    )
    path = tmp_path_factory.mktemp("dash") / "dashboard.html"
    path.write_text(html, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def page(dashboard: Path) -> Iterator:
    """The dashboard open in headless Chromium, with every request it made."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )
        pg = browser.new_page(viewport={"width": 1366, "height": 900})
        pg.requests = []  # type: ignore[attr-defined]
        pg.on("request", lambda req: pg.requests.append(req.url))  # type: ignore[attr-defined]
        pg.goto(dashboard.as_uri())
        yield pg
        browser.close()


def test_charts_are_visible(page) -> None:
    heatmaps = page.locator("svg.heatmap")
    assert heatmaps.count() == 3
    for i in range(3):
        box = heatmaps.nth(i).bounding_box()
        assert box and box["width"] > 300 and box["height"] > 100
    first = heatmaps.nth(0)
    cells = first.locator("g > rect")
    # every region x every check of the rubric
    assert cells.count() == len(REGIONS) * len(load_ruleset().rubric.checks)
    assert cells.first.is_visible()
    fills = {cells.nth(i).get_attribute("fill") for i in range(cells.count())}
    assert len(fills) > 1  # the colour scale shows the planted difference
    dist = page.locator("svg.dist")
    assert dist.is_visible() and dist.locator("circle").count() == len(REGIONS)
    trend = page.locator("svg.line").first
    assert trend.is_visible() and trend.locator("path").get_attribute("d").startswith("M")
    assert page.locator("#consistency .index").inner_text().split()[0].isdigit()


def test_outlier_is_shown(page) -> None:
    rows = page.locator("#outliers table tr")
    assert "South" in rows.nth(1).inner_text() and "judgemental" in rows.nth(1).inner_text()


def test_report_text_is_inert_and_shown_as_text(page) -> None:
    assert page.evaluate("() => window.__pwned") is None
    assert page.locator("img").count() == 0
    detail = page.locator("article.report").first
    assert "<script>window.__pwned=2</script>" in detail.locator(".text").inner_text()


def test_opens_offline(page) -> None:
    assert page.requests and all(url.startswith("file://") for url in page.requests)


def test_weakest_report_link_jumps_to_its_detail(page) -> None:
    link = page.locator("#weakest table a").first
    target = link.get_attribute("href")
    link.click()
    article = page.locator(target)
    assert article.is_visible() and article.evaluate(
        "el => { const r = el.getBoundingClientRect(); return r.top >= -1 && "
        "r.top < window.innerHeight; }"
    )


def test_print_layout(page) -> None:
    page.emulate_media(media="print")
    try:
        assert not page.locator("nav").is_visible()
        assert page.locator("svg.heatmap").first.is_visible()
    finally:
        page.emulate_media(media="screen")
