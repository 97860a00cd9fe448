"""The neighbourhood map of 2,000 addresses through the real app, in real Chromium.

A hub with a generated register of 2,000 addresses on 20 streets, in drill mode, with records
that give every status on the map a known number of dots. Proven here: ``/admin/map`` is at most
200 KB of SVG, Chromium has it loaded within a second, axe-core finds no WCAG 2.1 A/AA violation,
nothing outside the hub is requested, and the dots per status are the data's; the dashboard
carries the same map, small, each dot a link to its address's page, within the page-time budget.
The map and the readiness page print on A4 and A3 (Chromium's PDF, poppler's ``pdfinfo``,
``pdftotext`` and ``pdftoppm``): the map on one page with every street and the whole legend.
Screenshots and PDFs go to ``artifacts/``.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page
from sqlmodel import Session

from hub.config import load_settings
from hub.domain.address_map import CRISIS, STYLES, DotStatus, count_by_status
from hub.schemas import CheckInCreate, Consent, HouseholdCreate
from hub.services import address_register, address_views, drills, readiness, residents, tasks, volunteers
from hub.web.admin import addresses
from tests.admin.conftest import PASSWORD, login, make_user
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_accessibility import AXE, AXE_HINT, audit
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

PAPER = Path(__file__).resolve().parents[2] / "artifacts" / "paper"
SAMPLE = Path(__file__).resolve().parents[2] / "hub" / "data" / "sample-addresses.csv"
STREETS = (
    "Kastanjelaan",
    "Burgemeester van Heemstraweg",
    "Dorpsstraat",
    "Molenweg",
    "Kerkstraat",
    "Beukenlaan",
    "Prinses Irenestraat",
    "Schoolstraat",
    "Julianalaan",
    "Eikenlaan",
    "Koningin Wilhelminaweg",
    "Zandpad",
    "Vogelenzangseweg",
    "Lindenhof",
    "Meidoornstraat",
    "Stationsweg",
    "Hoge Larenseweg",
    "Oranjestraat",
    "Parklaan",
    "Jan van Goyenstraat",
)
PER_STREET = 100  # 20 streets x 100 doors: 2,000 addresses
LIMIT_BYTES = 200 * 1000
# The records: every tenth door, from the first, checked in OK; from the second, asked for help;
# from the third, a special-attention household nobody reached; from the fourth, a task under way.
EXPECTED = {
    DotStatus.OK: 200,
    DotStatus.HELP: 200,
    DotStatus.SPECIAL_UNREACHED: 200,
    DotStatus.TASK: 200,
    DotStatus.SILENT: 1200,
}
# The dashboard's page-time budget with the map of 2,000 addresses: the best of 7 requests over
# HTTP (the least disturbed by the other work on the shared test machine) within a second, and the
# map's own part (its dots read, its SVG drawn or taken from the cache) within 100 ms.
DASHBOARD_BUDGET_S = 1.0
MAP_PART_BUDGET_S = 0.1


def door(n: int) -> tuple[str, int]:
    return STREETS[n // PER_STREET], n % PER_STREET + 1


def export() -> bytes:
    """The register: streets in rows going east, odd numbers north of the road, even south."""
    lines = ["straat;huisnummer;huisletter;huisnummertoevoeging;postcode;woonplaats;lat;lon"]
    for n in range(len(STREETS) * PER_STREET):
        street, number = door(n)
        row = n // PER_STREET
        lat = 52.0800 + row * 0.0006 + (0.00008 if number % 2 else -0.00008)
        lon = 5.1000 + (number // 2) * 0.0004 + (row % 3) * 0.0002
        postcode = f"{3900 + row} {'AB' if number < 50 else 'AC'}"
        lines.append(f"{street};{number};;;{postcode};Buurtdorp;{lat:.6f};{lon:.6f}")
    return ("\n".join(lines) + "\n").encode()


def seed(live: LiveServer) -> None:
    hub = live.hub
    address_register.import_file(hub.store, export(), actor="test")
    for street in STREETS[:4]:
        readiness.define_section(hub.store, street, street, actor="test")

    def households(session: Session) -> None:
        for n in range(2, 2000, 10):
            street, number = door(n)
            residents.register_household(
                session,
                hub.ctx,
                HouseholdCreate(
                    address=f"{street} {number}",
                    special_attention=["alone_75plus"],
                    consent=Consent(given_by="bewoner"),
                ),
            )

    hub.store.write(households)
    hub.store.write(lambda s: drills.set_mode(s, hub.ctx, "drill", actor="test"))

    def records(session: Session) -> None:
        for n in range(0, 2000, 10):
            for offset, status in ((0, "ok"), (1, "help")):
                street, number = door(n + offset)
                residents.create_checkin(
                    session, hub.ctx, CheckInCreate(address=f"{street} {number}", status=status)
                )
            street, number = door(n + 3)
            tasks.create_task(session, hub.ctx, kind="check", actor="test", address=f"{street} {number}")

    hub.store.write(records)


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    settings = load_settings(
        data_dir=tmp_path_factory.mktemp("map2000") / "data",
        rate_limit=0,
        secret_key="test-secret-key-0123456789-abcdefghijklmnop",
    )
    with LiveServer(settings) as live:
        make_user(live.hub, "coord")
        seed(live)
        yield live


@pytest.fixture(scope="module")
def coordinator(browser: Browser, big: LiveServer) -> Iterator[tuple[BrowserContext, list[str]]]:
    # bypass_csp: for axe-core's script only; the map has no inline style the policy would stop.
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 1000}, locale="nl-NL")
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    page.goto(f"{big.url}/admin/login")
    page.fill("input[name=name]", "coord")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{big.url}/admin")
    page.close()
    yield context, requests
    context.close()


def foreign(requests: list[str], hub_url: str) -> list[str]:
    hub = urlsplit(hub_url).netloc
    return [url for url in requests if urlsplit(url).netloc != hub]


def svg_of(html: str, where: str = '<figure class="map">') -> str:
    start = html.index("<svg", html.index(where))
    return html[start : html.index("</svg>", start) + len("</svg>")]


def load_ms(page: Page) -> float:
    """Chromium's own time from the request to the end of the load event."""
    return float(page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd"))


def test_the_map_of_2000_addresses(big: LiveServer, coordinator: tuple[BrowserContext, list[str]]) -> None:
    if not AXE.exists():
        pytest.fail(AXE_HINT, pytrace=False)
    context, requests = coordinator
    requests.clear()
    served = context.request.get(f"{big.url}/admin/map")
    assert served.status == 200
    svg = svg_of(served.text())
    assert len(svg.encode()) <= LIMIT_BYTES, len(svg.encode())
    assert "<style" not in svg and "style=" not in svg  # the Content-Security-Policy allows none
    counts = count_by_status(svg)
    assert {status: counts[status] for status in CRISIS} == EXPECTED

    page = context.new_page()
    try:
        page.goto(f"{big.url}/admin/map", wait_until="load")
        times = [load_ms(page)]
        for _ in range(2):  # the best of three: the machine is shared
            page.reload(wait_until="load")
            times.append(load_ms(page))
        assert min(times) < 1000, times
        # The dots in the page Chromium drew, per status group (named with the legend's words).
        for status, expected in EXPECTED.items():
            groups = page.locator(f'svg.map > g[role=group]:has(> a use[href="#{STYLES[status].symbol}"])')
            assert groups.count() == 1, status
            assert groups.locator("a").count() == expected, status
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "map-2000.png"), full_page=True)
        assert audit(page, AXE.read_text(encoding="utf-8")) == []
        assert foreign(requests, big.url) == []
    finally:
        page.close()


