"""Over real HTTP: need and offer status, the help worklist and deletion; API and pages alike."""

from __future__ import annotations

import httpx
from sqlmodel import select

from hub.models import CheckIn, Need, Offer, Task
from tests.admin.conftest import Admin
from tests.conftest import LiveServer
from tests.records.conftest import audit, checkin, events, exists, need, offer

UNKNOWN = "01JUNKNOWN0000000000000000"


def test_need_status_through_the_api(bearer: httpx.Client, live: LiveServer) -> None:
    bread, soup = need(live.hub), need(live.hub, "Molenweg 2a")
    url = f"/api/v1/admin/needs/{soup.id}/status"
    duplicate = bearer.post(url, json={"status": "duplicate", "duplicate_of": bread.id})
    assert duplicate.status_code == 200, duplicate.text
    assert (duplicate.json()["status"], duplicate.json()["duplicate_of"]) == ("duplicate", bread.id)
    assert bearer.post(url, json={"status": "resolved"}).status_code == 409
    assert "open" in bearer.post(url, json={"status": "cancelled"}).json()["detail"]
    missing = bearer.post(f"/api/v1/admin/needs/{bread.id}/status", json={"status": "duplicate"})
    assert (missing.status_code, missing.json()["detail"][0]["field"]) == (422, "duplicate_of")
    assert bearer.post(url, json={"status": "gone"}).status_code == 422
    assert bearer.post(url, json={"status": "open", "extra": 1}).status_code == 422
    assert (
        bearer.post(f"/api/v1/admin/needs/{UNKNOWN}/status", json={"status": "resolved"}).status_code == 404
    )
    assert bearer.post(url, json={"status": "open"}).json()["duplicate_of"] is None
    assert [e["status"] for e in events(live.hub, "need.status")] == ["duplicate", "open"]


def test_offer_status_through_the_api(bearer: httpx.Client, live: LiveServer) -> None:
    car = offer(live.hub)
    url = f"/api/v1/admin/offers/{car.id}/status"
    assert bearer.post(url, json={"status": "withdrawn"}).json()["status"] == "withdrawn"
    assert bearer.post(url, json={"status": "used"}).status_code == 409
    assert bearer.post(url, json={"status": "open"}).status_code == 422
    assert bearer.post(f"/api/v1/admin/offers/{UNKNOWN}/status", json={"status": "used"}).status_code == 404
    assert events(live.hub, "offer.status") == [{"id": car.id, "status": "withdrawn"}]


def test_the_help_worklist_through_the_api(bearer: httpx.Client, live: LiveServer) -> None:
    first, second = checkin(live.hub, "Kerkstraat 5"), checkin(live.hub, "Kerkstraat 7")
    assert [c["id"] for c in bearer.get("/api/v1/admin/worklist").json()["items"]] == [first, second]
    handled = bearer.post(f"/api/v1/admin/checkins/{first}/handled")
    assert handled.status_code == 200 and handled.json()["handled_by"] == "token:script"
    assert bearer.post(f"/api/v1/admin/checkins/{first}/handled").status_code == 409
    task = bearer.post(f"/api/v1/admin/checkins/{second}/task", json={})
    assert task.status_code == 201, task.text
    assert task.json()["address"] == "Kerkstraat 7"
    assert bearer.post(f"/api/v1/admin/checkins/{UNKNOWN}/task", json={}).status_code == 404
    assert bearer.post(f"/api/v1/admin/checkins/{UNKNOWN}/handled").status_code == 404
    assert bearer.get("/api/v1/admin/worklist").json()["items"] == []
    listed = {c["id"]: c for c in bearer.get("/api/v1/admin/checkins").json()["items"]}
    assert listed[second]["task_id"] == task.json()["id"]


def test_deleting_through_the_api_sends_only_the_id_and_a_retry_does_not_bring_it_back(
    bearer: httpx.Client, client: httpx.Client, live: LiveServer
) -> None:
    headers = {"Idempotency-Key": "phone-42-need-1"}
    body = {"address": "Molenweg 2", "category": "water", "description": "twee kratten water"}
    made = client.post("/api/v1/needs", json=body, headers=headers)
    assert made.status_code == 201
    need_id = made.json()["id"]
    task = bearer.post("/api/v1/admin/tasks", json={"kind": "delivery", "need_id": need_id}).json()
    assert bearer.delete(f"/api/v1/admin/needs/{need_id}").status_code == 204
    assert bearer.delete(f"/api/v1/admin/needs/{need_id}").status_code == 404
    assert events(live.hub, "need.deleted") == [{"id": need_id}]
    assert events(live.hub, "need.created") == [{"id": need_id, "erased": True}]  # the hub's copy too
    assert audit(live.hub, "need.delete") == [("token:script", need_id)]
    assert bearer.get(f"/api/v1/admin/tasks/{task['id']}").json()["need_id"] is None  # the task stays
    retried = client.post("/api/v1/needs", json=body, headers=headers)
    assert retried.status_code == 409, retried.text
    assert not exists(live.hub, Need, need_id)
    with live.hub.db.read() as session:
        assert session.exec(select(Need)).all() == []
    for kind, record_id, model in (
        ("checkins", checkin(live.hub), CheckIn),
        ("offers", offer(live.hub).id, Offer),
    ):
        assert bearer.delete(f"/api/v1/admin/{kind}/{record_id}").status_code == 204
        assert not exists(live.hub, model, record_id)
    assert all(set(e) == {"id"} for e in events(live.hub, "checkin.deleted"))
    assert len(events(live.hub, "checkin.deleted")) == 1
    assert len(events(live.hub, "offer.deleted")) == 1
    assert bearer.delete(f"/api/v1/admin/offers/{UNKNOWN}").status_code == 404


