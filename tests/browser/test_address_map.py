"""The neighbourhood map in real Chromium: 2,000 addresses drawn within a second, axe-core finds
no WCAG 2.1 A/AA violation, nothing external is requested; a screenshot of the sample's map goes
to artifacts/screenshots/."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from hub.domain.address_map import CRISIS, MapDot, count_by_status, render_map
from hub.domain.address_register import parse_register
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_accessibility import AXE, AXE_HINT, audit

pytestmark = pytest.mark.browser

SAMPLE = Path(__file__).parents[2] / "hub" / "data" / "sample-addresses.csv"


def page_with(svg: str) -> str:
    head = '<!doctype html><html lang="en"><head><title>Map</title></head>'
    return f"{head}<body><main><h1>Map</h1>{svg}</main></body></html>"


def test_two_thousand_addresses_draw_within_a_second_without_violations(browser: Browser) -> None:
    if not AXE.exists():
        pytest.fail(AXE_HINT, pytrace=False)
    dots = [
        MapDot(
            f"Dorpsstraat {n}",
            f"Straat {n // 100}",
            n,
            52.08 + (n // 100) * 0.0004,
            5.11 + (n % 100) * 0.0002,
            CRISIS[n % 5],
            link=f"addresses/{n + 1}",
        )
        for n in range(2000)
    ]
    svg = render_map(dots, title="Buurtdorp")
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    try:
        started = time.monotonic()
        page.set_content(page_with(svg), wait_until="load")
        drawn = page.locator("svg.map use:not(.key)").count()
        elapsed = time.monotonic() - started
        assert drawn == 2000 and elapsed < 1.0, elapsed
        assert audit(page, AXE.read_text(encoding="utf-8")) == []
        assert requests == []
    finally:
        context.close()


def test_the_sample_map_screenshot(browser: Browser) -> None:
    register = parse_register(SAMPLE.read_bytes()).addresses
    dots = [
        MapDot(
            a.label,
            a.street,
            a.number,
            a.lat,
            a.lon,
            CRISIS[(a.number * 7 + len(a.letter)) % 5],
            link=f"addresses/{n}",
        )
        for n, a in enumerate(register)
    ]
    svg = render_map(dots, title="Buurtdorp")
    context = browser.new_context(viewport={"width": 1000, "height": 1000})
    page = context.new_page()
    try:
        page.set_content(page_with(svg), wait_until="load")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "map-sample.png"), full_page=True)
        assert page.locator("svg.map a").count() == 288
        assert sum(count_by_status(svg).values()) == 288
    finally:
        context.close()
