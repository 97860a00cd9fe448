"""The home page's first screen on an old phone (360 × 740): the check-in button is on it, in
every language, in a crisis with urgent news; the language switch is one compact line that
opens without JavaScript. Screenshots of the first screen go to artifacts/screenshots/first-screen/.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from hub import i18n
from tests.browser.conftest import OLD_PHONE, SCREENSHOTS
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

SHOTS = SCREENSHOTS / "first-screen"


@pytest.mark.parametrize("lang", list(i18n.LANGUAGES))
def test_the_check_in_button_is_on_the_first_screen(
    browser: Browser, hub_live: LiveServer, lang: str
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(java_script_enabled=False, viewport=OLD_PHONE, locale="nl-NL")
    page = context.new_page()
    try:
        page.goto(f"{hub_live.url}/?lang={lang}")
        assert page.locator("html").get_attribute("lang") == lang
        assert page.locator(".banner.crisis").is_visible()  # the worst case: crisis banner and news
        assert page.locator(".news").count() >= 2
        page.screenshot(path=str(SHOTS / f"{lang}-home.png"))
        check_in = page.locator('main a.button[href="/checkin"]').bounding_box()
        assert check_in is not None
        assert check_in["y"] >= 0
        assert check_in["y"] + check_in["height"] <= OLD_PHONE["height"], (lang, check_in)
        assert page.locator('main a.button[href="/need"]').bounding_box() is not None
        # the buttons come before the news
        news = page.locator("#news").bounding_box()
        assert news is not None and news["y"] > check_in["y"]

        switch = page.locator("header .langs summary")
        box = switch.bounding_box()
        assert box is not None and box["height"] < 60, box  # one line
        assert switch.inner_text().replace("\n", " ").startswith(i18n.LANGUAGES[lang].name)
        others = page.locator("header .langs ul a")
        assert not others.first.is_visible()  # closed until asked
        switch.click()
        page.screenshot(path=str(SHOTS / f"{lang}-languages-open.png"))
        assert others.count() == len(i18n.LANGUAGES) - 1
        target = "en" if lang != "en" else "nl"
        page.locator(f'header .langs a[hreflang="{target}"]').click()
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == target
    finally:
        context.close()


def test_the_not_found_page_shows_the_way_to_the_forms(browser: Browser, hub_live: LiveServer) -> None:
    context = browser.new_context(java_script_enabled=False, viewport=OLD_PHONE, locale="tr-TR")
    page = context.new_page()
    try:
        response = page.goto(f"{hub_live.url}/nieuws/2026/stroomstoring")
        assert response is not None and response.status == 404
        assert page.locator("html").get_attribute("lang") == "tr"
        page.screenshot(path=str(SHOTS / "tr-not-found.png"))
        check_in = page.locator('main a.button[href="/checkin"]').bounding_box()
        assert check_in is not None
        assert check_in["y"] + check_in["height"] <= OLD_PHONE["height"]
        page.locator('main a.button[href="/checkin"]').click()
        page.wait_for_load_state()
        assert page.url.endswith("/checkin")
        assert page.locator("form").count() == 1
    finally:
        context.close()
