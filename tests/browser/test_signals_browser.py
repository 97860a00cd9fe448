"""Signals in real Chromium: the portal's concern form on an old phone (360 × 740) in Dutch and
English without JavaScript, the coordinators' worklist and the dashboard with a signal about
danger to life; axe-core finds 0 violations; screenshots go to artifacts/screenshots/signals/."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from hub.config import load_settings
from hub.schemas import Consent, HouseholdCreate, SignalCreate
from hub.services import drills, residents, signals
from tests.admin.conftest import PASSWORD, make_user
from tests.browser.conftest import OLD_PHONE, SCREENSHOTS
from tests.browser.test_accessibility import audit
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

SHOTS = SCREENSHOTS / "signals"


@pytest.fixture(scope="module")
def signal_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Crisis mode; a special-attention household; signals of every kind: danger to life, one
    about that household, two about one address (a likely duplicate), one closed."""
    settings = load_settings(
        data_dir=tmp_path_factory.mktemp("signals") / "data",
        rate_limit=0,
        secret_key="test-secret-key-0123456789-abcdefghijklmnop",
    )
    with LiveServer(settings) as live:
        make_user(live.hub, "coord")

        def seed(session: Any) -> None:
            ctx = live.hub.ctx
            drills.set_mode(session, ctx, "crisis", actor="test")
            household = HouseholdCreate(
                address="Kerkstraat 7", special_attention=["alone_75plus"], consent=Consent(given_by="Mw. K")
            )
            residents.register_household(session, ctx, household)
            for fields in (
                {"category": "not_seen", "address": "Molenweg 12", "description": "Buurvrouw niet gezien"},
                {"category": "not_seen", "address": "Molenweg 12", "description": "Nummer 12 doet niet open"},
                {"category": "care", "address": "Kerkstraat 7", "description": "Gordijnen twee dagen dicht"},
                {
                    "category": "building",
                    "address": "Flat B",
                    "description": "Lift kapot, mevrouw in rolstoel",
                },
                {"category": "street_danger", "life": True, "description": "Gaslucht bij de speeltuin"},
            ):
                signals.create_signal(session, ctx, SignalCreate(**fields))  # type: ignore[arg-type]
            done = signals.create_signal(
                session,
                ctx,
                SignalCreate(category="other", description="Losse tegel", address="Schoolplein 1"),
            )
            signals.act(session, ctx, done.id, actor="coord", action="partner", routed_to="Woningcorporatie")
            signals.close(session, ctx, done.id, actor="coord")

        live.hub.db.writer.run_sync(seed)
        yield live


