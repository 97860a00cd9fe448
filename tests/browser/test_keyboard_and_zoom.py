"""Residents who use no mouse, and residents who zoom: every form by keyboard alone, and no
sideways scrolling on a 320 px phone at 200 % zoom, in every language.

Zoom: ``device_scale_factor`` only sharpens pixels, it does not change the layout. A 320 × 640
screen at 200 % lays a page out in 160 × 320 CSS pixels, so the zoom test opens a 160 × 320 CSS px
viewport (device scale 2, so screenshots look like the zoomed phone) and measures
``document.documentElement.scrollWidth <= clientWidth`` on every portal page and error state.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, Page
from sqlmodel import SQLModel, func, select

from hub import i18n
from hub.models import CheckIn, Household, Need, Offer, SelfCheck, Signal, VolunteerOffer
from tests.browser.conftest import SCREENSHOTS
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

PAGES = [
    "/",
    "/checkin",
    "/need",
    "/offer",
    "/register",
    "/signal",
    "/announcements",
    "/privacy",
    "/selfcheck/print",
]
FORMS = ["/checkin", "/need", "/offer", "/register", "/signal", "/selfcheck", "/volunteer"]


def count(live: LiveServer, model: type[SQLModel]) -> int:
    with live.hub.db.read() as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def focused(page: Page, selector: str) -> bool:
    return bool(page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", selector))


def tab_to(page: Page, selector: str, key: str = "Tab", limit: int = 60) -> None:
    """Press Tab (or Shift+Tab) until ``selector`` has the focus."""
    for _ in range(limit):
        page.keyboard.press(key)
        if focused(page, selector):
            return
    raise AssertionError(f"{key} never reached {selector}")


def send_with_enter(page: Page) -> None:
    tab_to(page, "form button[type=submit]")
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # the focus is visible
    with page.expect_navigation():
        page.keyboard.press("Enter")


def fill_checkin(page: Page) -> None:
    tab_to(page, "#f-address")
    page.keyboard.type("Kerkstraat 5")
    tab_to(page, "input[name=status]")
    page.keyboard.press("Space")  # the first choice: we are OK
    tab_to(page, "#f-people")
    page.keyboard.type("2")
    tab_to(page, "input[name=status]", key="Shift+Tab")  # back again: the choice is kept
    assert page.is_checked("input[name=status][value=ok]")
    tab_to(page, "#f-note")
    page.keyboard.type("Alles goed")


def fill_need(page: Page) -> None:
    tab_to(page, "#f-address")
    page.keyboard.type("Kerkstraat 5")
    tab_to(page, "input[name=category]")
    page.keyboard.press("Space")  # water
    tab_to(page, "#f-description")
    page.keyboard.type("Geen water meer")


def fill_offer(page: Page) -> None:
    tab_to(page, "input[name=category]")
    page.keyboard.press("Space")  # first aid
    tab_to(page, "#f-description")
    page.keyboard.type("EHBO-diploma")


def fill_register(page: Page) -> None:
    tab_to(page, "input[name=registered_by]")
    page.keyboard.press("Space")  # for myself
    tab_to(page, "#f-address")
    page.keyboard.type("Kerkstraat 7")
    tab_to(page, "#f-special_attention")
    page.keyboard.press("Space")
    tab_to(page, "#f-agree")
    page.keyboard.press("Space")
    tab_to(page, "#f-given_by")
    page.keyboard.type("J. de Vries")


def fill_signal(page: Page) -> None:
    tab_to(page, "input[name=category]")
    page.keyboard.press("Space")  # someone not seen
    tab_to(page, "#f-address")
    page.keyboard.type("Molenweg 12")
    tab_to(page, "#f-description")
    page.keyboard.type("Buurvrouw al twee dagen niet gezien")


def fill_selfcheck(page: Page) -> None:
    tab_to(page, "#f-items")
    page.keyboard.press("Space")  # water
    tab_to(page, "#f-check_on")
    page.keyboard.press("Space")
    tab_to(page, "#f-people")
    page.keyboard.press("Control+A")
    page.keyboard.type("2")
    tab_to(page, "#f-address")
    page.keyboard.type("Kerkstraat 5")


def fill_volunteer(page: Page) -> None:
    tab_to(page, "#f-name")
    page.keyboard.type("Samira")
    tab_to(page, "#f-address")
    page.keyboard.type("Kerkstraat 9")
    tab_to(page, "#f-contact")
    page.keyboard.type("06 1234")
    tab_to(page, "input[name=has_handset]")
    page.keyboard.press("Space")  # yes


KEYBOARD: dict[str, tuple[Callable[[Page], None], type[SQLModel]]] = {
    "/checkin": (fill_checkin, CheckIn),
    "/need": (fill_need, Need),
    "/offer": (fill_offer, Offer),
    "/register": (fill_register, Household),
    "/signal": (fill_signal, Signal),
    "/selfcheck": (fill_selfcheck, SelfCheck),
    "/volunteer": (fill_volunteer, VolunteerOffer),
}


@pytest.mark.parametrize("form", FORMS)
def test_each_form_by_keyboard_alone(browser: Browser, hub_live: LiveServer, form: str) -> None:
    fill, model = KEYBOARD[form]
    before = count(hub_live, model)
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="nl-NL")
    page = context.new_page()
    try:
        page.goto(f"{hub_live.url}{form}?lang=nl")
        page.keyboard.press("Tab")
        assert focused(page, "a.skip")  # the first stop skips the header
        page.keyboard.press("Enter")
        assert focused(page, "#main")
        if form == "/selfcheck":  # every answer may be empty: a wrong number is its error
            tab_to(page, "#f-people")
            page.keyboard.type("veel")
        send_with_enter(page)  # empty first: the errors, then fill in
        assert page.locator(".error-summary").is_visible()
        tab_to(page, ".error-summary a")  # the summary's links are reachable
        fill(page)
        send_with_enter(page)
        assert "/bedankt/" in page.url
        assert count(hub_live, model) == before + 1
    finally:
        context.close()


@pytest.mark.parametrize("lang", list(i18n.LANGUAGES))
def test_no_sideways_scrolling_at_200_percent_on_a_320_px_phone(
    browser: Browser, hub_live: LiveServer, lang: str
) -> None:
    shots = SCREENSHOTS / "i18n" / "zoom"
    shots.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 160, "height": 320}, device_scale_factor=2)
    page = context.new_page()
    wide: list[str] = []
    small: list[str] = []

    def measure(name: str) -> None:
        width = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        if width[0] > width[1]:
            wide.append(f"{name}: scrollWidth {width[0]} > clientWidth {width[1]}")
        tiny = page.evaluate(
            """() => [...document.querySelectorAll('body *')].filter(e =>
                 [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())
                 && e.getClientRects().length && parseFloat(getComputedStyle(e).fontSize) < 16
               ).map(e => e.tagName + '.' + e.className)"""
        )
        small.extend(f"{name}: text under 16 px in {t}" for t in tiny)
        page.screenshot(path=str(shots / f"{lang}-{name}.png"), full_page=True)

    try:
        assert page.evaluate("() => document.documentElement.clientWidth") == 160
        for path in PAGES:
            page.goto(f"{hub_live.url}{path}?lang={lang}")
            measure(path.strip("/") or "home")
        for form in FORMS:
            page.goto(f"{hub_live.url}{form}?lang={lang}")
            if form == "/selfcheck":  # every answer may be empty: a wrong number is the error
                page.fill("#f-people", "veel")
            page.locator("form button[type=submit]").click()
            page.wait_for_load_state()
            measure(form.strip("/") + "-errors")
    finally:
        context.close()
    assert wide == []
    assert small == []
