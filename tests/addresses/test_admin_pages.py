"""The admin's address pages over real HTTP: the upload (good and broken files), readiness per
section with its CSV, the map's dots by status in a drill, and an address's page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlmodel import select

from hub.domain.address_map import CRISIS, NORMAL, DotStatus, count_by_status
from hub.models import Address
from hub.schemas import CheckInCreate, Consent, HouseholdCreate, NeedCreate, OfferCreate
from hub.services import drills, readiness, residents, tasks, volunteers
from tests.admin.conftest import Admin
from tests.conftest import LiveServer

SAMPLE = Path(__file__).parents[2] / "hub" / "data" / "sample-addresses.csv"


def upload(admin: Admin, data: bytes) -> object:
    return admin.http.post(
        "/admin/addresses", data={"csrf": admin.csrf}, files={"file": ("export.csv", data, "text/csv")}
    )


def test_upload_good_and_broken_files(admin: Admin, live: LiveServer) -> None:
    done = upload(admin, SAMPLE.read_bytes())
    assert done.status_code == 303 and done.headers["location"] == "/admin/addresses?ok=addresses_imported"
    assert "288" in admin.http.get("/admin/addresses").text
    broken = SAMPLE.read_text(encoding="utf-8").replace("Kerkstraat;7;", "Kerkstraat;zeven;").encode()
    refused = upload(admin, broken)
    assert refused.status_code == 422
    assert "regel 9: huisnummer &#39;zeven&#39; is geen getal" in refused.text  # the admin's language
    assert upload(admin, "K\u00e9rk".encode("cp1252")).status_code == 422
    assert admin.http.post("/admin/addresses", data={"csrf": admin.csrf}).status_code in (303, 422)
    no_csrf = admin.http.post("/admin/addresses", files={"file": ("x.csv", b"a", "text/csv")})
    assert no_csrf.status_code == 403
    assert "288" in admin.http.get("/admin/addresses").text  # nothing half-imported


def test_readiness_map_and_address_pages(admin: Admin, live: LiveServer) -> None:
    hub = live.hub
    assert upload(admin, SAMPLE.read_bytes()).status_code == 303
    readiness.define_section(hub.store, "Kerkstraat laag", "Kerkstraat", 1, 30, actor="test")

    def household(session: object) -> None:
        residents.register_household(
            session,  # type: ignore[arg-type]
            hub.ctx,
            HouseholdCreate(
                address="Molenweg 14", special_attention=["alone_75plus"], consent=Consent(given_by="x")
            ),
        )

    hub.store.write(household)
    page = admin.http.get("/admin/readiness")
    assert page.status_code == 200
    row = re.search(r"<th scope=\"row\">Kerkstraat laag</th>.*?</tr>", page.text, re.S)
    assert row and re.search(r'<td class="num"[^>]*>34</td>', row[0])
    csv = admin.http.get("/admin/readiness.csv")
    assert csv.headers["content-type"].startswith("text/csv") and "Kerkstraat laag,,34," in csv.text

    normal = admin.http.get("/admin/map").text
    counts = count_by_status(normal)
    assert counts[DotStatus.SPECIAL_NO_BUDDY] == 1 and sum(counts[s] for s in NORMAL) == 288

    hub.store.write(lambda s: drills.set_mode(s, hub.ctx, "drill", actor="test"))
    for address, status in (("Kerkstraat 5", "ok"), ("Kerkstraat 7", "help")):
        hub.store.write(
            lambda s, a=address, st=status: residents.create_checkin(
                s, hub.ctx, CheckInCreate(address=a, status=st)
            )
        )
    drill_map = admin.http.get("/admin/map").text
    counts = count_by_status(drill_map)
    assert [counts[s] for s in CRISIS] == [1, 1, 285, 1, 0]
    assert "http" not in drill_map.split("<figure")[1].split("</figure>")[0].replace(
        "http://www.w3.org/2000/svg", ""
    )

    pk = re.search(r'<a href="addresses/(\d+)" aria-label="Kerkstraat 7">', drill_map)
    assert pk
    address = admin.http.get(f"/admin/addresses/{pk[1]}")
    assert address.status_code == 200 and "Kerkstraat 7" in address.text
    assert "heeft hulp nodig" in address.text  # the status in words
    assert admin.http.get("/admin/addresses/999999").status_code == 404
    assert admin.http.get("/admin/addresses/abc").status_code == 422


def test_a_coordinator_adds_sections_on_the_readiness_page(admin: Admin, live: LiveServer) -> None:
    assert upload(admin, SAMPLE.read_bytes()).status_code == 303
    added = admin.post_form(
        "/admin/sections",
        {"name": "Molenweg noord", "street": "molenweg", "number_from": "20", "number_to": ""},
    )
    assert added.status_code == 303 and added.headers["location"] == "/admin/readiness?ok=section_added"
    overlapping = admin.post_form(
        "/admin/sections", {"name": "Molenweg", "street": "Molenweg", "number_to": "25"}
    )
    assert overlapping.headers["location"] == "/admin/readiness?error=conflict"
    bad = admin.post_form("/admin/sections", {"name": "x", "street": "Molenweg", "number_from": "²"})
    assert bad.headers["location"].startswith("/admin/readiness?error=invalid")
    missing = admin.post_form("/admin/sections", {"name": "x"})
    assert missing.status_code == 303 and "error=form_refused" in missing.headers["location"]
    page = admin.http.get("/admin/readiness").text
    row = re.search(r"<th scope=\"row\">Molenweg noord</th>.*?</tr>", page, re.S)
    assert row and re.search(r'<td class="num"[^>]*>21</td>', row[0])  # 20..40 and 14A is not in it


def test_an_address_page_shows_everything_about_that_address(admin: Admin, live: LiveServer) -> None:
    """Households, check-ins, needs, tasks, offers and the volunteers living there, however the
    address was typed; nothing from the house next door; links to each list searched for it."""
    hub = live.hub
    assert upload(admin, SAMPLE.read_bytes()).status_code == 303

    def fill(session: Any) -> None:
        ctx = hub.ctx
        for address in ("kerkstraat 7", "Kerkstraat 9"):
            mark = address[-1]
            residents.register_household(
                session,
                ctx,
                HouseholdCreate(
                    address=address,
                    special_attention=["mobility"],
                    consent=Consent(given_by=f"bewoner {mark}"),
                ),
            )
            residents.create_checkin(
                session, ctx, CheckInCreate(address=address, status="help", note=f"brief {mark}")
            )
            residents.create_need(
                session, ctx, NeedCreate(address=address, category="water", description=f"kratten {mark}")
            )
            residents.create_offer(
                session,
                ctx,
                OfferCreate(category="tools", description=f"ladder {mark}", address=address, contact="Jan"),
            )
            tasks.create_task(session, ctx, kind="check", address=address, note=f"kijk {mark}", actor="test")
            volunteer = volunteers.register(session, ctx, f"Vrijwilliger {mark}", actor="test")
            volunteers.set_home(session, volunteer.id, address.upper(), actor="test")

    hub.store.write(fill)
    with hub.db.read() as session:
        pk = session.exec(select(Address.pk).where(Address.address_key == "kerkstraat 7")).one()
    page = admin.http.get(f"/admin/addresses/{pk}", params={"lang": "en"})
    assert page.status_code == 200
    records = page.text.split('id="records"', 1)[1].split("</table>", 1)[0]
    for what, detail in (
        ("Households", "mobility"),
        ("Check-ins", "brief 7"),
        ("Needs", "kratten 7"),
        ("Tasks", "T1"),
        ("Offers", "ladder 7 (Jan)"),
        ("Volunteers", "Vrijwilliger 7"),
    ):
        assert re.search(rf">{what}<.*?{re.escape(detail)}", records, re.S), what
    assert "9" not in re.sub(r"<[^>]+>|\d{1,2}:\d\d|\d+ \w+ \d{4}", "", records)  # nothing of number 9
    assert 'href="/admin/checkins?q=Kerkstraat+7"' in page.text
