"""A vulnerable household counts as reached only when someone verified it, over real HTTP.

A resident's "OK" without the household's code stays "reported OK, not verified" (the household
stays on the door-knock list); with its code (from the card) it is verified; a wrong code gets a
clear 422 and stores nothing; wrong codes are rate-limited per client and per address; a
coordinator can confirm a report. The code never shows on the portal, upstream or in exports.
"""

from __future__ import annotations

import json
import re

import httpx
from sqlalchemy import func
from sqlmodel import select

from hub.models import CheckIn, OutboxEvent
from tests.admin.conftest import Admin
from tests.conftest import LiveServer

HOUSEHOLD = {
    "address": "Molenweg 2",
    "special_attention": ["no_phone", "alone_75plus"],
    "note": "mevr. (84), geen telefoon",
    "consent": {"given_by": "dochter", "share_upstream": True},
}


def register(bearer: httpx.Client, address: str = "Molenweg 2") -> dict[str, str]:
    response = bearer.post("/api/v1/admin/households", json={**HOUSEHOLD, "address": address})
    assert response.status_code == 201, response.text
    body: dict[str, str] = response.json()
    return body


def checkins(live: LiveServer) -> int:
    with live.hub.db.read() as session:
        return int(session.exec(select(func.count()).select_from(CheckIn)).one())


def on_door_knock_list(admin: Admin, address: str) -> bool:
    return address in admin.http.get("/admin/print/doorknock").text


def token_of(html: str) -> str:
    match = re.search(r'name="token" value="([^"]+)"', html)
    assert match
    return match[1]


def test_open_wifi_ok_without_code_leaves_the_household_on_the_list(
    bearer: httpx.Client, admin: Admin, client: httpx.Client, live: LiveServer
) -> None:
    household = register(bearer)
    code = household["code"]
    assert re.fullmatch(r"[ACDEFGHJKMNPRTUVWXY34679]{6}", code)

    response = client.post("/api/v1/checkins", json={"address": "molenweg 2", "status": "ok"})
    assert response.status_code == 201
    assert response.json()["verified"] is False
    assert on_door_knock_list(admin, "Molenweg 2")
    page = admin.http.get("/admin?lang=en").text
    assert "reported OK, not verified" in page
    assert "meldt OK, niet geverifieerd" in admin.http.get("/admin/households?lang=nl").text

    # The right code, typed loosely, verifies: off the list.
    typed = f"{code[:3].lower()}-{code[3:]}"
    response = client.post("/api/v1/checkins", json={"address": "Molenweg 2", "status": "ok", "code": typed})
    assert response.status_code == 201, response.text
    assert response.json()["verified"] is True
    assert not on_door_knock_list(admin, "Molenweg 2")
    listed = bearer.get("/api/v1/admin/checkins").json()["items"]
    assert [(c["verified"], c["verified_by"]) for c in listed] == [(True, "code"), (False, None)]


def test_wrong_code_is_a_clear_422_and_stores_nothing(
    bearer: httpx.Client, client: httpx.Client, live: LiveServer
) -> None:
    register(bearer)
    before = checkins(live)
    wrong = client.post("/api/v1/checkins", json={"address": "Molenweg 2", "status": "ok", "code": "AAAAAA"})
    assert wrong.status_code == 422
    assert wrong.json()["field"] == "code"
    # An address without a household gets the very same answer: nobody learns who is on the list.
    elsewhere = client.post(
        "/api/v1/checkins", json={"address": "Molenweg 3", "status": "ok", "code": "AAAAAA"}
    )
    assert (elsewhere.status_code, elsewhere.json()) == (422, wrong.json())
    assert checkins(live) == before


def test_guessing_codes_is_rate_limited_per_client_and_per_address(
    bearer: httpx.Client, live: LiveServer
) -> None:
    code = register(bearer)["code"]
    register(bearer, "Kerkstraat 5")
    guesser = httpx.Client(base_url=live.url, transport=httpx.HTTPTransport(local_address="127.0.0.2"))
    neighbour = httpx.Client(base_url=live.url, transport=httpx.HTTPTransport(local_address="127.0.0.3"))
    statuses = [
        guesser.post(
            "/api/v1/checkins", json={"address": "Molenweg 2", "status": "ok", "code": f"AAAAA{c}"}
        ).status_code
        for c in "CDEFGH"
    ]
    assert statuses == [422] * 5 + [429]
    # This client may guess no more, not even at another address, not even the right code.
    refused = guesser.post("/api/v1/checkins", json={"address": "Molenweg 2", "status": "ok", "code": code})
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    # The address is used up for everyone: a second device cannot continue the guessing.
    other = neighbour.post("/api/v1/checkins", json={"address": "Molenweg 2", "status": "ok", "code": code})
    assert other.status_code == 429
    # Without a code anyone may still report (unverified), and other addresses are untouched.
    assert guesser.post("/api/v1/checkins", json={"address": "Molenweg 2", "status": "ok"}).status_code == 201
    kerkstraat = neighbour.post(
        "/api/v1/checkins", json={"address": "Kerkstraat 5", "status": "ok", "code": "X"}
    )
    assert kerkstraat.status_code == 422
    with live.hub.db.read() as session:
        stored = session.exec(select(CheckIn)).all()
    assert [(c.address, c.verified) for c in stored] == [("Molenweg 2", False)]
    guesser.close()
    neighbour.close()


