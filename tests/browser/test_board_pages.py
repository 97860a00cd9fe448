"""The portal's board in normal mode and the new pages in real Chromium: axe-core 0 violations
in every language (the board with activities, the self-check and its saved list, the printed
list, the volunteer form), the admin's activities, offers and readiness in Dutch and English,
and screenshots at 360 × 740 in Dutch and English (artifacts/screenshots/board/)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser

from hub import i18n
from hub.config import load_settings
from hub.demo import seed_if_empty
from hub.services import readiness
from tests.admin.conftest import PASSWORD, make_user
from tests.board.conftest import token
from tests.browser.conftest import OLD_PHONE, SCREENSHOTS
from tests.browser.test_accessibility import AXE, AXE_HINT, audit
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser
SHOTS = SCREENSHOTS / "board"


@pytest.fixture(scope="module")
def axe() -> str:
    if not AXE.exists():
        pytest.fail(AXE_HINT, pytrace=False)
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def board_live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A hub in normal mode with the demo's data and register (its board: two activities,
    self-checks, a resident's offer to volunteer)."""
    settings = load_settings(
        data_dir=tmp_path_factory.mktemp("board") / "data",
        rate_limit=0,
        secret_key="test-secret-key-0123456789-abcdefghijklmnop",
    )
    with LiveServer(settings) as live:
        seed_if_empty(live.hub)
        make_user(live.hub, "coord")
        # the demo's board: two activities, self-checks and an offer to volunteer; and a section
        readiness.define_section(live.hub.store, "Kerkstraat 2-60", "Kerkstraat", 2, 60, actor="test")
        yield live


def sent(live: LiveServer, path: str, data: dict[str, Any], lang: str) -> str:
    with httpx.Client(base_url=live.url) as http:
        answer = http.post(f"{path}?lang={lang}", data={**data, "token": token(http, f"{path}?lang={lang}")})
        assert answer.status_code == 303, answer.text[:300]
        return live.url + answer.headers["location"]


@pytest.mark.parametrize("lang", list(i18n.LANGUAGES))
def test_the_board_pages_pass_axe_in_every_language(
    browser: Browser,
    board_live: LiveServer,
    axe: str,
    lang: str,
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(bypass_csp=True, viewport=OLD_PHONE, locale="en-GB")
    page = context.new_page()
    found: list[str] = []
    url = board_live.url

    def check(address: str, shot: str) -> None:
        page.goto(address)
        assert page.locator("html").get_attribute("lang") == lang, address
        found.extend(audit(page, axe))
        if lang in ("nl", "en"):
            page.screenshot(path=str(SHOTS / f"{lang}-{shot}.png"))  # the first screen
            page.screenshot(path=str(SHOTS / f"{lang}-{shot}-full.png"), full_page=True)

    try:
        check(f"{url}/?lang={lang}", "home")
        assert page.locator(".activity").count() == 2
        assert page.locator('main a.button[href="/selfcheck"]').is_visible()
        check(f"{url}/selfcheck?lang={lang}", "selfcheck")
        page.fill("#f-people", "veel")
        page.locator("form button[type=submit]").click()
        page.wait_for_load_state()
        assert page.locator(".error-summary").count() == 1
        found.extend(audit(page, axe))
        if lang in ("nl", "en"):
            page.screenshot(path=str(SHOTS / f"{lang}-selfcheck-errors.png"), full_page=True)
        saved = sent(board_live, "/selfcheck", {"items": ["water", "radio"], "people": "2",
                                                "address": "Kerkstrat 8"}, lang)  # fmt: skip
        check(saved, "selfcheck-saved")
        assert page.locator("#not-in-register").count() == 1  # a typo: kept, and said so
        printable = page.locator("a[href^='/selfcheck/print?id=']").get_attribute("href")
        assert printable
        check(f"{url}{printable}", "selfcheck-print")
        page.emulate_media(media="print")
        assert not page.locator("header.noprint").is_visible()  # no links on paper
        if lang in ("nl", "en"):
            page.pdf(path=str(SHOTS / f"{lang}-selfcheck-print.pdf"), format="A4")
        page.emulate_media(media="screen")
        check(f"{url}/volunteer?lang={lang}", "volunteer")
        page.locator("form button[type=submit]").click()
        page.wait_for_load_state()
        assert page.locator("[aria-invalid=true]").count() >= 1
        found.extend(audit(page, axe))
        check(sent(board_live, "/volunteer", {"name": "Jan Jansen", "address": "Kerkstraat 10",
                                              "contact": "06 1111", "has_handset": "no"}, lang),
              "volunteer-saved")  # fmt: skip
        check(f"{url}/register?for=neighbour&lang={lang}", "register-neighbour")
        assert page.locator("input[name=registered_by][value=neighbour]").is_checked()
    finally:
        context.close()
    assert found == []


def test_the_admin_pages_pass_axe(
    browser: Browser,
    board_live: LiveServer,
    axe: str,
) -> None:
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    found: list[str] = []
    try:
        page.goto(f"{board_live.url}/admin/login")
        page.fill("input[name=name]", "coord")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{board_live.url}/admin")
        for lang in ("nl", "en"):
            for path in ("/admin/activities", "/admin/activities?error=invalid&field=when",
                         "/admin/volunteers", "/admin/readiness"):  # fmt: skip
                joiner = "&" if "?" in path else "?"
                page.goto(f"{board_live.url}{path}{joiner}lang={lang}")
                found.extend(audit(page, axe))
                name = path.strip("/").replace("/", "-").split("?")[0]
                page.screenshot(path=str(SHOTS / f"{lang}-{name}.png"), full_page=True)
            page.set_viewport_size(OLD_PHONE)
            page.goto(f"{board_live.url}/admin/readiness?lang={lang}")
            width = page.evaluate(
                "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            assert width[0] <= width[1], width  # the self-check table becomes cards on a phone
            page.set_viewport_size({"width": 1280, "height": 900})
    finally:
        context.close()
    assert found == []
