"""The admin's address work over real HTTP: a refused import's problem lines in Dutch and English
(nothing half-imported, the import audited), a volunteer's home address matched to the register,
the list of addresses outside it with the way to correct them, and the drill plots."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from sqlmodel import Session, col, select

from hub.domain.address_register import ON_LINE, REASONS, parse_register
from hub.domain.drill_plot import Bar, bar_plot, count_bars
from hub.models import AuditEntry
from hub.schemas import CheckInCreate, Consent, HouseholdCreate
from hub.services import address_register, drills, readiness, residents, volunteers
from hub.web.admin import import_words
from tests.addresses.test_admin_pages import upload
from tests.admin.conftest import Admin
from tests.browser.test_neighbourhood_map import export
from tests.conftest import LiveServer

SAMPLE = Path(__file__).parents[2] / "hub" / "data" / "sample-addresses.csv"


def broken_sample() -> bytes:
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    lines[8] = lines[8].replace("Kerkstraat;7;", "Kerkstraat;zeven;")  # line 9
    lines[10] = lines[10].replace(";3901 ", ";39 ")  # line 11: a broken postcode
    lines[20] = lines[20].split(";")[0]  # line 21: one field
    return ("\n".join(lines) + "\n").encode()


def problem_items(page: str) -> list[str]:
    found = re.search(r'<ul id="problems">(.*?)</ul>', page, re.S)
    assert found, page[:2000]
    return [
        re.sub(r"<[^>]+>", "", item).replace("&#39;", "'") for item in re.findall(r"<li>(.*?)</li>", found[1])
    ]


def test_every_reason_is_in_the_catalogs() -> None:
    assert set(import_words.WORDS) == set(REASONS)
    assert import_words.ON_LINE == ON_LINE


def test_a_refused_upload_lists_each_bad_line_in_the_admins_language(admin: Admin, live: LiveServer) -> None:
    assert upload(admin, SAMPLE.read_bytes()).status_code == 303
    assert "288" in admin.http.get("/admin/addresses").text
    assert broken_sample().startswith(SAMPLE.read_bytes()[:40])
    assert not parse_register(broken_sample()).ok

    dutch = upload(admin, broken_sample())
    assert dutch.status_code == 422
    assert "Het bestand is niet ingelezen; er is niets veranderd." in dutch.text
    lines = problem_items(dutch.text)
    assert lines[0] == "regel 9: huisnummer 'zeven' is geen getal van 1 tot 99999", lines
    assert (
        lines[1].startswith("regel 11: postcode '39 ") and "is geen vier cijfers en twee letters" in lines[1]
    )
    assert lines[2] == "regel 21: 1 velden, de kopregel heeft er 8", lines

    admin.http.get("/admin/addresses?lang=en")  # the admin switches to English (a cookie)
    english = upload(admin, broken_sample())
    assert english.status_code == 422
    lines = problem_items(english.text)
    assert lines[0] == "line 9: house number 'zeven' is not a number from 1 to 99999", lines
    assert lines[2] == "line 21: 1 fields, the header has 8"
    columns = upload(admin, b"naam;telefoon\nJan;06-12345678\n")
    header = "(the header has 'naam', 'telefoon')"
    assert problem_items(columns.text) == [
        f"line 1: missing columns: straat, huisnummer, postcode, woonplaats {header}",
        f"line 1: no position columns: lat and lon, or x and y (RD) {header}",
    ]
    admin.http.get("/admin/addresses?lang=nl")
    assert problem_items(upload(admin, b"").text) == ["het bestand is leeg"]
    too_big = upload(admin, b"x" * (8 * 1024 * 1024 + 1))
    assert too_big.status_code == 413 and problem_items(too_big.text) == ["het bestand is groter dan 8 MB"]

    # Nothing half-imported, and only the good import is in the audit log, by the coordinator.
    assert "288" in admin.http.get("/admin/addresses").text
    with live.hub.db.read() as session:
        audit = session.exec(select(AuditEntry).where(col(AuditEntry.action) == "addresses.import")).all()
    assert [(entry.actor, entry.detail["added"]) for entry in audit] == [("coord", 288)]


def volunteer(live: LiveServer, name: str) -> str:
    return live.hub.store.write(
        lambda s: volunteers.register(s, live.hub.ctx, name, None, actor="test").id  # type: ignore[no-any-return]
    )


def test_a_volunteers_home_address_and_the_addresses_outside_the_register(
    admin: Admin, live: LiveServer
) -> None:
    hub = live.hub
    assert admin.http.get("/admin/addresses/outside").text.count("<tr>") == 0  # no register: none
    address_register.import_file(hub.store, SAMPLE.read_bytes(), actor="test")
    readiness.define_section(hub.store, "Kerkstraat laag", "Kerkstraat", 1, 30, actor="test")
    anna = volunteer(live, "Anna")
    bram = volunteer(live, "Bram")

    saved = admin.post_form(f"/admin/volunteers/{anna}/home", {"address": "kerkstraat 5 a"})
    assert saved.headers["location"] == "/admin/volunteers?ok=home_saved"
    typo = admin.post_form(f"/admin/volunteers/{bram}/home", {"address": "Kerkstrat 7"})
    assert typo.headers["location"] == "/admin/volunteers?ok=home_not_in_register"
    page = admin.http.get("/admin/volunteers?ok=home_not_in_register").text
    assert "het staat niet in de adreslijst (bewaard en gemarkeerd)" in page
    rows = dict(re.findall(r"<td data-label=\"Naam\">(\w+)</td>(.*?)</tr>", page, re.S))
    assert "kerkstraat 5 a" in rows["Anna"] and "niet in de adreslijst" not in rows["Anna"]
    assert "Kerkstrat 7" in rows["Bram"] and "niet in de adreslijst" in rows["Bram"]

    def others(session: Session) -> None:
        residents.register_household(
            session,
            hub.ctx,
            HouseholdCreate(
                address="Molenwg 14", special_attention=["mobility"], consent=Consent(given_by="x")
            ),
        )
        residents.register_household(
            session,
            hub.ctx,
            HouseholdCreate(
                address="Molenweg 16", special_attention=["mobility"], consent=Consent(given_by="x")
            ),
        )
        for status in ("ok", "help"):
            residents.create_checkin(session, hub.ctx, CheckInCreate(address="Stationsweg 1", status=status))
        residents.create_checkin(session, hub.ctx, CheckInCreate(address="Beukenlaan 1", status="ok"))

    hub.store.write(others)
    outside = admin.http.get("/admin/addresses/outside")
    assert outside.status_code == 200
    listed = re.findall(r'<th scope="row" class="addr">([^<]+)</th>\s*<td[^>]*>([^<]+)', outside.text)
    assert sorted(listed) == [
        ("Kerkstrat 7", "Vrijwilliger: Bram"),
        ("Molenwg 14", "Huishouden"),
        ("Stationsweg 1", "Meldingen (2)"),
    ], listed
    assert "Kerkstraat 7" in outside.text  # did you mean
    assert re.search(r'href="/admin/households\?edit=[0-9A-Z]+">', outside.text)  # the household's form
    # Bram's address corrected from the list: he is off it, and counted in his section.
    fixed = admin.post_form(
        f"/admin/volunteers/{bram}/home", {"address": "Kerkstraat 7", "back_to": "/admin/addresses/outside"}
    )
    assert fixed.headers["location"] == "/admin/addresses/outside?ok=home_saved"
    assert "Bram" not in admin.http.get("/admin/addresses/outside").text
    rows_by_section = {row.section: row for row in readiness.section_readiness(hub.store)}
    assert rows_by_section["Kerkstraat laag"].volunteers == 2

    # Bad input changes nothing and is never a 500.
    unknown = admin.post_form("/admin/volunteers/nobody/home", {"address": "Kerkstraat 9"})
    assert unknown.status_code == 303 and "error=" in unknown.headers["location"]
    too_long = admin.post_form(f"/admin/volunteers/{anna}/home", {"address": "x" * 200})
    assert too_long.status_code in (303, 422)
    no_csrf = admin.http.post(f"/admin/volunteers/{anna}/home", data={"address": "Kerkstraat 9"})
    assert no_csrf.status_code == 403
    cleared = admin.post_form(f"/admin/volunteers/{anna}/home", {"address": ""})
    assert cleared.headers["location"] == "/admin/volunteers?ok=home_saved"
    with hub.db.read() as session:
        audit = session.exec(select(AuditEntry).where(col(AuditEntry.action) == "volunteer.home")).all()
    assert len(audit) == 4 and {entry.actor for entry in audit} == {"coord"}


def test_the_plot_draws_a_bar_per_drill_and_says_every_value() -> None:
    svg = bar_plot(
        [Bar("01-12", 12.0, "12 min"), Bar("08-12", None, "not all reached"), Bar("15-12", 30.0, "30 min")],
        ident="p",
        title="Minutes",
        desc="01-12: 12 min; 08-12: not all reached; 15-12: 30 min",
    )
    assert count_bars(svg) == (2, 1)
    assert '<title id="p-title">Minutes</title>' in svg and "08-12: not all reached" in svg
    assert 'role="img" aria-labelledby="p-title p-desc"' in svg
    assert ">50<" in svg  # the scale's top: the highest, 30, rounded up
    assert count_bars(bar_plot([], ident="e", title="t", desc="d")) == (0, 0)


def test_drill_results_over_time_on_the_drill_page(admin: Admin, live: LiveServer) -> None:
    hub = live.hub
    address_register.import_file(hub.store, SAMPLE.read_bytes(), actor="test")

    def households(session: Session) -> None:
        for address in ("Kerkstraat 5", "Molenweg 14"):
            residents.register_household(
                session,
                hub.ctx,
                HouseholdCreate(
                    address=address, special_attention=["alone_75plus"], consent=Consent(given_by="x")
                ),
            )

    hub.store.write(households)

    def checkin(address: str) -> None:
        hub.store.write(
            lambda s: residents.create_checkin(
                s, hub.ctx, CheckInCreate(address=address, status="ok"), source="coordinator"
            )
        )

    def mode(name: str) -> None:
        hub.store.write(lambda s: drills.set_mode(s, hub.ctx, name, actor="test"))

    assert 'id="drill-plots"' not in admin.http.get("/admin/drill").text  # no drill yet: no plot
    mode("drill")  # the first drill: both reached
    checkin("Kerkstraat 5")
    checkin("Molenweg 14")
    mode("normal")
    mode("drill")  # the second: one of two
    checkin("Kerkstraat 5")
    mode("normal")
    page = admin.http.get("/admin/drill")
    assert page.status_code == 200
    svgs = re.findall(r"<svg[^>]*class=\"plot\".*?</svg>", page.text, re.S)
    assert len(svgs) == 2
    minutes, share = svgs
    assert count_bars(minutes) == (1, 1) and count_bars(share) == (2, 0)
    assert "niet allemaal bereikt" in minutes and ">100%<" in share and ">50%<" in share
    assert "<title" in minutes and "<desc" in minutes
    table = re.search(r'<table id="drill-results">.*?</table>', page.text, re.S)
    assert table and table[0].count("<tr>") == 3  # the heading and two drills
    assert "niet allemaal bereikt" in table[0] and "50%" in table[0]
    assert 'href="/admin/drill#drill-plots"' in admin.http.get("/admin/readiness").text


def test_paper_is_a4_or_a3(admin: Admin, live: LiveServer) -> None:
    for path in ("/admin/map", "/admin/readiness"):
        for paper in ("a4", "a3"):
            page = admin.http.get(f"{path}?paper={paper}").text
            assert f'href="/static/paper-{paper}.css" media="print"' in page
        assert admin.http.get(f"{path}?paper=a5").status_code == 422
        assert "/static/paper-" not in admin.http.get(path).text
    sheet = httpx.get(f"{live.url}/static/paper-a3.css")
    assert sheet.status_code == 200 and "size: A3" in sheet.text


def test_a_neighbourhoods_export_of_2000_addresses_uploads(admin: Admin, live: LiveServer) -> None:
    """A real export is far over the hub's 16 KB form limit: the upload takes it from a
    coordinator's session, and nobody without one can send the hub megabytes."""
    data = export()
    assert len(data) > 100_000
    done = upload(admin, data)
    assert done.status_code == 303, done.text[:300]
    assert "2000" in admin.http.get("/admin/addresses").text
    with httpx.Client(base_url=live.url) as anonymous:
        refused = anonymous.post("/admin/addresses", files={"file": ("export.csv", data, "text/csv")})
    assert refused.status_code == 413 and "at most 16384 bytes" in refused.text


