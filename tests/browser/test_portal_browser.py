"""A resident on a phone walks through the whole portal in real Chromium.

Once in Dutch with JavaScript, once in English without it (like Apple's captive sheet).
Every request the browser makes is recorded: none may leave the hub. Screenshots of every
page go to artifacts/screenshots/.
"""

from __future__ import annotations

import pytest
from sqlmodel import SQLModel, func, select

from hub.models import CheckIn, Household, Need, Offer
from tests.browser.conftest import Visit
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

WORDS = {
    "nl": {
        "checkin": "Laat weten hoe het gaat",
        "need": "Hulp vragen",
        "offer": "Hulp aanbieden",
        "register": "Huishouden aanmelden dat extra zorg nodig heeft",
        "send": "Versturen",
        "saved": "Dank u wel. Het is opgeslagen.",
        "check": "Kijk dit na",
        "ok": "Met ons gaat het goed",
        "device": "Medisch apparaat op stroom",
        "life": "Levensgevaar",
        "call112": "Bel nu 112.",
        "car": "Een auto om te rijden",
        "neighbour": "Voor een buur, met toestemming van die buur",
        "pregnant": "Iemand die zwanger is",
        "agree": "Ik geef toestemming",
        "share": "U mag het ook delen",
        "address_error": "Vul uw straat en huisnummer in",
    },
    "en": {
        "checkin": "Tell us how you are",
        "need": "Ask for help",
        "offer": "Offer help",
        "register": "Sign up a household that needs extra care",
        "send": "Send",
        "saved": "Thank you. It is saved.",
        "check": "Please check this",
        "ok": "We are OK",
        "device": "Medical device on power",
        "life": "Life-threatening",
        "call112": "Call 112 now.",
        "car": "A car for transport",
        "neighbour": "For a neighbour, with their permission",
        "pregnant": "Someone who is pregnant",
        "agree": "I agree that the hub saves this information",
        "share": "You may also share it",
        "address_error": "Fill in your street and house number",
    },
}


def count(live: LiveServer, model: type[SQLModel]) -> int:
    with live.hub.db.read() as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def send(visit: Visit, words: dict[str, str]) -> None:
    visit.page.get_by_role("button", name=words["send"]).click()
    visit.page.wait_for_load_state()


def walk_the_portal(visit: Visit, lang: str) -> None:
    page, words = visit.page, WORDS[lang]
    page.goto(f"{visit.hub_url}/?lang={lang}")
    assert page.locator("html").get_attribute("lang") == lang
    visit.shoot(f"{lang}-home")

    # Check in; first send it empty: the errors say what to fix, in this language.
    page.get_by_role("link", name=words["checkin"]).click()
    visit.shoot(f"{lang}-checkin")
    send(visit, words)
    assert page.get_by_role("heading", name=words["check"]).is_visible()
    assert page.locator("#e-address").inner_text().startswith(words["address_error"])
    visit.shoot(f"{lang}-checkin-errors")
    page.fill("#f-address", "Kerkstraat 5")
    page.get_by_role("radio", name=words["ok"]).check()
    page.fill("#f-people", "2")
    send(visit, words)
    assert page.get_by_text(words["saved"]).is_visible()
    assert page.get_by_text("Kerkstraat 5").is_visible()
    visit.shoot(f"{lang}-checkin-saved")

    # A life-threatening need: the form says "call 112 first" beside the option, without JS.
    page.goto(f"{visit.hub_url}/")
    page.get_by_role("link", name=words["need"]).click()
    assert page.locator("#life-notice").is_visible()
    visit.shoot(f"{lang}-need")
    page.fill("#f-address", "Dorpsstraat 21")
    page.get_by_role("radio", name=words["device"]).check()
    page.get_by_role("radio", name=words["life"]).check()
    page.fill("#f-description", "Zuurstofapparaat, geen stroom")
    send(visit, words)
    assert page.get_by_text(words["call112"]).is_visible()
    assert page.get_by_text(words["saved"]).is_visible()
    visit.shoot(f"{lang}-need-life-saved")

    page.goto(f"{visit.hub_url}/")
    page.get_by_role("link", name=words["offer"]).click()
    visit.shoot(f"{lang}-offer")
    page.get_by_role("radio", name=words["car"]).check()
    page.fill("#f-description", "Ik kan water halen bij het uitdeelpunt")
    page.fill("#f-contact", "06 12345678")
    send(visit, words)
    assert page.get_by_text(words["saved"]).is_visible()
    visit.shoot(f"{lang}-offer-saved")

    page.goto(f"{visit.hub_url}/")
    page.get_by_role("link", name=words["register"]).click()
    visit.shoot(f"{lang}-register")
    page.get_by_role("radio", name=words["neighbour"]).check()
    page.fill("#f-address", "Kerkstraat 7")
    page.get_by_role("checkbox", name=words["pregnant"]).check()
    page.get_by_role("checkbox", name=words["agree"]).check()
    page.fill("#f-given_by", "Fatima de Boer")
    page.get_by_role("checkbox", name=words["share"]).check()
    send(visit, words)
    assert page.get_by_text(words["saved"]).is_visible()
    assert page.get_by_text("Fatima de Boer").is_visible()
    visit.shoot(f"{lang}-register-saved")

    for path in ("announcements", "privacy"):
        page.goto(f"{visit.hub_url}/{path}")
        visit.shoot(f"{lang}-{path}")


