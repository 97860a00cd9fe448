"""The region's pages in headless Chromium: axe-core 0 violations in Dutch and English, a phone
width without sideways scrolling, nothing loaded from elsewhere, screenshots to look at."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import update

from hub.domain.sharing import shape_event
from hub.region import accounts
from hub.region.store import hubs_table
from hub.region.web import open_region
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_accessibility import AXE, AXE_HINT, audit
from tests.region.conftest import PASSWORD, HubFeed, RegionServer, status_data

pytestmark = pytest.mark.browser
SHOTS = SCREENSHOTS / "region"


@pytest.fixture(scope="module")
def region_live(postgres_server: object) -> Iterator[RegionServer]:
    url = postgres_server.create_database()  # type: ignore[attr-defined]
    region = open_region(url, stale_minutes=30, topic_root="buurtbaken/v1")
    accounts.add_user(region.engine, "olga", PASSWORD, "officer")
    places = [
        ("utrecht-noord", "Wijk Noord", 52.105, 5.118, "crisis"),
        ("utrecht-oost", "Oost", 52.088, 5.145, "normal"),
        ("zeist-centrum", "Zeist Centrum", 52.089, 5.233, "drill"),
        ("houten", "Houten", 52.028, 5.168, "normal"),
        ("nieuwegein", "Nieuwegein Zuid", 52.02, 5.09, "normal"),
    ]
    for hub, name, lat, lon, mode in places:
        feed = HubFeed(region.store, hub)
        figures = {"households_ok": 120, "households_help": 4 if mode == "crisis" else 0}
        if mode == "crisis":
            figures |= {"open_needs_by_urgency": {"life": 1, "urgent": 2}, "special_attention_not_reached": 3}
        feed.send("hub.status", status_data(name, lat, lon, mode=mode, **figures) | {"addresses_known": 300})
        if mode == "crisis":
            feed.send("alert.raised", {"id": "a1", "kind": "sos"})
            need = {
                "id": "n1",
                "address": "Kerkstraat 12",
                "category": "water",
                "urgency": "life",
                "description": "x",
                "status": "open",
                "source": "portal",
                "drill": False,
            }
            feed.send("need.created", shape_event("need", need, "aggregate"))
            offer = {
                "id": "o1",
                "category": "car",
                "description": "x",
                "address": "Dorpsweg 3",
                "contact": "x",
                "drill": False,
            }
            feed.send("offer.created", shape_event("offer", offer, "aggregate"))
            supply = {"id": "s1", "category": "water", "households": 40, "note": "tankwagen", "drill": False}
            feed.send("supply.requested", supply | {"status": "open"})  # on both pages
        if mode == "drill":
            feed.send(
                "drill.report",
                {
                    "drill_id": "d1",
                    "started_at": "2026-12-01T19:00:00+00:00",
                    "duration_minutes": 62.5,
                    "households_known": 300,
                    "households_reached": 212,
                    "special_attention_registered": 14,
                    "special_attention_reached": 12,
                    "tasks": 9,
                    "tasks_failed": 1,
                },
            )
    HubFeed(region.store, "lopik").send("hub.status", status_data("Lopik", None, None))
    with region.engine.begin() as conn:
        conn.execute(
            update(hubs_table)
            .where(hubs_table.c.hub == "houten")
            .values(last_seen=datetime.now(UTC) - timedelta(hours=3))
        )
    with RegionServer(region) as server:
        yield server
    region.store.dispose()
    postgres_server.drop_database(url)  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        pytest.fail(AXE_HINT, pytrace=False)
    return AXE.read_text(encoding="utf-8")


def _logged_in(browser: Browser, server: RegionServer, lang: str, width: int = 1280) -> Page:
    context = browser.new_context(
        locale=lang, viewport={"width": width, "height": 900}, bypass_csp=True, java_script_enabled=True
    )
    page = context.new_page()
    foreign: list[str] = []
    page.on(
        "request",
        lambda r: foreign.append(r.url) if urlsplit(r.url).netloc != urlsplit(server.url).netloc else None,
    )
    page.goto(f"{server.url}/login?lang={lang}")
    page.fill("input[name=name]", "olga")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/")
    page.foreign = foreign  # type: ignore[attr-defined]
    return page


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_region_pages_pass_axe(
    browser: Browser, region_live: RegionServer, axe_source: str, lang: str
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    found: list[str] = []
    login = browser.new_page(bypass_csp=True)
    login.goto(f"{region_live.url}/login?lang={lang}")
    login.fill("input[name=name]", "olga")
    login.fill("input[name=password]", "wrong-password-here")
    login.click("button[type=submit]")
    assert login.locator("[role=alert]").count() == 1
    found.extend(audit(login, axe_source))
    login.screenshot(path=str(SHOTS / f"login-error-{lang}.png"), full_page=True)
    login.close()
    page = _logged_in(browser, region_live, lang)
    for path, shot in [
        ("/", "overview"),
        ("/hubs/utrecht-noord", "hub-crisis"),
        ("/hubs/zeist-centrum", "hub-drill"),
        ("/send", "send"),
        ("/audit", "audit"),
        ("/hubs/nowhere", "not-found"),
    ]:
        page.goto(f"{region_live.url}{path}")
        found.extend(audit(page, axe_source))
        page.screenshot(path=str(SHOTS / f"{shot}-{lang}.png"), full_page=True)
    page.goto(f"{region_live.url}/send")
    page.fill("input[name=title]", "Stroomstoring")
    page.check("input[name=to][value=some]")
    page.fill("textarea[name=body]", "Er is geen stroom tot vanavond.")
    page.click("form.send-form button[type=submit]")
    assert page.locator("#send-error").count() == 1  # a selection without a hub
    found.extend(audit(page, axe_source))
    page.screenshot(path=str(SHOTS / f"send-error-{lang}.png"), full_page=True)
    page.check("input[name=hub][value=houten]")
    page.click("form.send-form button[type=submit]")
    assert page.locator("section.just-sent tr.dl-row[data-hub=houten]").count() == 1
    found.extend(audit(page, axe_source))
    page.screenshot(path=str(SHOTS / f"send-done-{lang}.png"), full_page=True)
    assert not page.foreign, page.foreign  # type: ignore[attr-defined]
    page.context.close()
    assert not found, "\n".join(found)


def test_region_pages_fit_a_phone(browser: Browser, region_live: RegionServer) -> None:
    page = _logged_in(browser, region_live, "nl", width=360)
    for path in ("/", "/hubs/utrecht-noord", "/send", "/audit"):
        page.goto(f"{region_live.url}{path}")
        wide = page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        assert wide, f"{path} scrolls sideways on a phone"
    page.goto(f"{region_live.url}/")
    page.screenshot(path=str(SHOTS / "overview-phone.png"), full_page=True)
    page.context.close()
