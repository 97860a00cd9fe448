"""A resident offers to be a volunteer on the portal; a coordinator approves it with a handset's
node id (a volunteer is made, living at the offer's address) or declines it (deleted). Bad input
changes nothing; names and contacts never reach the outbox."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlmodel import select

from hub import i18n
from hub.models import AuditEntry, OutboxEvent, Volunteer, VolunteerOffer
from hub.services import readiness
from tests.admin.conftest import Admin
from tests.admin.test_no_raw_values import raw_values, visible
from tests.board.conftest import token
from tests.conftest import LiveServer

OFFER = {"name": "Samira El Amrani", "address": "schoolplein 4", "contact": "06 98765432",
         "skills": "EHBO, Arabisch; auto", "has_handset": "yes"}  # fmt: skip


def offer(client: httpx.Client, data: dict[str, str], lang: str = "nl") -> httpx.Response:
    return client.post(
        f"/volunteer?lang={lang}", data={**data, "token": token(client, f"/volunteer?lang={lang}")}
    )


def offers(live: LiveServer) -> list[VolunteerOffer]:
    with live.hub.db.read() as session:
        return list(session.exec(select(VolunteerOffer).order_by(VolunteerOffer.pk)))  # type: ignore[arg-type]


def volunteers(live: LiveServer) -> list[Volunteer]:
    with live.hub.db.read() as session:
        return list(session.exec(select(Volunteer)))


@pytest.mark.parametrize("lang", list(i18n.LANGUAGES))
def test_the_offer_form_in_every_language(client: httpx.Client, registered: LiveServer, lang: str) -> None:
    with i18n.using(lang):
        title = i18n.gettext("Become a volunteer")
    page = client.get(f"/volunteer?lang={lang}")
    assert page.status_code == 200 and f'<html lang="{lang}"' in page.text and title in page.text
    assert 'name="has_handset" value="yes"' in page.text and 'list="l-address"' in page.text
    sent = offer(client, OFFER, lang)
    assert sent.status_code == 303
    thanks = client.get(sent.headers["location"])
    assert thanks.status_code == 200 and "Samira El Amrani" in thanks.text and "06 98765432" in thanks.text
    assert client.get(sent.headers["location"].split("?")[0]).status_code == 404  # without its token


def test_bad_input_is_a_clear_error_and_stores_nothing(client: httpx.Client, registered: LiveServer) -> None:
    for missing, message in (
        ("name", "Fill in your name."),
        ("contact", "Fill in how we can reach you, for example a phone number."),
        ("has_handset", "Choose: yes or no."),
        ("address", "Fill in your street and house number, for example Kerkstraat 5."),
    ):
        answer = offer(client, {k: v for k, v in OFFER.items() if k != missing}, "en")
        assert answer.status_code == 422, missing
        assert f'href="#f-{missing}"' in answer.text and message in answer.text
        assert "Samira El Amrani" in answer.text or missing == "name"  # what was typed is kept
    assert offer(client, {**OFFER, "has_handset": "misschien"}, "en").status_code == 422
    assert offer(client, {**OFFER, "skills": "x" * 301}, "en").status_code == 422
    assert offers(registered) == []
    form = {**OFFER, "token": token(client, "/volunteer")}
    first, again = client.post("/volunteer", data=form), client.post("/volunteer", data=form)
    assert first.headers["location"] == again.headers["location"] and len(offers(registered)) == 1


def test_a_coordinator_approves_with_a_node_id_or_declines(
    client: httpx.Client, registered: LiveServer, coordinator: Admin
) -> None:
    hub = registered.hub
    readiness.define_section(hub.store, "Schoolplein", "Schoolplein", actor="test")
    offer(client, OFFER)
    offer(
        client, {**OFFER, "name": "Piet Paper", "address": "Kerkstraat 3", "has_handset": "no", "skills": ""}
    )
    samira, piet = offers(registered)
    for lang in ("nl", "en"):
        page = coordinator.http.get(f"/admin/volunteers?lang={lang}")
        assert page.status_code == 200 and "Samira El Amrani" in page.text and "06 98765432" in page.text
        assert raw_values(visible(page.text)[0], lang) == []
        assert f"/admin/volunteer-offers/{samira.id}/approve" in page.text

    url = f"/admin/volunteer-offers/{samira.id}/approve"
    for node, error in (("", "field=node_id"), ("!xyz", "field=node_id"), ("12345", "field=node_id")):
        answer = coordinator.post_form(url, {"node_id": node})
        assert "error=invalid" in answer.headers["location"] and error in answer.headers["location"], node
    coordinator.post_form("/admin/volunteers", {"name": "Jan", "node_id": "!0000beef"})
    taken = coordinator.post_form(url, {"node_id": "!0000BEEF"})
    assert "error=conflict" in taken.headers["location"]
    assert coordinator.http.post(url, data={"node_id": "!a1b2c3d4"}).status_code == 403  # no CSRF token
    assert [v.name for v in volunteers(registered)] == ["Jan"] and offers(registered)[0].status == "waiting"

    approved = coordinator.post_form(url, {"node_id": "A1B2C3D4"})
    assert approved.headers["location"].endswith("ok=volunteer_approved")
    made = next(v for v in volunteers(registered) if v.name == "Samira El Amrani")
    assert (made.node_id, made.address, made.address_key) == ("!a1b2c3d4", "schoolplein 4", "schoolplein 4")
    assert made.skills == ["Arabisch", "EHBO", "auto"]
    assert offers(registered)[0].status == "approved" and offers(registered)[0].volunteer_id == made.id
    assert "error=conflict" in coordinator.post_form(url, {"node_id": "!a1b2c3d5"}).headers["location"]
    page = coordinator.http.get("/admin/volunteers").text
    assert f"/admin/volunteer-offers/{samira.id}/approve" not in page and "!a1b2c3d4" in page
    school = next(r for r in readiness.section_readiness(hub.store) if r.section == "Schoolplein")
    assert (school.volunteers, school.with_handset, school.with_skills) == (1, 1, 1)

    decline = f"/admin/volunteer-offers/{piet.id}/decline"
    assert "error=confirm" in coordinator.post_form(decline).headers["location"]
    assert len(offers(registered)) == 2
    assert "ok=offer_declined" in coordinator.post_form(decline, {"confirm": "yes"}).headers["location"]
    assert [o.name for o in offers(registered)] == ["Samira El Amrani"]
    assert "error=not_found" in coordinator.post_form(decline, {"confirm": "yes"}).headers["location"]

    with hub.db.read() as session:
        audit = [(a.action, a.target) for a in session.exec(select(AuditEntry)) if "offer" in a.action]
        events = [e.data for e in session.exec(select(OutboxEvent))]
    assert audit == [("volunteer_offer.approve", samira.id), ("volunteer_offer.decline", piet.id)]
    shared = json.dumps(events)
    for private in ("Samira", "06 98765432", "schoolplein", "Piet"):
        assert private not in shared

    # the volunteer deleted on request: the offer that made them goes too
    gone = coordinator.post_form(f"/admin/volunteers/{made.id}/delete", {"confirm": "yes"})
    assert "ok=deleted" in gone.headers["location"] and offers(registered) == []