def test_portal_form_takes_the_code_in_every_language_and_explains_the_result(
    bearer: httpx.Client, admin: Admin, client: httpx.Client, live: LiveServer
) -> None:
    code = register(bearer)["code"]
    assert "Huishoudcode" in client.get("/checkin?lang=nl").text
    form = client.get("/checkin?lang=en").text
    assert "Household code" in form and 'name="code"' in form

    wrong = client.post(
        "/checkin?lang=en",
        data={"token": token_of(form), "address": "Molenweg 2", "status": "ok", "code": "AAAAAA"},
    )
    assert wrong.status_code == 422
    assert "This household code does not match this address." in wrong.text
    assert 'value="Molenweg 2"' in wrong.text  # the resident's answers are kept
    assert checkins(live) == 0

    without = client.post(
        "/checkin?lang=en",
        data={"token": token_of(client.get("/checkin").text), "address": "Molenweg 2", "status": "ok"},
    )
    assert without.status_code == 303
    assert "a volunteer may still come by" in client.get(without.headers["location"]).text
    assert on_door_knock_list(admin, "Molenweg 2")

    right = client.post(
        "/checkin?lang=nl",
        data={
            "token": token_of(client.get("/checkin").text),
            "address": "Molenweg 2",
            "status": "ok",
            "code": code,
        },
    )
    assert right.status_code == 303
    thanks = client.get(right.headers["location"]).text
    assert "De huishoudcode klopt" in thanks
    assert code not in thanks
    assert not on_door_knock_list(admin, "Molenweg 2")


def test_a_coordinator_confirms_a_report_and_the_code_stays_on_the_card(
    bearer: httpx.Client, admin: Admin, client: httpx.Client, live: LiveServer
) -> None:
    household = register(bearer)
    code = household["code"]
    report = client.post("/api/v1/checkins", json={"address": "Molenweg 2", "status": "ok"}).json()
    assert on_door_knock_list(admin, "Molenweg 2")
    households = admin.http.get("/admin/households?lang=en").text
    assert "reported OK, not verified" in households
    assert f"{code[:3]}-{code[3:]}" in households  # coordinators see it, to print the card
    assert admin.post_form(f"/admin/checkins/{report['id']}/verify", {"back_to": "/admin"}).status_code == 303
    assert not on_door_knock_list(admin, "Molenweg 2")
    assert bearer.post("/api/v1/admin/checkins/nope/verify").status_code == 404

    card = admin.http.get(f"/admin/print/card/{household['id']}?lang=en").text
    assert f"{code[:3]}-{code[3:]}" in card and "Molenweg 2" in card
    assert "Huishoudcode" in admin.http.get(f"/admin/print/card/{household['id']}?lang=nl").text

    # Never on the portal, never upstream, never in an export.
    for page in ("/", "/announcements", "/checkin", "/api/v1/announcements", "/api/v1/status"):
        assert code not in client.get(page).text
    with live.hub.db.read() as session:
        events = session.exec(select(OutboxEvent)).all()
    assert events and code not in json.dumps([e.data for e in events])
    assert "checkin.verified" in {e.type for e in events}
    assert code not in admin.http.get("/admin/export/json").text


def test_a_household_registered_on_the_portal_gets_a_code_it_does_not_see_there(
    client: httpx.Client, live: LiveServer, bearer: httpx.Client
) -> None:
    form = client.get("/register").text
    response = client.post(
        "/register",
        data={
            "token": token_of(form),
            "address": "Schoolplein 1",
            "special_attention": "alone_75plus",
            "registered_by": "neighbour",
            "given_by": "buurvrouw",
            "agree": "yes",
        },
    )
    assert response.status_code == 303, response.text
    code = bearer.get("/api/v1/admin/households").json()["items"][0]["code"]
    assert code and code not in client.get(response.headers["location"]).text


def test_a_task_done_at_the_address_reaches_the_household(
    bearer: httpx.Client, admin: Admin, client: httpx.Client, live: LiveServer
) -> None:
    register(bearer)
    client.post("/api/v1/checkins", json={"address": "Molenweg 2", "status": "ok"})
    task = bearer.post("/api/v1/admin/tasks", json={"kind": "check", "address": "molenweg 2"}).json()
    assert on_door_knock_list(admin, "Molenweg 2")
    assert bearer.post(f"/api/v1/admin/tasks/{task['id']}/done").status_code == 200
    assert not on_door_knock_list(admin, "Molenweg 2")
    assert "not verified" in admin.http.get("/admin/checkins?lang=en").text
