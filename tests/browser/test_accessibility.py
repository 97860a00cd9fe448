"""WCAG 2.1 A/AA in real Chromium: axe-core on every portal page in every language, the main
admin pages, the printed flyer and poster; forms by keyboard alone; 200 % zoom on a small phone.

axe-core comes from the npm registry, pinned in tests/browser/axe/package.json; install it with
``npm ci --prefix tests/browser/axe`` before the tests (a missing axe fails, it does not skip).
Screenshots of every portal page in every language go to artifacts/screenshots/i18n/.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page

from hub import i18n
from tests.admin.conftest import PASSWORD
from tests.browser.conftest import SCREENSHOTS
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
AXE_HINT = "axe-core is missing: run `npm ci --prefix tests/browser/axe` first"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SHOTS = SCREENSHOTS / "i18n"
PORTAL_PAGES = [
    "/",
    "/checkin",
    "/need",
    "/offer",
    "/register",
    "/signal",
    "/announcements",
    "/privacy",
    "/selfcheck/print",  # the empty kit list on paper
    "/bedankt/checkin/gone",  # the not-found page
    "/an/old/link",  # any unknown address: the same page
]
FORMS = ["/checkin", "/need", "/offer", "/register", "/signal", "/selfcheck", "/volunteer"]
TOKEN = re.compile(r'name="token" value="([^"]+)"')


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        pytest.fail(AXE_HINT, pytrace=False)
    return AXE.read_text(encoding="utf-8")


def audit(page: Page, axe_source: str) -> list[str]:
    """axe-core's WCAG 2.1 A/AA violations on the page, one line per rule and element."""
    page.add_script_tag(content=axe_source)
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_21_AA
    )
    return [
        f"{page.url}: {violation['id']} ({violation['impact']}) at {node['target']}: {node['failureSummary']}"
        for violation in result["violations"]
        for node in violation["nodes"]
    ]


def saved_page(live: LiveServer, form: str, lang: str) -> str:
    """The confirmation page of a form sent over HTTP (a life-threatening need: the 112 box)."""
    data = {
        "/checkin": {"address": "Kerkstraat 5", "status": "help", "people": "2"},
        "/need": {
            "address": "Kerkstraat 5",
            "category": "medicine",
            "urgency": "life",
            "description": "insuline",
        },
        "/offer": {"category": "car", "description": "Auto, zaterdag", "contact": "06 1234"},
        "/register": {
            "registered_by": "neighbour",
            "address": "Kerkstraat 7",
            "special_attention": "alone_75plus",
            "agree": "yes",
            "given_by": "J. de Vries",
        },
        "/signal": {  # danger to life: the 112 box
            "category": "street_danger",
            "life": "yes",
            "address": "Molenweg 3",
            "description": "Gaslucht bij de speeltuin",
        },
        "/selfcheck": {"items": ["water", "torch"], "check_on": "yes", "address": "Kerkstraat 9"},
        "/volunteer": {
            "name": "S. Amrani",
            "address": "Kerkstraat 9",
            "contact": "06 1234",
            "has_handset": "no",
        },
    }[form]
    with httpx.Client(base_url=live.url) as http:
        token = TOKEN.search(http.get(f"{form}?lang={lang}").text)
        assert token
        sent = http.post(f"{form}?lang={lang}", data={**data, "token": token[1]})
        assert sent.status_code == 303, sent.text[:300]
        return live.url + sent.headers["location"]


@pytest.mark.parametrize("lang", list(i18n.LANGUAGES))
def test_every_portal_page_passes_axe(
    browser: Browser, hub_live: LiveServer, axe_source: str, lang: str
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(bypass_csp=True, viewport={"width": 360, "height": 740}, locale="en-GB")
    page = context.new_page()
    found: list[str] = []
    direction = "rtl" if i18n.LANGUAGES[lang].rtl else "ltr"

    def check(url: str, shot: str) -> None:
        page.goto(url)
        assert page.locator("html").get_attribute("lang") == lang, url
        assert page.locator("html").get_attribute("dir") == direction, url
        found.extend(audit(page, axe_source))
        page.screenshot(path=str(SHOTS / f"{lang}-{shot}.png"), full_page=True)

    try:
        for path in PORTAL_PAGES:
            check(f"{hub_live.url}{path}?lang={lang}", path.strip("/").replace("/", "-") or "home")
        for form in FORMS:
            page.goto(f"{hub_live.url}{form}?lang={lang}")
            if form == "/selfcheck":  # every answer may be empty: a wrong number is the error
                page.fill("#f-people", "veel")
            page.locator("form button[type=submit]").click()  # empty: the error state
            page.wait_for_load_state()
            assert page.locator(".error-summary").count() == 1
            assert page.locator("[aria-invalid=true]").count() >= 1
            found.extend(audit(page, axe_source))
            page.screenshot(path=str(SHOTS / f"{lang}-{form.strip('/')}-errors.png"), full_page=True)
            check(saved_page(hub_live, form, lang), f"{form.strip('/')}-saved")
    finally:
        context.close()
    assert found == []


ADMIN_PAGES = [
    "/admin",
    "/admin/needs",
    "/admin/checkins",  # the help worklist with its forms, and delete buttons
    "/admin/offers",
    "/admin/tasks",
    "/admin/households",
    "/admin/announcements",
    "/admin/announcements?error=invalid&field=title",  # a form's error state
    "/admin/tasks?need=&error=invalid&field=address",
    "/admin/volunteers?ok=volunteer_added",
    "/admin/export",
    "/admin/access",
    "/admin/readiness",  # the demo's sample register (hub/data/sample-addresses.csv)
    "/admin/map",
    "/admin/map?paper=a3",
    "/admin/readiness?paper=a4",
    "/admin/addresses",
    "/admin/addresses/1",
    "/admin/checkins?status=help&q=Dorpsstraat 21",  # a search that finds, with its filter
    "/admin/needs?status=closed&q=nergens",  # a search that finds nothing
    "/admin/addresses/outside",
    "/admin/supplies",  # the supply request form and its (empty) list
]


def test_main_admin_pages_and_paper_pass_axe(browser: Browser, hub_live: LiveServer, axe_source: str) -> None:
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    found: list[str] = []
    try:
        page.goto(f"{hub_live.url}/admin/login?failed=wrong")
        found.extend(audit(page, axe_source))
        page.fill("input[name=name]", "coord")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{hub_live.url}/admin")
        for lang in ("nl", "en"):
            for path in ADMIN_PAGES:
                joiner = "&" if "?" in path else "?"
                page.goto(f"{hub_live.url}{path}{joiner}lang={lang}")
                assert page.locator("html").get_attribute("lang") == lang
                found.extend(audit(page, axe_source))
        for lang in i18n.LANGUAGES:
            for kind in ("flyer", "poster"):
                page.goto(f"{hub_live.url}/admin/print/{kind}?lang={lang}")
                found.extend(audit(page, axe_source))
                page.screenshot(path=str(SHOTS / f"{lang}-print-{kind}.png"), full_page=True)
    finally:
        context.close()
    assert found == []


def test_axe_finds_a_violation_when_there_is_one(browser: Browser, axe_source: str) -> None:
    """The audit can fail: an unlabelled field and grey-on-grey text are caught."""
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    try:
        page.set_content(
            '<html lang="en"><body><main><input type="text">'
            '<p style="color:#aaa;background:#bbb">faint</p></main></body></html>'
        )
        rules = {line.split(": ")[1].split(" ")[0] for line in audit(page, axe_source)}
    finally:
        context.close()
    assert {"label", "color-contrast"} <= rules