def log_in(page: Page, live: LiveServer) -> None:
    page.goto(f"{live.url}/admin/login")
    page.fill("input[name=name]", "coord")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live.url}/admin")


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_concern_form_on_an_old_phone(browser: Browser, signal_hub: LiveServer, lang: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    axe_page = browser.new_context(bypass_csp=True, viewport=OLD_PHONE)
    context = browser.new_context(java_script_enabled=False, viewport=OLD_PHONE, locale="nl-NL")
    page = context.new_page()
    found: list[str] = []
    try:
        page.goto(f"{signal_hub.url}/?lang={lang}")
        page.screenshot(path=str(SHOTS / f"{lang}-home.png"))
        check_in = page.locator('main a.button[href="/checkin"]').bounding_box()
        assert check_in is not None and check_in["y"] + check_in["height"] <= OLD_PHONE["height"]
        page.locator('main a.button[href="/signal"]').click()
        page.wait_for_load_state()
        assert page.url.endswith("/signal")
        page.screenshot(path=str(SHOTS / f"{lang}-form.png"), full_page=True)
        page.locator("form button[type=submit]").click()  # empty: the errors
        page.wait_for_load_state()
        assert page.locator(".error-summary").is_visible()
        page.screenshot(path=str(SHOTS / f"{lang}-form-errors.png"), full_page=True)
        page.check("input[name=category][value=not_seen]")
        page.check("input[name=life][value=yes]")
        page.fill("#f-address", "Molenweg 14")
        page.fill("#f-description", "Meneer op 14 reageert niet, rook uit het raam")
        page.locator("form button[type=submit]").click()
        page.wait_for_load_state()
        assert "/bedankt/signal/" in page.url
        assert page.locator(".call112[role=alert] a[href='tel:112']").is_visible()
        page.screenshot(path=str(SHOTS / f"{lang}-saved.png"), full_page=True)
        checker = axe_page.new_page()
        for url in (f"{signal_hub.url}/signal?lang={lang}", page.url):
            checker.goto(url)
            found.extend(audit(checker, _axe()))
    finally:
        context.close()
        axe_page.close()
    assert found == []


def _axe() -> str:
    from tests.browser.test_accessibility import AXE, AXE_HINT

    if not AXE.exists():
        pytest.fail(AXE_HINT, pytrace=False)
    return AXE.read_text(encoding="utf-8")


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_worklist_and_the_dashboard(browser: Browser, signal_hub: LiveServer, lang: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    found: list[str] = []
    for viewport, name in ((OLD_PHONE, "phone"), ({"width": 1280, "height": 900}, "wide")):
        context = browser.new_context(bypass_csp=True, viewport=viewport)
        page = context.new_page()
        try:
            log_in(page, signal_hub)
            for path in ("/admin/signals", "/admin/signals?error=signal_step", "/admin"):
                joiner = "&" if "?" in path else "?"
                page.goto(f"{signal_hub.url}{path}{joiner}lang={lang}")
                assert page.locator("html").get_attribute("lang") == lang
                found.extend(audit(page, _axe()))
                width = page.evaluate("() => [document.documentElement.scrollWidth, innerWidth]")
                assert width[0] <= width[1], (path, name, width)  # no sideways scrolling
                shot = path.strip("/").replace("/", "-").replace("?", "-").replace("=", "-")
                page.screenshot(path=str(SHOTS / f"{lang}-{name}-{shot}.png"), full_page=True)
            page.goto(f"{signal_hub.url}/admin?lang={lang}")
            now = page.locator("#life-signals")
            assert now.is_visible() and "Gaslucht bij de speeltuin" in now.inner_text()
            page.goto(f"{signal_hub.url}/admin/signals?lang={lang}")
            rows = page.locator("#worklist + table tbody tr").all_inner_texts()
            where = {
                word: next(i for i, row in enumerate(rows) if word in row)
                for word in ("Gaslucht", "Gordijnen", "Buurvrouw")
            }
            assert where["Gaslucht"] < where["Gordijnen"] < where["Buurvrouw"]  # life, attention, the rest
            assert ("extra aandacht" if lang == "nl" else "special-attention household") in rows[
                where["Gordijnen"]
            ]
            assert "LEVENSGEVAAR" in rows[where["Gaslucht"]] or "DANGER TO LIFE" in rows[where["Gaslucht"]]
        finally:
            context.close()
    assert found == []


def test_a_coordinator_triages_in_the_browser_without_javascript(
    browser: Browser, signal_hub: LiveServer
) -> None:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        log_in(page, signal_hub)
        page.goto(f"{signal_hub.url}/admin/signals?lang=en")
        row = page.locator("tr.signal", has_text="Lift kapot")
        row.get_by_role("button", name="I am looking at it").click()
        page.wait_for_load_state()
        assert "ok=signal_looked_at" in page.url
        row = page.locator("tr.signal", has_text="Lift kapot")
        assert "looked at" in row.inner_text() and "coord" in row.inner_text()
        row.locator("select[name=action]").select_option("partner")
        row.locator("input[name=routed_to]").fill("Woningcorporatie Oost")
        row.get_by_role("button", name="Record this step").click()
        page.wait_for_load_state()
        row = page.locator("tr.signal", has_text="Lift kapot")
        assert "routed to: Woningcorporatie Oost" in row.inner_text()
        row.get_by_role("button", name="Close").click()
        page.wait_for_load_state()
        assert page.locator("tr.signal", has_text="Lift kapot").count() == 0
        page.screenshot(path=str(SHOTS / "en-wide-after-triage.png"), full_page=True)
    finally:
        context.close()
