"""The dashboard in headless Chromium: charts are visible, offline, escaped, and print cleanly;
the leaders' sections (merged regions, what to work on, follow-through, the period filter, the
glossary) are there and work."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from auditor.config import RegionAlias, load_ruleset, load_settings
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
FIGURE = "Closed 3 of 12 calls this week."


def _region(region: str, i: int) -> str:
    return "Nord" if (region, i) == ("North", 5) else region  # an alias of North


def _audits() -> Iterator[ReportAudit]:
    for r, region in enumerate(REGIONS):
        for i in range(24):
            judge = region == "South" and i < 8
            text = EVIL if (region, i) == ("North", 0) else f"Report {i} from {region}."
            text = FIGURE if (region, i) == ("West", 0) else text
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
            if text == FIGURE:  # evidence that ends inside "12"
                findings = [
                    Finding(
                        code="NUM001",
                        name="numbers-only",
                        severity="warning",
                        message="Numbers only.",
                        suggestion="coach behaviour",
                        evidence=[{"start": 7, "end": 13, "text": text[7:13]}],
                    )
                ]
            yield ReportAudit(
                id=f"{region}-{i}",
                metadata={
                    "region": _region(region, i),
                    "manager": f"m-{r}{i % 3}",
                    "date": f"2025-{1 + i % 9:02d}-05",
                    "follow_through": {"status": "followed_up" if i % 4 else "not_followed_up"},
                },
                score=25 if text == FIGURE else 20 if text == EVIL else 60 + (i * 7 + r * 5) % 40,
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
    settings = settings.model_copy(
        update={"region_aliases": (RegionAlias(name="North", aliases=("Nord",)),)}
    )
    collector = Collector(settings.weakest_reports).extend(_audits())
    vocab = vocabulary(rules)
    html = render_dashboard(
        analyse(collector.records, vocab, settings),
        vocab,
        collector.weakest(),
        source="planted",
        check_labels=settings.check_labels,
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
    assert trend.is_visible() and trend.locator("path").first.get_attribute("d").startswith("M")
    assert page.locator("#consistency .index").inner_text().split()[0].isdigit()


def test_outlier_is_shown(page) -> None:
    rows = page.locator("#outliers table tr")
    assert "South" in rows.nth(1).inner_text() and "judgemental" in rows.nth(1).inner_text().lower()


def test_report_text_is_inert_and_shown_as_text(page) -> None:
    assert page.evaluate("() => window.__pwned") is None
    assert page.locator("img").count() == 0
    detail = page.locator("article.report").first
    assert "<script>window.__pwned=2</script>" in detail.locator(".text").inner_text()


def test_highlight_keeps_figures_whole(page) -> None:
    marks = page.locator("article.report mark", has_text="3 of 1")
    assert marks.count() == 1 and marks.first.inner_text() == "3 of 12"


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
        assert not page.locator("#period-filter").is_visible()
        assert page.locator("svg.heatmap").first.is_visible()
        assert page.locator("#work-on .card").first.is_visible()
        page.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")
        assert page.locator("details.stats .figures").is_visible()  # printed unfolded
    finally:
        page.emulate_media(media="screen")


# -- the leaders' sections --------------------------------------------------------------------
def test_each_section_opens_with_a_plain_sentence(page) -> None:
    sections = page.locator("main > section")
    assert sections.count() >= 9
    for i in range(sections.count()):
        lead = sections.nth(i).locator("p.lead").first
        assert lead.is_visible() and lead.inner_text().strip().endswith(".")
    headlines = page.locator("main h2").all_inner_texts()
    for term in ("ICC", "Kruskal", "JSD", "Holm"):
        assert not [h for h in headlines if term in h]  # statistics stay out of headlines


def test_index_interval_and_merged_region_names(page) -> None:
    index = page.locator("#consistency .index").inner_text()
    assert re.search(r"95% interval \d+–\d+", index)
    assert (
        page.locator("#aliases")
        .inner_text()
        .startswith(
            "Region names that mean the same place are counted together: North includes Nord"
        )
    )
    rows = page.locator("svg.dist text").all_text_contents()
    assert not [r for r in rows if "Nord " in r]  # merged, not a group of its own


def test_names_not_codes_and_tooltips_with_a_glossary(page) -> None:
    heads = page.locator("svg.heatmap").first.locator("text.col title").all_text_contents()
    assert "states the situation" in heads
    assert not [h for h in heads if re.fullmatch(r"[A-Z]{2,5}\d{3}", h.strip())]
    assert page.locator("abbr[title]").count() >= 5
    terms = page.locator("#glossary dt").all_inner_texts()
    for term in ("Consistency index", "95% interval", "ICC", "Kruskal-Wallis", "JSD", "Holm"):
        assert [t for t in terms if term in t], term
    assert page.locator("details.stats abbr[title]").count() >= 2  # ICC, Kruskal-Wallis


def test_what_to_work_on_panel(page) -> None:
    cards = page.locator("#work-on .card")
    assert cards.count() == len(REGIONS)
    south = page.locator("#work-on .card", has_text="South").inner_text()
    assert "Avoids judgemental language: 67% vs 88%" in south and "(n=24)" in south


def test_follow_through_section(page) -> None:
    rows = page.locator("#follow-through table tr")
    assert rows.count() == 1 + len(REGIONS)
    north = rows.nth(1).inner_text()
    assert "North" in north and "75%" in north and "followed up 18" in north


def test_trends_have_bands_and_a_period_filter(page) -> None:
    assert page.locator("#trends polygon.band").count() > 0
    rows = page.locator("#trends table.periods tr[data-i]")
    assert rows.count() == 3  # 2025-Q1..Q3
    assert rows.nth(0).inner_text().startswith("2025-Q1")
    page.select_option("#period-from", "1")
    try:
        assert not rows.nth(0).is_visible() and rows.nth(1).is_visible()
        assert page.locator("#period-shown").inner_text() == "2 of 3 quarters shown"
        hidden = page.locator("#trends svg.line circle[data-i='0']").first
        assert not hidden.is_visible()
        assert page.locator("#trends svg.line .stretch[data-a='0']").first.is_hidden()
        assert page.locator("#trends svg.line .stretch[data-a='1']").first.is_visible()
    finally:
        page.select_option("#period-from", "0")
    assert rows.nth(0).is_visible()
