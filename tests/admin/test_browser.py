"""The admin pages in headless Chromium: stored XSS stays inert; a whole crisis evening; prints.

Screenshots of every admin page go to artifacts/screenshots/admin/ (git-ignored).
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from sqlmodel import select

from hub.config import load_settings
from hub.demo import seed_if_empty
from hub.jobs import escalation_job
from hub.mesh.link import MeshLink
from hub.models import Household, MeshMessage, Task
from hub.runtime import Hub
from hub.services import tasks
from tests.admin.conftest import PASSWORD, make_user
from tests.conftest import LiveServer
from tests.mesh.hubmesh import wait_until

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots" / "admin"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PAGES = [
    "/admin",
    "/admin/checkins",
    "/admin/needs",
    "/admin/offers",
    "/admin/tasks",
    "/admin/volunteers",
    "/admin/households",
    "/admin/announcements",
    "/admin/messages",
    "/admin/mesh",
    "/admin/sync",
    "/admin/audit",
    "/admin/drill",
    "/admin/export",
    "/admin/print/doorknock",
    "/admin/print/tasks",
    "/admin/print/poster",
]
# Each payload tries to set window.__xss; a dialog or a changed title also counts as a hit.
XSS = [
    "<script>window.__xss=1</script>",
    "<img src=x onerror=window.__xss=1>",
    "<svg onload=window.__xss=1>",
    "<svg><script>window.__xss=1</script></svg>",
    '"><script>window.__xss=1</script>',
    "'><img src=x onerror=window.__xss=1>",
    "<body onload=window.__xss=1>",
    '<iframe src="javascript:window.parent.__xss=1"></iframe>',
    '<a href="javascript:window.__xss=1" id=xssa>x</a>',
    "<details open ontoggle=window.__xss=1>",
    "<input autofocus onfocus=window.__xss=1>",
    "<video><source onerror=window.__xss=1></video>",
    "<audio src=x onerror=window.__xss=1>",
    "<marquee onstart=window.__xss=1>",
    '<object data="javascript:window.__xss=1"></object>',
    '<embed src="javascript:window.__xss=1">',
    '<math><mi xlink:href="javascript:window.__xss=1">x</mi></math>',
    "<style>@import 'javascript:window.__xss=1';</style>",
    '<meta http-equiv="refresh" content="0;url=javascript:window.__xss=1">',
    '<base href="javascript:window.__xss=1//">',
    "<form action=javascript:window.__xss=1><button>x</button></form>",
    "<textarea></textarea><script>window.__xss=1</script>",
    "</title><script>window.__xss=1</script>",
    "</td></tr></table><script>window.__xss=1</script>",
    "<!--<script>window.__xss=1</script>-->",
    "<scr<script>ipt>window.__xss=1</scr</script>ipt>",
    "<ScRiPt>window.__xss=1</sCrIpT>",
    '<img src="x" onerror="&#119;indow.__xss=1">',
    "{{7*7}}<img src=x onerror=window.__xss=1>",
    "${window.__xss=1}<svg/onload=window.__xss=1>",
    "javascript:window.__xss=1",
    '<div style="background:url(javascript:window.__xss=1)">x</div>',
    "<select autofocus onfocus=window.__xss=1>",
    "<keygen autofocus onfocus=window.__xss=1>",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def logged_in(browser: Browser, live: LiveServer, name: str = "coord", **context: object) -> Page:
    page = browser.new_context(**context).new_page()  # type: ignore[arg-type]
    page.goto(f"{live.url}/admin/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live.url}/admin")
    return page


def test_stored_xss_is_inert_on_every_admin_page(browser: Browser, tmp_path: Path) -> None:
    """Payloads typed into the portal and sent from a handset over the (simulated) radio."""
    assert len(XSS) >= 30
    settings = load_settings(data_dir=tmp_path / "data", radio="sim", rate_limit=0)
    hub = Hub.from_settings(settings)
    link = MeshLink.from_hub(hub)
    hub.add_link(link)
    with LiveServer(settings, hub) as live, live.client() as client:
        make_user(live.hub, "coord")
        for number, payload in enumerate(XSS):
            address = f"Kerkstraat {number} {payload}"[:120]
            checkin = {"address": address, "status": "help", "note": payload[:280]}
            assert client.post("/api/v1/checkins", json=checkin).status_code == 201
            need = {"address": address, "category": "water", "urgency": "life", "description": payload}
            assert client.post("/api/v1/needs", json=need).status_code == 201
            offer = {"category": "car", "description": payload, "address": address, "contact": payload[:80]}
            assert client.post("/api/v1/offers", json=offer).status_code == 201
        assert link.simulator is not None
        handset = link.simulator.handsets[0].node_id
        wait_until(lambda: link.status()["connected"], 20, "the radio")
        for payload in XSS:
            link.simulator.send_text(handset, payload)

        def heard() -> int:
            with live.hub.db.read() as session:
                return len(session.exec(select(MeshMessage)).all())

        wait_until(lambda: heard() >= len(XSS), 30, "every payload heard from the handset")
        _assert_inert(browser, live)


def _assert_inert(browser: Browser, live: LiveServer) -> None:
    page = logged_in(browser, live)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    for path in PAGES:
        page.goto(f"{live.url}{path}")
        assert page.evaluate("() => window.__xss === undefined"), path
        assert page.locator("#xssa").count() == 0, path
        assert (
            page.locator(
                # svg.i: our own pictograms (icon sprite), not injected markup
                "main script, main img[src=x], main iframe, main svg:not(.i), main object, main embed"
            ).count()
            == 0
        ), path
    page.goto(f"{live.url}/admin/checkins")
    assert "<script>window.__xss=1</script>" in page.inner_text("main")  # shown as text, exactly as typed
    page.goto(f"{live.url}/admin/messages")
    assert "<img src=x onerror=window.__xss=1>" in page.inner_text("main")
    assert dialogs == []


def test_a_crisis_evening_in_the_browser(
    browser: Browser, live: LiveServer, client: httpx.Client, tmp_path: Path
) -> None:
    seed_if_empty(live.hub)  # SCENARIOS.md 1: eleven special-attention households, volunteers, water needs
    make_user(live.hub, "coord")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = logged_in(browser, live, viewport={"width": 1280, "height": 900})

    page.click("button[value=crisis]")
    # First it says what crisis mode sets going, and asks again; "no" changes nothing.
    assert "Switch to crisis mode?" in page.inner_text("h1")
    assert "door-knock tasks" in page.inner_text("main")
    page.click("text=No, go back")
    assert "Normal mode" in page.inner_text(".modebar")
    page.click("button[value=crisis]")
    page.click("text=Yes, switch to crisis mode")
    page.wait_for_url(f"{live.url}/admin?*")
    assert "CRISIS MODE" in page.inner_text(".modebar")
    assert page.inner_text(".figure.alert .num") == "11"  # crisis just started: nobody reached yet

    checked_in = [
        "Kerkstraat 5",
        "Kerkstraat 17",
        "Dorpsstraat 3",
        "Dorpsstraat 21",
        "Molenweg 2",
        "Molenweg 9",
        "Molenweg 14",
        "Schoolplein 1",
        "Schoolplein 6",
        "Kerkstraat 12",
    ]
    with live.hub.db.read() as session:  # the codes on the households' cards
        codes = {h.address: h.code for h in session.exec(select(Household)).all()}
    for address in checked_in:
        checkin = {"address": address, "status": "ok", "code": codes[address]}
        assert client.post("/api/v1/checkins", json=checkin).status_code == 201
    # A passer-by's "OK" for Dorpsstraat 8 without its code: shown, but still to visit.
    assert (
        client.post("/api/v1/checkins", json={"address": "Dorpsstraat 8", "status": "ok"}).status_code == 201
    )
    page.reload()
    door_knock = page.inner_text("#doorknock")
    assert "Dorpsstraat 8" in door_knock
    assert "reported OK, not verified" in door_knock or "meldt OK, niet geverifieerd" in door_knock
    assert "Kerkstraat 5" not in door_knock
    assert page.inner_text(".figure.alert .num") == "1"

    page.goto(f"{live.url}/admin/print/doorknock")
    pdf = tmp_path / "doorknock.pdf"
    page.emulate_media(media="print")
    page.pdf(path=str(pdf), format="A4")
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Dorpsstraat 8" in text
    assert all(address not in text for address in checked_in)
    assert "Log out" not in text  # the print stylesheet hides the navigation
    page.emulate_media(media="screen")

    created = escalation_job(live.hub, hours=1, mono=time.monotonic() + 3660)
    assert len(created) == 1
    task = created[0]
    assert task.status == "open"  # queued for the buddy's handset; no radio here to deliver it
    page.goto(f"{live.url}/admin")
    assert f"T{task.number}" in page.inner_text("#doorknock")
    assert "queued for radio" in page.inner_text("#tasks")
    page.screenshot(path=str(SHOTS / "walk-1-escalated.png"), full_page=True)

    live.hub.db.writer.run_sync(lambda s: tasks.accept(s, live.hub.ctx, task.id))
    page.reload()
    assert "accepted" in page.inner_text("#doorknock")
    live.hub.db.writer.run_sync(lambda s: tasks.done(s, live.hub.ctx, task.id))
    page.reload()
    assert "Every special-attention household has been reached." in page.inner_text("#doorknock")
    assert page.locator(".figure.alert").count() == 0
    with live.hub.db.read() as session:
        assert session.exec(select(Task)).one().status == "done"

    page.goto(f"{live.url}/admin/print/doorknock")
    assert "Every special-attention household has been reached." in page.inner_text("main")

    for path in PAGES:
        page.goto(f"{live.url}{path}")
        name = path.strip("/").replace("/", "-") or "admin"
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    tablet = logged_in(browser, live, viewport={"width": 800, "height": 1280})
    tablet.screenshot(path=str(SHOTS / "tablet-dashboard.png"), full_page=True)
    tablet.goto(f"{live.url}/admin/tasks")
    tablet.screenshot(path=str(SHOTS / "tablet-tasks.png"), full_page=True)


def test_dashboard_updates_live_with_javascript(
    browser: Browser, live: LiveServer, client: httpx.Client
) -> None:
    """Refreshing switched on: with JavaScript the figures change in place, without a reload."""
    make_user(live.hub, "coord")
    page = logged_in(browser, live)
    page.goto(f"{live.url}/admin?refresh=on")
    assert page.locator('meta[http-equiv="refresh"]').count() == 0  # the script took over
    page.evaluate("window.__noReload = true")
    before = page.inner_text(".figures .figure .num >> nth=0")
    assert client.post("/api/v1/checkins", json={"address": "Molenweg 77", "status": "ok"}).status_code == 201
    page.evaluate("window.dispatchEvent(new Event('focus'))")  # as when the tablet is woken up
    page.wait_for_selector("main[data-updated]", timeout=10_000)
    assert page.evaluate("window.__noReload") is True
    assert int(page.inner_text(".figures .figure .num >> nth=0")) == int(before) + 1


def test_dashboard_refresh_works_without_javascript(browser: Browser, live: LiveServer) -> None:
    make_user(live.hub, "coord")
    page = logged_in(browser, live, java_script_enabled=False)
    page.goto(f"{live.url}/admin")
    assert page.locator('meta[http-equiv="refresh"]').count() == 0  # off until asked for (WCAG 2.2.1)
    page.goto(f"{live.url}/admin?refresh=on")
    assert page.locator('meta[http-equiv="refresh"]').get_attribute("content") == "30"