def test_the_dashboard_carries_the_small_map_within_its_budget(
    big: LiveServer, coordinator: tuple[BrowserContext, list[str]]
) -> None:
    make_user(big.hub, "timer")
    with big.client() as http:
        assert login(http, "timer").status_code == 303
        http.get("/admin")  # warm: the first view draws the map
        times = []
        for _ in range(7):
            begin = time.perf_counter()
            answer = http.get("/admin")
            times.append(time.perf_counter() - begin)
            assert answer.status_code == 200
    assert min(times) < DASHBOARD_BUDGET_S, times
    drawn = addresses._drawn.cache_info().hits
    with big.client() as http:
        assert login(http, "timer").status_code == 303
        assert http.get("/admin").status_code == 200
    assert addresses._drawn.cache_info().hits > drawn  # nothing changed: the SVG from the cache
    map_times = []
    for _ in range(7):
        begin = time.perf_counter()
        data = address_views.map_data(big.hub.store)
        words = tuple((status, STYLES[status].label) for status in CRISIS)
        addresses._drawn(data.dots, "Kaart", CRISIS, words, "admin/")
        map_times.append(time.perf_counter() - begin)
    assert min(map_times) < MAP_PART_BUDGET_S, map_times
    small = svg_of(answer.text, '<figure class="map minimap">')
    assert sum(count_by_status(small).values()) == 2000
    assert 'href="admin/addresses/' in small and 'href="addresses/' not in small  # from /admin

    context, requests = coordinator
    requests.clear()
    page = context.new_page()
    try:
        page.goto(f"{big.url}/admin", wait_until="load")
        dots = page.locator("#small-map svg a")
        assert dots.count() == 2000
        box = page.locator("#small-map svg").bounding_box()
        rem = float(page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)"))
        assert box and box["width"] <= 36 * rem + 2  # small: at most 36rem wide
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "dashboard-map-2000.png"), full_page=True)
        assert audit(page, AXE.read_text(encoding="utf-8")) == []
        label = dots.nth(1234).get_attribute("aria-label")
        dots.nth(1234).focus()  # by keyboard: on the small map the dots lie close together
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert re.search(r"/admin/addresses/\d+$", page.url), page.url
        assert page.locator("h1").inner_text().strip().startswith(label or "?")
        assert foreign(requests, big.url) == []
    finally:
        page.close()


