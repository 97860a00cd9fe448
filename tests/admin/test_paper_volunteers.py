"""Volunteers without a handset (issue #18): a resident who offered help on the portal is enrolled
from the offers page; their task prints on the paper sheet, a coordinator marks it done, and the
radio never gets a message for them (a volunteer with a handset beside them does, so the check
could fail). Real app, real HTTP; the database is read afterwards to check.
"""

from __future__ import annotations

import re

from sqlmodel import col, select

from hub.models import AuditEntry, MeshOutbound, Offer, Task, Volunteer
from hub.services import tasks
from tests.admin.conftest import Admin
from tests.conftest import LiveServer


def offer_on_portal(live: LiveServer) -> str:
    with live.client() as resident:
        form = resident.get("/offer?lang=nl")
        token = re.search(r'name="token" value="([^"]+)"', form.text)
        assert token
        answer = resident.post(
            "/offer?lang=nl",
            data={
                "token": token[1],
                "category": "care",
                "description": "Ik kan boodschappen doen en koffie drinken",
                "address": "Lindelaan 7",
                "contact": "Kees de Vries",
            },
        )
        assert answer.status_code == 303
    return live.hub.store.read(lambda s: s.exec(select(Offer.id)).one())


def test_an_offer_becomes_a_volunteer_without_a_handset_whose_task_goes_on_paper(
    live: LiveServer, admin: Admin
) -> None:
    offer = offer_on_portal(live)
    offers_page = admin.http.get("/admin/offers").text
    assert f'action="/admin/offers/{offer}/volunteer"' in offers_page
    # without the session's CSRF token: refused, nobody enrolled
    assert admin.http.post(f"/admin/offers/{offer}/volunteer", data={"name": "Kees"}).status_code == 403
    answer = admin.post_form(f"/admin/offers/{offer}/volunteer", {"name": "Kees de Vries"})
    assert answer.status_code == 303 and "ok=enrolled" in answer.headers["location"]
    # a second time: refused, still one volunteer
    again = admin.post_form(f"/admin/offers/{offer}/volunteer", {"name": "Kees de Vries"})
    assert "error=conflict" in again.headers["location"]
    paper = live.hub.store.read(lambda s: s.exec(select(Volunteer)).one())
    assert paper.name == "Kees de Vries" and paper.node_id is None and paper.skills == ["care"]
    assert paper.address == "Lindelaan 7"
    assert live.hub.store.read(lambda s: s.exec(select(Offer.volunteer_id)).one()) == paper.id
    assert "enrolled as a volunteer (paper)" in admin.http.get("/admin/offers?lang=en").text or (
        "aangemeld als vrijwilliger (papier)" in admin.http.get("/admin/offers").text
    )
    volunteers_page = admin.http.get("/admin/volunteers").text
    assert f"/admin/print/tasks?volunteer={paper.id}" in volunteers_page

    # beside them a volunteer with a handset, whose task does go on the air
    assert (
        admin.post_form("/admin/volunteers", {"name": "Radio Ria", "node_id": "!a1b2c3d4"}).status_code == 303
    )
    radio = live.hub.store.read(
        lambda s: s.exec(select(Volunteer.id).where(Volunteer.name == "Radio Ria")).one()
    )
    for volunteer, address in ((paper.id, "Lindelaan 12"), (radio, "Lindelaan 14")):
        created = admin.post_form(
            "/admin/tasks",
            {"kind": "delivery", "address": address, "note": "water brengen", "volunteer_id": volunteer},
        )
        assert created.status_code == 303 and "ok=task_created" in created.headers["location"]
    by_address = dict(live.hub.store.read(lambda s: s.exec(select(Task.address, Task.id)).all()))
    paper_task, radio_task = by_address["Lindelaan 12"], by_address["Lindelaan 14"]
    queued = live.hub.store.read(lambda s: s.exec(select(MeshOutbound.task_id, MeshOutbound.dest)).all())
    assert (radio_task, "!a1b2c3d4") in queued, "the handset's task is queued for the radio"
    assert all(task_id != paper_task for task_id, _ in queued), "the radio never gets the paper task"

    # the re-offer job does not move it to a handset either: it is not waiting for a radio JA
    moved = live.hub.db.writer.run_sync(lambda s: tasks.reoffer_unaccepted(s, live.hub.ctx, 0.0))
    assert paper_task not in {t.id for t in moved}

    # the paper sheet: their task, their name, the words for someone without a handset
    sheet = admin.http.get(f"/admin/print/tasks?volunteer={paper.id}&lang=en")
    assert sheet.status_code == 200
    assert "Kees de Vries" in sheet.text and "Lindelaan 12" in sheet.text and "Lindelaan 14" not in sheet.text
    assert "No handset: tick each task" in sheet.text and "KLAAR n" not in sheet.text
    everyone = admin.http.get("/admin/print/tasks").text
    assert "Kees de Vries" in everyone and "Radio Ria" in everyone

    # the coordinator marks it done from the sheet that came back
    done = admin.post_form(f"/admin/tasks/{paper_task}/done")
    assert done.status_code == 303
    status = live.hub.store.read(lambda s: s.exec(select(Task.status).where(Task.id == paper_task)).one())
    assert status == "done"
    assert "Lindelaan 12" not in admin.http.get(f"/admin/print/tasks?volunteer={paper.id}").text
    queued_after = live.hub.store.read(lambda s: s.exec(select(MeshOutbound.task_id)).all())
    assert paper_task not in queued_after, "marking it done sends nothing either"
    audit = live.hub.store.read(
        lambda s: s.exec(
            select(AuditEntry.action, AuditEntry.target).where(col(AuditEntry.actor) == "coord")
        ).all()
    )
    assert ("offer.enrol", offer) in audit and ("task.done", paper_task) in audit