def assert_everything_stayed_on_the_hub(visit: Visit) -> None:
    assert any(url.endswith("/static/portal.css") for url in visit.requests)
    assert any("/static/icons.svg" in url for url in visit.requests)
    assert visit.foreign_requests() == []


def test_dutch_resident_with_javascript(phone: Visit, live: LiveServer) -> None:
    walk_the_portal(phone, "nl")
    assert_everything_stayed_on_the_hub(phone)
    for model in (CheckIn, Need, Offer, Household):
        assert count(live, model) == 1
    with live.hub.db.read() as session:
        assert session.exec(select(Need)).one().urgency == "life"
        household = session.exec(select(Household)).one()
    assert household.special_attention == ["pregnant"]
    assert household.consent_share_upstream is True


def test_english_resident_without_javascript(phone_without_js: Visit, live: LiveServer) -> None:
    walk_the_portal(phone_without_js, "en")
    assert_everything_stayed_on_the_hub(phone_without_js)
    for model in (CheckIn, Need, Offer, Household):
        assert count(live, model) == 1


def test_the_language_switch_is_two_taps(phone_without_js: Visit) -> None:
    page = phone_without_js.page
    page.goto(f"{phone_without_js.hub_url}/need")
    assert page.locator("html").get_attribute("lang") == "en"  # the phone says English
    page.get_by_text("Other languages").click()
    page.get_by_role("link", name="Nederlands").click()
    assert page.locator("html").get_attribute("lang") == "nl"
    assert page.get_by_role("heading", name="Hulp vragen").is_visible()
    page.goto(f"{phone_without_js.hub_url}/offer")
    assert page.locator("html").get_attribute("lang") == "nl"  # remembered


PAGES = (
    "/",
    "/checkin",
    "/need",
    "/offer",
    "/register",
    "/announcements",
    "/privacy",
    "/selfcheck",
    "/volunteer",
)
TARGETS = ".button, .card, .check, .langs summary, footer a, .brand"


def test_fits_a_320_pixel_screen_with_large_targets(phone: Visit) -> None:
    page = phone.page
    page.set_viewport_size({"width": 320, "height": 640})
    for path in PAGES:
        page.goto(f"{phone.hub_url}{path}")
        overflow = page.evaluate("(e => e.scrollWidth - e.clientWidth)(document.documentElement)")
        assert overflow <= 0, (path, overflow)
        small = page.evaluate(
            """(selector) => [...document.querySelectorAll(selector)]
                .map(e => [e.textContent.trim().slice(0, 30), e.getBoundingClientRect().height])
                .filter(([, h]) => h < 44)""",
            TARGETS,
        )
        assert small == [], (path, small)
        font = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        assert font >= 16
    phone.shoot("nl-home-320px")