def pdf_info(pdf: Path) -> tuple[int, tuple[int, int]]:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = re.search(r"^Pages:\s+(\d+)$", info, re.MULTILINE)
    size = re.search(r"^Page size:\s+([\d.]+) x ([\d.]+) pts", info, re.MULTILINE)
    assert pages and size, info
    return int(pages[1]), (round(float(size[1]) * 25.4 / 72), round(float(size[2]) * 25.4 / 72))


def pdf_text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def to_png(pdf: Path) -> Path:
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-singlefile", str(pdf), str(pdf.with_suffix(""))], check=True
    )
    return pdf.with_suffix(".png")


PAPERS = {"a4": ("A4", (210, 297)), "a3": ("A3", (297, 420))}


@pytest.mark.parametrize("paper", list(PAPERS))
def test_the_map_prints_on_one_page(
    big: LiveServer, coordinator: tuple[BrowserContext, list[str]], paper: str
) -> None:
    context, _requests = coordinator
    fmt, size = PAPERS[paper]
    PAPER.mkdir(parents=True, exist_ok=True)
    page = context.new_page()
    try:
        page.goto(f"{big.url}/admin/map?paper={paper}", wait_until="load")
        pdf = PAPER / f"map-2000-{paper}.pdf"
        page.pdf(path=str(pdf), format=fmt, print_background=True)
    finally:
        page.close()
    pages, mm = pdf_info(pdf)
    assert (pages, mm) == (1, size)
    text = pdf_text(pdf)
    # Nothing cut off: every street's label and the whole legend are on the one page.
    for street in STREETS:
        assert street in text, street
    for word in ("OK", "hulp", "niets van gehoord", "extra aandacht, nog niet bereikt", "taak onderweg"):
        assert word in text, word
    assert to_png(pdf).stat().st_size > 10_000


@pytest.mark.parametrize("paper", list(PAPERS))
def test_the_readiness_page_prints(
    big: LiveServer, coordinator: tuple[BrowserContext, list[str]], paper: str
) -> None:
    context, _requests = coordinator
    fmt, size = PAPERS[paper]
    PAPER.mkdir(parents=True, exist_ok=True)
    page = context.new_page()
    try:
        page.goto(f"{big.url}/admin/readiness?paper={paper}", wait_until="load")
        assert page.locator(f'a[href="?paper={paper}"][aria-current=page]').count() == 1
        page.emulate_media(media="print")
        width_px = round((size[0] - 2 * (10 if paper == "a4" else 12)) / 25.4 * 96)
        page.set_viewport_size({"width": width_px, "height": 1000})
        overflow = page.evaluate(
            "() => [...document.querySelectorAll('main table')].map(t => t.scrollWidth - t.clientWidth)"
        )
        assert overflow and max(overflow) <= 0, overflow
        assert page.locator("header.top").is_hidden() and page.locator(".noprint").first.is_hidden()
        pdf = PAPER / f"readiness-{paper}.pdf"  # print media, as emulated above
        page.pdf(path=str(pdf), format=fmt, print_background=True)
    finally:
        page.close()
    pages, mm = pdf_info(pdf)
    assert mm == size and pages >= 1
    text = pdf_text(pdf)
    for street in STREETS:
        assert street in text, street  # every street in the coverage table
    assert "(geen deel)" in text  # the addresses in no section: the last row of the table
    to_png(pdf)


