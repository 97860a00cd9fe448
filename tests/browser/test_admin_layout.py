"""The admin's layout in headless Chromium at the issue's three screens (issue #16):

* the header is one row on a tablet (1024 × 768) and a laptop (1440 × 900), in Dutch and English;
* on a phone (360 × 740) the pages sit behind one "Menu" that opens without JavaScript;
* the open SOS alerts and the clock warning are in the header of every page;
* no page scrolls sideways on a phone: tables become stacked cards.

Screenshots go to artifacts/screenshots/admin-layout/; look at them.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page

from hub.domain.radio_events import TextReceived
from hub.services import drills, mesh_inbound
from tests.admin.conftest import PASSWORD
from tests.browser.conftest import SCREENSHOTS
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

SHOTS = SCREENSHOTS / "admin-layout"
ONE_ROW = 80  # px: one row of 44 px targets with its padding; two rows are more than 90
TABLET = {"width": 1024, "height": 768}
LAPTOP = {"width": 1440, "height": 900}
PHONE = {"width": 360, "height": 740}
# The innermost elements that reach past the right edge of the screen: what makes a page too wide.
WIDEST = """() => [...document.querySelectorAll("body *")]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
  .filter(e => ![...e.children].some(c => c.getBoundingClientRect().right > window.innerWidth + 1))
  .slice(0, 5).map(e => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)"""
LISTS = [
    "/admin",
    "/admin/needs",
    "/admin/tasks",
    "/admin/checkins",
    "/admin/households",
    "/admin/volunteers",
    "/admin/offers",
    "/admin/announcements",
    "/admin/messages",
    "/admin/mesh",
    "/admin/sync",
    "/admin/audit",
    "/admin/drill",
    "/admin/readiness",
    "/admin/addresses",
    "/admin/export",
    "/admin/access",
    "/admin/partners",
]
# The lists with a search typed in (the search form, the filter it keeps, "nothing found").
SEARCHED = [
    "/admin/checkins?status=help&q=Kerkstraat 5 A",
    "/admin/households?q=kerkstraat",
    "/admin/tasks?status=done&q=nergens",
]


def log_in(browser: Browser, live: LiveServer, viewport: dict[str, int], lang: str) -> Page:
    page = browser.new_context(viewport=viewport, java_script_enabled=False).new_page()  # type: ignore[arg-type]
    page.goto(f"{live.url}/admin/login?lang={lang}")
    page.fill("input[name=name]", "coord")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live.url}/admin")
    return page


@pytest.fixture(scope="module")
def with_sos(hub_live: LiveServer) -> LiveServer:
    """The module's hub with one open SOS alert from an unknown handset."""
    packet = TextReceived(0xBEEF, "!0000beef", 4242, "SOS brand", 0, True, False, None)
    hub = hub_live.hub
    hub.db.writer.run_sync(lambda s: mesh_inbound.handle_text(s, hub.ctx, packet, allow_unknown=False))
    return hub_live


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("viewport", [TABLET, LAPTOP], ids=["tablet", "laptop"])
def test_the_header_is_one_row_on_a_tablet_and_a_laptop(
    browser: Browser, with_sos: LiveServer, lang: str, viewport: dict[str, int]
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = log_in(browser, with_sos, viewport, lang)
    try:
        for path in LISTS:
            page.goto(f"{with_sos.url}{path}?lang={lang}")
            height = page.locator("header .bar").bounding_box()
            assert height is not None
            assert height["height"] <= ONE_ROW, (path, lang, height)
            # the SOS alerts and the clock warning are in the header of every page
            assert page.locator("header .alertbar").count() == 1, path
            assert page.locator("header .clockbar").count() == 1, path
            # every page is one click away: six in the row, the rest behind "More"
            assert page.locator("header .primary a").count() == 6
            assert page.locator("header .more summary").is_visible()
        page.goto(f"{with_sos.url}/admin?lang={lang}")
        page.screenshot(path=str(SHOTS / f"{lang}-{viewport['width']}-dashboard.png"))
        page.locator("header .more summary").click()
        more = page.locator("header .more .drop a:visible")
        assert more.count() >= 11
        page.screenshot(path=str(SHOTS / f"{lang}-{viewport['width']}-more.png"))
        more.filter(has_text="Audit log" if lang == "en" else "Logboek").click()
        page.wait_for_url(f"{with_sos.url}/admin/audit*")
    finally:
        page.context.close()


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_on_a_phone_the_menu_is_folded_and_opens_without_javascript(
    browser: Browser, with_sos: LiveServer, lang: str
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = log_in(browser, with_sos, PHONE, lang)
    try:
        page.goto(f"{with_sos.url}/admin/needs?lang={lang}")
        page.screenshot(path=str(SHOTS / f"{lang}-phone-closed.png"))
        bar = page.locator("header .bar").bounding_box()
        assert bar is not None and bar["height"] <= ONE_ROW
        assert page.locator("header .primary").is_hidden()
        assert page.locator("header .drop").is_hidden()
        assert page.locator("header .alertbar").is_visible()
        summary = page.locator("header .more summary")
        assert summary.inner_text().strip() == "Menu"
        summary.click()
        links = page.locator("header .drop a:visible")
        assert links.count() >= 17  # every page, the six of the row too
        log_out = "Log out" if lang == "en" else "Uitloggen"
        assert page.locator("header .drop button", has_text=log_out).is_visible()
        page.screenshot(path=str(SHOTS / f"{lang}-phone-open.png"))
        links.filter(has_text="Tasks" if lang == "en" else "Taken").first.click()
        page.wait_for_url(f"{with_sos.url}/admin/tasks*")
        assert page.locator("header .drop").is_hidden()  # a new page: the menu folded again
    finally:
        page.context.close()


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_no_admin_page_scrolls_sideways_on_a_phone(browser: Browser, with_sos: LiveServer, lang: str) -> None:
    """Tables become stacked cards below 600 px; every cell keeps its column's name."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = log_in(browser, with_sos, PHONE, lang)
    wide: dict[str, list[str]] = {}

    def measure(page: Page, path: str) -> None:
        width = int(page.evaluate("document.documentElement.scrollWidth"))
        if width > PHONE["width"]:
            wide[path] = page.evaluate(WIDEST)
        name = path.strip("/").replace("/", "-").replace("?", "-").replace("=", "-").replace("&", "-")
        page.screenshot(path=str(SHOTS / f"{lang}-phone-{name}.png"), full_page=True)

    try:
        for path in [*LISTS, *SEARCHED, "/admin/addresses/1", "/admin/map"]:
            joiner = "&" if "?" in path else "?"
            page.goto(f"{with_sos.url}{path}{joiner}lang={lang}")
            measure(page, path)
        # confirm_crisis.html: the answer to the dashboard's crisis button (a POST, not a link)
        hub = with_sos.hub
        hub.db.writer.run_sync(lambda s: drills.set_mode(s, hub.ctx, "normal", actor="test"))
        try:
            page.goto(f"{with_sos.url}/admin?lang={lang}")
            page.locator("form[action='/admin/mode'] button.mb-crisis").first.click()
            page.wait_for_load_state()
            assert page.locator("input[name=confirmed]").count() == 1
            measure(page, "/admin/mode-confirm-crisis")
        finally:
            hub.db.writer.run_sync(lambda s: drills.set_mode(s, hub.ctx, "crisis", actor="test"))
        page.goto(f"{with_sos.url}/admin/needs?lang={lang}")
        label = page.locator("main tbody td[data-label]").first
        before = label.evaluate("cell => getComputedStyle(cell, '::before').content")
        assert before.startswith('"') and len(before) > 4, before  # the column's name, not nothing
        assert page.locator("main thead").first.bounding_box() is not None
    finally:
        page.context.close()
    assert wide == {}
