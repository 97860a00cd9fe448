"""The partner pages in headless Chromium (issue #18), in Dutch and English: axe-core finds no
WCAG 2.1 A/AA violation on the coordinators' partners page, a household's consent per partner,
the offers page with its paper-volunteer form, a partner's own page (before and after it confirms
a household reached) and the portal's register form naming the partners; no page scrolls
sideways on a phone. Screenshots go to artifacts/screenshots/partners/; look at them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page
from sqlmodel import select

from hub import i18n
from hub.config import load_settings
from hub.models import Household, PartnerConsent
from tests.admin.conftest import PASSWORD, make_user
from tests.admin.sample import PARTNER_LOGIN, PARTNER_PASSWORD, fill
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_accessibility import AXE, AXE_HINT, audit
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

SHOTS = SCREENSHOTS / "partners"
PHONE = {"width": 360, "height": 740}
WIDEST = """() => [...document.querySelectorAll("body *")]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
  .slice(0, 8).map(e => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)"""
DESK = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def axe_js() -> str:
    if not AXE.exists():
        pytest.fail(AXE_HINT, pytrace=False)
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def partner_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    settings = load_settings(
        data_dir=tmp_path_factory.mktemp("partners") / "data",
        rate_limit=0,
        secret_key="test-secret-key-0123456789-abcdefghijklmnop",
    )
    with LiveServer(settings) as live:
        fill(live.hub)  # the demo in crisis mode, a home-care team sharing two households, ...
        make_user(live.hub, "coord")
        yield live


def log_in(
    browser: Browser, live: LiveServer, name: str, password: str, lands: str, viewport: dict[str, int]
) -> Page:
    page = browser.new_context(bypass_csp=True, viewport=viewport).new_page()  # type: ignore[arg-type]
    page.goto(f"{live.url}/admin/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live.url}{lands}")
    return page


def too_wide(page: Page) -> bool:
    """Whether the page scrolls sideways."""
    return bool(
        page.evaluate("() => document.documentElement.scrollWidth > document.documentElement.clientWidth")
    )


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_coordinators_partner_pages_pass_axe(
    browser: Browser,
    partner_hub: LiveServer,
    axe_js: str,
    lang: str,
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with partner_hub.hub.db.read() as session:
        shared = session.exec(select(PartnerConsent.household_id)).first()
    assert shared is not None
    page = log_in(browser, partner_hub, "coord", PASSWORD, "/admin", DESK)
    found: list[str] = []
    try:
        for name, path in (
            ("partners", "/admin/partners"),
            ("household-consent", f"/admin/households?edit={shared}"),
            ("offers", "/admin/offers"),
            ("tasks", "/admin/tasks"),
            ("volunteers", "/admin/volunteers"),
        ):
            joiner = "&" if "?" in path else "?"
            page.goto(f"{partner_hub.url}{path}{joiner}lang={lang}")
            for details in page.locator("main details").all():  # open the forms for axe and the picture
                details.evaluate("d => d.open = true")
            found.extend(audit(page, axe_js))
            page.screenshot(path=str(SHOTS / f"{lang}-{name}.png"), full_page=True)
        # a new token is shown once, on the page that answers the form
        page.goto(f"{partner_hub.url}/admin/partners?lang={lang}")
        page.locator("main details").nth(2).evaluate("d => d.open = true")
        page.fill("input[name=name] >> nth=2", "app")
        page.locator("button", has_text={"nl": "Token maken", "en": "Create token"}[lang]).click()
        assert page.locator("code.token").inner_text().startswith("bb_")
        found.extend(audit(page, axe_js))
        page.screenshot(path=str(SHOTS / f"{lang}-partners-new-token.png"), full_page=True)
        page.set_viewport_size(PHONE)
        for path in ("/admin/partners", f"/admin/households?edit={shared}", "/admin/offers"):
            page.goto(f"{partner_hub.url}{path}")
            assert not too_wide(page), path
    finally:
        page.context.close()
    assert found == []


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_a_partners_own_page_passes_axe_and_confirms_a_household_reached(
    browser: Browser,
    partner_hub: LiveServer,
    axe_js: str,
    lang: str,
) -> None:
    page = log_in(browser, partner_hub, PARTNER_LOGIN, PARTNER_PASSWORD, "/admin/partner", DESK)
    found: list[str] = []
    try:
        page.goto(f"{partner_hub.url}/admin/partner?lang={lang}")
        assert page.locator("html").get_attribute("lang") == lang
        found.extend(audit(page, axe_js))
        page.screenshot(path=str(SHOTS / f"{lang}-partner-page.png"), full_page=True)
        # no coordinators' menu: one page, and logging out
        assert page.locator("a[href='/admin/households']").count() == 0
        row = page.locator("table.partner-households tbody tr").nth({"nl": 0, "en": 1}[lang])
        address = row.locator("td.addr").inner_text()
        row.locator("input[name=note]").fill({"nl": "thuiszorg geweest", "en": "home care visited"}[lang])
        row.locator("button[value={}]".format({"nl": "ok", "en": "help"}[lang])).click()
        page.wait_for_url(f"{partner_hub.url}/admin/partner?ok=reached_saved")
        assert page.locator("p.notice").count() == 1
        done_row = page.locator("table.partner-households tbody tr", has_text=address)
        assert "✓" in done_row.inner_text()
        found.extend(audit(page, axe_js))
        page.screenshot(path=str(SHOTS / f"{lang}-partner-reached.png"), full_page=True)
        page.set_viewport_size(PHONE)
        page.goto(f"{partner_hub.url}/admin/partner")
        page.screenshot(path=str(SHOTS / f"{lang}-partner-phone.png"), full_page=True)
        assert not too_wide(page), page.evaluate(WIDEST)
    finally:
        page.context.close()
    assert found == []


def test_the_register_form_names_the_partners_in_every_language(
    browser: Browser,
    partner_hub: LiveServer,
    axe_js: str,
) -> None:
    context = browser.new_context(bypass_csp=True, viewport=PHONE)  # type: ignore[arg-type]
    page = context.new_page()
    found: list[str] = []
    try:
        for lang in i18n.LANGUAGES:
            page.goto(f"{partner_hub.url}/register?lang={lang}")
            assert page.locator("input[name=share_partner]").count() == 1
            assert page.locator("input[name=share_contact]").count() == 1
            assert "Thuiszorg West" in page.locator("main").inner_text()
            found.extend(audit(page, axe_js))
            assert not too_wide(page), lang
            page.screenshot(path=str(SHOTS / f"{lang}-register.png"), full_page=True)
        # the contact box without its partner's: the error names it, nothing is saved
        page.goto(f"{partner_hub.url}/register?lang=en")
        page.check("input[value=self]")
        page.fill("#f-address", "Molenweg 77")
        page.check("input[name=special_attention] >> nth=0")
        page.check("#f-agree")
        page.fill("#f-given_by", "Mevrouw Jansen")
        page.check("input[name=share_contact]")
        page.click("button[type=submit]")
        assert "Tick both, or neither" in page.locator("#problem").inner_text()
        found.extend(audit(page, axe_js))
        page.screenshot(path=str(SHOTS / "en-register-error.png"), full_page=True)
        with partner_hub.hub.db.read() as session:
            assert session.exec(select(Household).where(Household.address == "Molenweg 77")).first() is None
    finally:
        context.close()
    assert found == []