@pytest.fixture(scope="module")
def drilled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The sample register, two special-attention households, a volunteer living at a typo, and
    three drills: both households reached, one of two, both again."""
    settings = load_settings(
        data_dir=tmp_path_factory.mktemp("drilled") / "data",
        rate_limit=0,
        secret_key="test-secret-key-0123456789-abcdefghijklmnop",
    )
    with LiveServer(settings) as live:
        hub = live.hub
        make_user(hub, "coord")
        address_register.import_file(hub.store, SAMPLE.read_bytes(), actor="test")

        def people(session: Session) -> None:
            for address in ("Kerkstraat 5", "Molenwg 14"):
                residents.register_household(
                    session,
                    hub.ctx,
                    HouseholdCreate(
                        address=address, special_attention=["alone_75plus"], consent=Consent(given_by="x")
                    ),
                )
            anna = volunteers.register(session, hub.ctx, "Anna", None, actor="test")
            volunteers.set_home(session, anna.id, "Kerkstrat 3", actor="test")

        hub.store.write(people)
        for reached in (("Kerkstraat 5", "Molenwg 14"), ("Kerkstraat 5",), ("Molenwg 14", "Kerkstraat 5")):
            hub.store.write(lambda s: drills.set_mode(s, hub.ctx, "drill", actor="test"))
            for address in reached:
                hub.store.write(
                    lambda s, a=address: residents.create_checkin(  # type: ignore[misc]
                        s, hub.ctx, CheckInCreate(address=a, status="ok"), source="coordinator"
                    )
                )
            hub.store.write(lambda s: drills.set_mode(s, hub.ctx, "normal", actor="test"))
        yield live


def test_drill_plots_and_the_outside_list_in_chromium(browser: Browser, drilled: LiveServer) -> None:
    if not AXE.exists():
        pytest.fail(AXE_HINT, pytrace=False)
    context = browser.new_context(bypass_csp=True, viewport={"width": 1100, "height": 900})
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    try:
        page.goto(f"{drilled.url}/admin/login")
        page.fill("input[name=name]", "coord")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{drilled.url}/admin")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for lang in ("nl", "en"):
            page.goto(f"{drilled.url}/admin/drill?lang={lang}")
            plots = page.locator("#drill-plots svg[role=img]")
            assert plots.count() == 2
            assert page.locator("#drill-results tbody tr").count() == 3
            page.locator("#drill-plots").screenshot(path=str(SCREENSHOTS / f"drill-plots-{lang}.png"))
            assert audit(page, AXE.read_text(encoding="utf-8")) == []
            for path in ("/admin/addresses/outside", "/admin/volunteers", "/admin"):
                page.goto(f"{drilled.url}{path}?lang={lang}")
                assert audit(page, AXE.read_text(encoding="utf-8")) == [], path
            # The dashboard's small map in normal times: coloured (and shaped) by readiness.
            page.locator("#small-map").screenshot(path=str(SCREENSHOTS / f"dashboard-small-map-{lang}.png"))
            assert page.locator("#small-map svg a").count() == 288
            page.goto(f"{drilled.url}/admin/addresses/outside?lang={lang}")
            page.screenshot(path=str(SCREENSHOTS / f"addresses-outside-{lang}.png"), full_page=True)
        # The volunteer's address corrected from the list, as a coordinator does it.
        page.locator("#outside input[name=address]").fill("Kerkstraat 3")
        page.locator("#outside button[type=submit]").click()
        page.wait_for_load_state("load")
        assert page.url.endswith("/admin/addresses/outside?ok=home_saved")
        assert "Anna" not in page.locator("main").inner_text()
        assert foreign(requests, drilled.url) == []
    finally:
        context.close()