def test_the_door_knock_list_widens_to_a_streets_silent_addresses(admin: Admin, live: LiveServer) -> None:
    hub = live.hub
    address_register.import_file(hub.store, SAMPLE.read_bytes(), actor="test")
    hub.store.write(lambda s: drills.set_mode(s, hub.ctx, "drill", actor="test"))
    for address in ("Kerkstraat 1", "Kerkstraat 7"):
        hub.store.write(
            lambda s, a=address: residents.create_checkin(s, hub.ctx, CheckInCreate(address=a, status="ok"))  # type: ignore[misc]
        )
    coverage = admin.http.get("/admin/readiness").text
    link = re.search(r'<a href="(/admin/print/silent\?street=Kerkstraat)"[^>]*>63</a>', coverage)
    assert link, coverage[coverage.find('id="coverage"') :][:1500]
    printed = admin.http.get(link[1])
    assert printed.status_code == 200
    listed = re.findall(r'<td class="addr"[^>]*>([^<]+)</td>', printed.text)
    assert len(listed) == 63 and listed[:3] == ["Kerkstraat 3", "Kerkstraat 5", "Kerkstraat 5A"]
    assert "Kerkstraat 7" not in listed and "Kerkstraat 1" not in listed
    empty = admin.http.get("/admin/print/silent?street=Nergensstraat")
    assert empty.status_code == 200 and "<table" not in empty.text.split("<main")[1]
    assert admin.http.get("/admin/print/silent").status_code == 200
    assert admin.http.get("/admin/print/silent?street=" + "x" * 200).status_code == 422