def test_session_api_writes_need_the_csrf_header(admin: Admin, live: LiveServer) -> None:
    bread = need(live.hub)
    refused = admin.http.post(f"/api/v1/admin/needs/{bread.id}/status", json={"status": "resolved"})
    assert refused.status_code == 403
    assert admin.http.delete(f"/api/v1/admin/needs/{bread.id}").status_code == 403
    assert admin.api("DELETE", f"/api/v1/admin/needs/{bread.id}").status_code == 204


def test_the_needs_page_closes_and_deletes_with_csrf_and_confirmation(admin: Admin, live: LiveServer) -> None:
    bread, soup = need(live.hub), need(live.hub, "Molenweg 4")
    page = admin.http.get("/admin/needs").text
    assert f'action="/admin/needs/{bread.id}/status"' in page
    assert f'action="/admin/needs/{bread.id}/delete"' in page
    no_csrf = admin.http.post(f"/admin/needs/{bread.id}/status", data={"status": "resolved"})
    assert no_csrf.status_code == 403
    done = admin.post_form(f"/admin/needs/{bread.id}/status", {"status": "resolved"})
    assert done.status_code == 303 and "ok=" in done.headers["location"]
    illegal = admin.post_form(f"/admin/needs/{bread.id}/status", {"status": "cancelled"})
    assert "error=" in illegal.headers["location"]
    dup = admin.post_form(f"/admin/needs/{soup.id}/status", {"status": "duplicate", "duplicate_of": bread.id})
    assert "ok=" in dup.headers["location"]
    assert "Weer openen" in admin.http.get("/admin/needs").text
    unconfirmed = admin.post_form(f"/admin/needs/{bread.id}/delete")
    assert "error=" in unconfirmed.headers["location"] and exists(live.hub, Need, bread.id)
    deleted = admin.post_form(f"/admin/needs/{bread.id}/delete", {"confirm": "yes"})
    assert "ok=" in deleted.headers["location"] and not exists(live.hub, Need, bread.id)
    unknown = admin.post_form(f"/admin/needs/{UNKNOWN}/delete", {"confirm": "yes"})
    assert "error=" in unknown.headers["location"]
    assert audit(live.hub, "need.delete") == [("coord", bread.id)]
    assert events(live.hub, "need.status") == [
        {"id": bread.id, "erased": True},  # the deleted need's own events keep only its id
        {"id": soup.id, "status": "duplicate", "duplicate_of": bread.id},
    ]


def test_the_offers_page_sets_status_and_deletes(admin: Admin, live: LiveServer) -> None:
    car = offer(live.hub)
    assert f'action="/admin/offers/{car.id}/status"' in admin.http.get("/admin/offers").text
    assert "ok=" in admin.post_form(f"/admin/offers/{car.id}/status", {"status": "used"}).headers["location"]
    assert audit(live.hub, "offer.status") == [("coord", car.id)]
    assert "ok=" in admin.post_form(f"/admin/offers/{car.id}/delete", {"confirm": "yes"}).headers["location"]
    assert events(live.hub, "offer.deleted") == [{"id": car.id}]


def test_the_checkins_page_lists_calls_for_help_and_makes_a_task_in_one_click(
    admin: Admin, live: LiveServer
) -> None:
    waiting = checkin(live.hub, "Dorpsstraat 21", note="zuurstof bijna op")
    other = checkin(live.hub, "Dorpsstraat 23")
    page = admin.http.get("/admin/checkins").text
    assert f'action="/admin/checkins/{waiting}/task"' in page
    made = admin.post_form(f"/admin/checkins/{waiting}/task", {"volunteer_id": ""})
    assert "ok=" in made.headers["location"], made.headers["location"]
    handled = admin.post_form(f"/admin/checkins/{other}/handled")
    assert "ok=" in handled.headers["location"]
    again = admin.post_form(f"/admin/checkins/{other}/handled")
    assert "error=" in again.headers["location"]
    page = admin.http.get("/admin/checkins").text
    assert f'action="/admin/checkins/{waiting}/task"' not in page
    with live.hub.db.read() as session:
        task = session.exec(select(Task)).one()
        row = session.exec(select(CheckIn).where(CheckIn.id == waiting)).one()
    assert (task.address, task.kind, row.task_id) == ("Dorpsstraat 21", "check", task.id)
    deleted = admin.post_form(f"/admin/checkins/{other}/delete", {"confirm": "yes"})
    assert "ok=" in deleted.headers["location"]
    assert events(live.hub, "checkin.deleted") == [{"id": other}]
    assert audit(live.hub, "checkin.delete") == [("coord", other)]


def test_the_dashboard_counts_calls_for_help_waiting_and_links_to_the_worklist(
    admin: Admin, live: LiveServer
) -> None:
    first = checkin(live.hub, "Dorpsstraat 21")
    checkin(live.hub, "Dorpsstraat 23")
    checkin(live.hub, "Dorpsstraat 25", status="ok")
    page = admin.http.get("/admin?lang=en").text
    assert 'href="/admin/checkins#worklist"><span class="num">2</span> calls for help to handle</a>' in page
    admin.post_form(f"/admin/checkins/{first}/handled")
    assert '<span class="num">1</span> calls for help to handle' in admin.http.get("/admin?lang=en").text
