"""The admin JSON API and the login over real HTTP: auth, CSRF, roles, pagination, networks."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import update
from sqlmodel import col, select

from hub.config import Settings
from hub.models import AuditEntry, CheckIn, Drill, Household, MeshOutbound, OutboxEvent, Task
from hub.models.base import utcnow
from hub.services import accounts, task_flow
from tests.admin.conftest import Admin, Session, login, make_token, make_user, run
from tests.conftest import LiveServer

LISTS = ["checkins", "needs", "offers", "tasks", "volunteers", "households", "messages", "announcements"]
HOUSEHOLD = {
    "address": "Kerkstraat 5",
    "special_attention": ["alone_75plus"],
    "consent": {"given_by": "mevr. J", "share_upstream": False},
    "note": "84, alleen",
}


def test_every_admin_endpoint_wants_credentials(client: httpx.Client) -> None:
    for name in LISTS:
        response = client.get(f"/api/v1/admin/{name}")
        assert response.status_code == 401, name
        assert response.headers["www-authenticate"] == "Bearer"
    assert client.get("/api/v1/admin/tasks/x").status_code == 401
    assert client.post("/api/v1/admin/volunteers", json={"name": "A"}).status_code == 401
    assert client.post("/api/v1/admin/tasks/x/assign", json={"volunteer_id": "v"}).status_code == 401
    assert client.put("/api/v1/admin/mode", json={"mode": "crisis"}).status_code == 401
    assert client.get("/api/v1/admin/tasks", headers={"Authorization": "Bearer nope"}).status_code == 401
    page = client.get("/admin", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/admin/login"


def test_lists_page_newest_first_with_cursor(bearer: httpx.Client, client: httpx.Client) -> None:
    for number in range(1, 8):
        assert (
            client.post(
                "/api/v1/checkins", json={"address": f"Molenweg {number}", "status": "ok"}
            ).status_code
            == 201
        )
    seen: list[str] = []
    url = "/api/v1/admin/checkins?limit=3"
    pages = 0
    while url:
        body = bearer.get(url).json()
        seen += [item["address"] for item in body["items"]]
        pages += 1
        url = f"/api/v1/admin/checkins?limit=3&cursor={body['next']}" if body["next"] else ""
    assert pages == 3
    assert seen == [f"Molenweg {n}" for n in range(7, 0, -1)]
    for name in LISTS:
        body = bearer.get(f"/api/v1/admin/{name}").json()
        assert set(body) == {"items", "next"}, name
    assert bearer.get("/api/v1/admin/checkins?limit=1001").status_code == 422
    assert bearer.get("/api/v1/admin/checkins?limit=0").status_code == 422
    bad = bearer.get("/api/v1/admin/checkins?cursor=abc")
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["field"] == "cursor"


def test_create_and_dispatch_through_the_api(bearer: httpx.Client, live: LiveServer) -> None:
    anna = bearer.post(
        "/api/v1/admin/volunteers", json={"name": "Anna", "node_id": "!A1B2C3D4", "skills": ["ehbo"]}
    )
    assert anna.status_code == 201
    assert anna.json()["node_id"] == "!a1b2c3d4"
    paper = bearer.post("/api/v1/admin/volunteers", json={"name": "Dirk"}).json()
    household = bearer.post(
        "/api/v1/admin/households", json={**HOUSEHOLD, "buddy_volunteer_id": anna.json()["id"]}
    )
    assert household.status_code == 201
    assert household.json()["registered_by"] == "coordinator"
    assert "consent_given_by" in household.json()

    task = bearer.post(
        "/api/v1/admin/tasks", json={"kind": "door_knock", "household_id": household.json()["id"]}
    )
    assert task.status_code == 201
    body = task.json()
    assert (body["number"], body["status"], body["address"], body["note"]) == (
        1,
        "open",
        "Kerkstraat 5",
        "84, alleen",
    )

    sent = bearer.post(f"/api/v1/admin/tasks/{body['id']}/assign", json={"volunteer_id": anna.json()["id"]})
    assert sent.status_code == 200
    # queued for the radio: "sent" only once the handset acknowledges it
    assert (sent.json()["status"], sent.json()["sent_at"]) == ("open", None)
    assert sent.json()["attempts"] == 1
    with live.hub.db.read() as session:
        queued = session.exec(select(MeshOutbound).where(MeshOutbound.task_id == body["id"])).one()
    assert queued.dest == "!a1b2c3d4"
    assert queued.text == "T1 KLOP Kerkstraat 5. JA 1 / KLAAR 1 / NIET 1"  # the household's note: off air
    assert body["note_on_air"] is False

    on_paper = bearer.post(
        "/api/v1/admin/tasks", json={"kind": "delivery", "address": "Molenweg 4", "volunteer_id": paper["id"]}
    ).json()
    assert (on_paper["number"], on_paper["status"], on_paper["volunteer_id"]) == (2, "open", paper["id"])

    fetched = bearer.get(f"/api/v1/admin/tasks/{body['id']}")
    assert fetched.json()["volunteer_id"] == anna.json()["id"]
    assert bearer.get("/api/v1/admin/tasks/nope").status_code == 404

    announcement = bearer.post(
        "/api/v1/admin/announcements",
        json={
            "title": "Water",
            "body": "Kook water drie minuten. " * 20,
            "priority": "urgent",
            "send_mesh": True,
        },
    )
    assert announcement.status_code == 201
    with live.hub.db.read() as session:
        broadcast = session.exec(
            select(MeshOutbound).where(MeshOutbound.dest == "^all").order_by(col(MeshOutbound.pk))
        ).all()
        assert len(broadcast) == 3  # 500 bytes: numbered parts, each one packet, queued once
        assert all(len(part.text.encode()) <= 200 for part in broadcast)
        assert broadcast[0].text.startswith("1/3 !! Water: Kook water")
        types = [e.type for e in session.exec(select(OutboxEvent).order_by(col(OutboxEvent.seq))).all()]
        actors = {e.actor for e in session.exec(select(AuditEntry)).all()}
    assert {"volunteer.registered", "household.registered", "task.created", "task.assigned"} <= set(types)
    assert "token:script" in actors

    ticked = bearer.post(  # a coordinator ticked "send the note to the volunteer"
        "/api/v1/admin/tasks",
        json={"kind": "delivery", "address": "Dorpsstraat 3", "note": "achterom", "send_note": True},
    ).json()
    assert ticked["note_on_air"] is True
    number = ticked["number"]
    assigned = bearer.post(
        f"/api/v1/admin/tasks/{ticked['id']}/assign", json={"volunteer_id": anna.json()["id"]}
    )
    assert assigned.status_code == 200
    with live.hub.db.read() as session:
        queued = session.exec(select(MeshOutbound).where(MeshOutbound.task_id == ticked["id"])).one()
    assert (
        queued.text
        == f"T{number} BRENG Dorpsstraat 3: achterom. JA {number} / KLAAR {number} / NIET {number}"
    )


def test_bad_input_names_the_field(bearer: httpx.Client) -> None:
    cases = [
        ("/api/v1/admin/volunteers", {"name": "A", "node_id": "12"}, "node_id"),
        ("/api/v1/admin/volunteers", {"node_id": "!a1b2c3d4"}, "name"),
        ("/api/v1/admin/households", {**HOUSEHOLD, "special_attention": ["rich"]}, "special_attention.0"),
        ("/api/v1/admin/households", {**HOUSEHOLD, "consent": {}}, "consent.given_by"),
        ("/api/v1/admin/tasks", {"kind": "party", "address": "Kerkstraat 1"}, "kind"),
        ("/api/v1/admin/announcements", {"title": "", "body": "x"}, "title"),
    ]
    for url, body, field in cases:
        response = bearer.post(url, json=body)
        assert response.status_code == 422, (url, body, response.text)
        assert field in {error["field"] for error in response.json()["detail"]}, response.json()
    no_address = bearer.post("/api/v1/admin/tasks", json={"kind": "check"})
    assert no_address.status_code == 422
    assert no_address.json()["detail"][0]["field"] == "address"
    assert bearer.put("/api/v1/admin/mode", json={"mode": "panic"}).json()["detail"][0]["field"] == "mode"
    unknown = bearer.post("/api/v1/admin/tasks/nope/assign", json={"volunteer_id": "x"})
    assert unknown.status_code == 404


def test_mode_switch_starts_and_ends_a_drill(bearer: httpx.Client, live: LiveServer) -> None:
    assert bearer.get("/api/v1/admin/mode").json()["mode"] == "normal"
    assert bearer.put("/api/v1/admin/mode", json={"mode": "drill"}).json()["mode"] == "drill"
    bearer.post("/api/v1/checkins", json={"address": "Kerkstraat 1", "status": "ok"})
    assert bearer.put("/api/v1/admin/mode", json={"mode": "normal"}).status_code == 200
    with live.hub.db.read() as session:
        drill = session.exec(select(Drill)).one()
        checkin = session.exec(select(CheckIn)).one()
    assert drill.ended_at is not None
    assert drill.report["checkins"] == 1
    assert checkin.drill is True


def test_session_writes_need_the_csrf_header(admin: Admin) -> None:
    body = {"name": "Bram", "node_id": "!b2c3d4e5"}
    assert admin.http.post("/api/v1/admin/volunteers", json=body).status_code == 403
    wrong = admin.http.post("/api/v1/admin/volunteers", json=body, headers={"X-CSRF-Token": "forged"})
    assert wrong.status_code == 403
    assert admin.api("POST", "/api/v1/admin/volunteers", json=body).status_code == 201
    assert admin.http.get("/api/v1/admin/volunteers").json()["items"][0]["name"] == "Bram"


def test_forms_without_or_with_a_wrong_csrf_token_are_refused(admin: Admin, live: LiveServer) -> None:
    for data in ({}, {"csrf": "forged"}):
        response = admin.http.post("/admin/volunteers", data={"name": "Eve", **data})
        assert response.status_code == 403
        assert admin.http.post("/admin/mode", data={"mode": "crisis", **data}).status_code == 403
        assert admin.http.post("/admin/logout", data=data).status_code == 403
    ok = admin.post_form("/admin/volunteers", {"name": "Eve"})
    assert ok.status_code == 303
    with live.hub.db.read() as session:
        assert [
            e.action for e in session.exec(select(AuditEntry).where(AuditEntry.actor == "coord")).all()
        ] == [
            "login",
            "volunteer.register",
        ]


def test_viewer_cannot_change_anything(live: LiveServer) -> None:
    make_user(live.hub, "kijker", role="viewer")
    with live.client() as http:
        assert login(http, "kijker").status_code == 303
        viewer = Admin(http)
        assert http.get("/admin/tasks").status_code == 200
        assert http.get("/api/v1/admin/tasks").status_code == 200
        assert viewer.api("POST", "/api/v1/admin/volunteers", json={"name": "X"}).status_code == 403
        assert viewer.api("PUT", "/api/v1/admin/mode", json={"mode": "crisis"}).status_code == 403
        assert viewer.post_form("/admin/volunteers", {"name": "X"}).status_code == 403
        assert viewer.post_form("/admin/mode", {"mode": "crisis"}).status_code == 403
        assert viewer.post_form("/admin/drill/start").status_code == 403
        assert 'action="/admin/mode"' not in http.get("/admin").text
        assert viewer.post_form("/admin/logout").status_code == 303
    with live.client() as http:
        assert http.get("/api/v1/admin/volunteers").status_code == 401
    with live.hub.db.read() as session:
        assert (
            session.exec(select(AuditEntry).where(AuditEntry.action == "volunteer.register")).first() is None
        )


def test_logout_ends_the_session(admin: Admin, live: LiveServer) -> None:
    cookie = admin.http.cookies.get("bb_admin")
    assert cookie
    assert admin.post_form("/admin/logout").status_code == 303
    with live.client(cookies={"bb_admin": cookie}) as stale:
        assert stale.get("/api/v1/admin/tasks").status_code == 401
        assert stale.get("/admin", follow_redirects=False).status_code == 303
        assert (
            stale.post(
                "/admin/mode", data={"mode": "crisis", "csrf": admin.csrf}, follow_redirects=False
            ).status_code
            == 303
        )


def test_login_rotates_the_session_and_sets_safe_cookie_flags(live: LiveServer) -> None:
    make_user(live.hub, "coord")
    with live.client() as http:
        first = login(http, "coord")
        header = first.headers["set-cookie"].lower()
        assert "httponly" in header
        assert "samesite=strict" in header
        assert "path=/" in header
        old = http.cookies.get("bb_admin")
        login(http, "coord")
        new = http.cookies.get("bb_admin")
    assert old != new
    with live.client(cookies={"bb_admin": old or ""}) as stale:
        assert stale.get("/api/v1/admin/tasks").status_code == 401
    with live.client(cookies={"bb_admin": new or ""}) as fresh:
        assert fresh.get("/api/v1/admin/tasks").status_code == 200


def test_wrong_passwords_lock_the_account(live: LiveServer) -> None:
    make_user(live.hub, "coord")
    with live.client() as http:
        for _ in range(accounts.MAX_FAILURES - 1):
            assert "failed=wrong" in login(http, "coord", "guess-guess").headers["location"]
        assert "failed=locked" in login(http, "coord", "guess-guess").headers["location"]
        locked = login(http, "coord")
        assert "failed=locked" in locked.headers["location"]
        assert http.cookies.get("bb_admin") is None
        assert "op slot" in http.get(locked.headers["location"]).text  # Dutch: the default


def test_one_client_guessing_many_names_is_slowed_down(live: LiveServer) -> None:
    make_user(live.hub, "coord")
    with live.client() as http:
        for number in range(10):
            assert "failed=wrong" in login(http, f"nobody{number}", "guess").headers["location"]
        assert "failed=slow" in login(http, "coord").headers["location"]
        assert http.cookies.get("bb_admin") is None


def test_login_form_needs_its_token(live: LiveServer) -> None:
    make_user(live.hub, "coord")
    with live.client() as http:
        response = http.post("/admin/login", data={"name": "coord", "password": "correct horse battery"})
        assert response.status_code == 403


@pytest.mark.parametrize(("networks", "allowed"), [(["10.0.0.0/8"], False), (["127.0.0.0/8"], True)])
def test_admin_networks(settings: Settings, networks: list[str], allowed: bool) -> None:
    limited = settings.model_copy(update={"admin_networks": networks})
    with LiveServer(limited) as live:
        token = make_token(live.hub)
        with live.client() as http:
            expected = 200 if allowed else 403
            assert http.get("/admin/login").status_code == expected
            assert (
                http.get("/api/v1/admin/tasks", headers={"Authorization": f"Bearer {token}"}).status_code
                == expected
            )
            assert http.get("/api/v1/status").status_code == 200
            assert http.get("/").status_code == 200


def test_household_correction_and_deletion(admin: Admin, live: LiveServer, client: httpx.Client) -> None:
    created = admin.api("POST", "/api/v1/admin/households", json=HOUSEHOLD).json()
    client.post("/api/v1/checkins", json={"address": "kerkstraat 5", "status": "ok"})
    client.post("/api/v1/checkins", json={"address": "Molenweg 1", "status": "ok"})
    patched = admin.api(
        "PATCH", f"/api/v1/admin/households/{created['id']}", json={"note": "84, slechthorend"}
    )
    assert patched.json()["note"] == "84, slechthorend"
    assert (
        admin.post_form(f"/admin/households/{created['id']}/delete")
        .headers["location"]
        .startswith("/admin/households?error=")
    )
    assert admin.post_form(f"/admin/households/{created['id']}/delete", {"confirm": "yes"}).status_code == 303
    with live.hub.db.read() as session:
        assert session.exec(select(Household)).first() is None
        assert [c.address for c in session.exec(select(CheckIn)).all()] == ["Molenweg 1"]
        deleted = session.exec(select(OutboxEvent).where(col(OutboxEvent.type).endswith(".deleted"))).all()
        actions = [e.action for e in session.exec(select(AuditEntry).order_by(col(AuditEntry.pk))).all()]
    assert {e.type for e in deleted} == {"household.deleted", "checkin.deleted"}
    assert all(list(e.data) == ["id"] for e in deleted)
    with live.hub.db.read() as session:
        kept = session.exec(select(OutboxEvent).where(col(OutboxEvent.type) == "household.registered")).one()
    assert kept.data == {"id": kept.data["id"], "erased": True}  # the hub's own copy is emptied too
    assert [a for a in actions if a.startswith("household.")] == [
        "household.register",
        "household.correct",
        "household.delete",
    ]


def test_task_forms_walk_a_task_through(admin: Admin, live: LiveServer) -> None:
    admin.post_form("/admin/volunteers", {"name": "Anna", "node_id": "!a1b2c3d4"})
    volunteer = admin.http.get("/api/v1/admin/volunteers").json()["items"][0]
    assert admin.post_form("/admin/tasks", {"kind": "check", "address": "Dorpsstraat 8"}).status_code == 303
    task = admin.http.get("/api/v1/admin/tasks").json()["items"][0]
    admin.post_form(f"/admin/tasks/{task['id']}/assign", {"volunteer_id": volunteer["id"]})
    admin.post_form(f"/admin/tasks/{task['id']}/fail", {"reason": "niet thuis"})
    failed = admin.http.get(f"/api/v1/admin/tasks/{task['id']}").json()
    assert (failed["status"], failed["fail_reason"]) == ("failed", "niet thuis")
    assert "opnieuw proberen" in admin.http.get("/admin/tasks").text  # needs another try
    admin.post_form(f"/admin/tasks/{task['id']}/assign", {"volunteer_id": volunteer["id"]})
    admin.post_form(f"/admin/tasks/{task['id']}/accept")
    again = admin.post_form(f"/admin/tasks/{task['id']}/assign", {"volunteer_id": volunteer["id"]})
    assert "error=" in again.headers["location"]
    admin.post_form(f"/admin/tasks/{task['id']}/done")
    final = admin.http.get(f"/api/v1/admin/tasks/{task['id']}").json()
    assert (final["status"], final["attempts"]) == ("done", 2)
    with live.hub.db.read() as session:
        assert session.exec(select(Task)).one().done_at is not None
        assert len(session.exec(select(MeshOutbound)).all()) == 2


def test_task_page_tells_queued_from_sent_and_undelivered(admin: Admin, live: LiveServer) -> None:
    admin.post_form("/admin/volunteers", {"name": "Anna", "node_id": "!a1b2c3d4"})
    volunteer = admin.http.get("/api/v1/admin/volunteers").json()["items"][0]
    admin.post_form(
        "/admin/tasks", {"kind": "check", "address": "Dorpsstraat 8", "volunteer_id": volunteer["id"]}
    )
    task = admin.http.get("/api/v1/admin/tasks").json()["items"][0]
    assert "queued for radio" in admin.http.get("/admin/tasks?lang=en").text
    live.hub.db.writer.run_sync(lambda s: task_flow.flag_undeliverable(s, task["id"], "MAX_RETRANSMIT"))
    page = admin.http.get("/admin/tasks?lang=en").text
    assert "the radio could not deliver it" in page
    assert "queued for radio" not in page
    live.hub.db.writer.run_sync(lambda s: task_flow.mark_delivered(s, task["id"]))  # a late ACK after all
    page = admin.http.get("/admin/tasks?lang=en").text
    assert "queued for radio" not in page
    assert "the radio could not deliver it" not in page
    assert admin.http.get(f"/api/v1/admin/tasks/{task['id']}").json()["status"] == "sent"


def test_upstream_messages_and_dead_letters_reach_the_coordinators(live: LiveServer, admin: Admin) -> None:
    from hub.services import inbound

    def job(session: Session) -> None:
        inbound.apply_inbox(
            session,
            external_id="vr-1",
            sender="Veiligheidsregio",
            subject="Waterpunt",
            body="Extra flessen <b>water</b> om 20:00",
            sent_at=None,
            topic="buurtbaken/v1/hubs/buurtbaken-1/inbox",
        )
        inbound.park(
            session,
            topic="buurtbaken/v1/broadcast/announcements",
            reason="not JSON and not CAP 1.2",
            payload=b"<script>alert(1)</script>",
        )

    run(live.hub, job)
    with live.client() as client:
        client.post("/api/v1/checkins", json={"address": "Kerkstraat 9", "status": "ok"})
        live.hub.db.writer.run_sync(  # the broker took it and upstream confirmed it
            lambda s: s.exec(update(OutboxEvent).values(sent_at=utcnow(), confirmed_at=utcnow()))  # type: ignore[call-overload]
        )
        client.post("/api/v1/checkins", json={"address": "Kerkstraat 11", "status": "ok"})
    page = admin.http.get("/admin/sync").text
    rows = page[page.index('id="events"') : page.index('id="inbox"')]
    assert rows.count("checkin.created") == 2
    assert len(re.findall(r"<td[^>]*>–</td>", rows)) == 2  # the newer one: neither sent nor confirmed yet
    assert page.count("Veiligheidsregio") == 1
    title = page[page.index("<title>") : page.index("</title>")]
    assert "Veiligheidsregio" not in title
    assert "Extra flessen &lt;b&gt;water&lt;/b&gt; om 20:00" in page
    assert "not JSON and not CAP 1.2" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>" not in page


def test_export_downloads_are_audited(live: LiveServer, admin: Admin) -> None:
    download = admin.http.get("/admin/export/csv")
    assert download.status_code == 200
    assert download.headers["cache-control"] == "no-store"
    with live.hub.db.read() as session:
        entries = session.exec(select(AuditEntry).where(AuditEntry.action == "export.download")).all()
    assert [(e.actor, e.detail) for e in entries] == [("coord", {"format": "csv", "scope": "minimised"})]


def test_a_coordinator_marks_a_handset_message_handled(live: LiveServer, admin: Admin) -> None:
    from hub.models import MeshMessage

    def job(session: Session) -> str:
        message = MeshMessage(from_node=7, node_id="!0000abcd", packet_id=7, text="brug dicht bij de kerk")
        session.add(message)
        return message.id

    message_id = run(live.hub, job)
    page = admin.http.get("/admin/messages").text
    assert f"/admin/messages/{message_id}/handled" in page
    assert "not verified" in page or "niet zeker" in page  # no PKI: anyone with the channel key could be it
    assert admin.http.post(f"/admin/messages/{message_id}/handled").status_code == 403  # no CSRF token
    response = admin.post_form(f"/admin/messages/{message_id}/handled")
    assert response.status_code == 303
    with live.hub.db.read() as session:
        assert session.exec(select(MeshMessage).where(MeshMessage.id == message_id)).one().handled
        audit = session.exec(select(AuditEntry).where(AuditEntry.action == "message.handled")).one()
    assert (audit.actor, audit.target) == ("coord", message_id)
    assert f"/admin/messages/{message_id}/handled" not in admin.http.get("/admin/messages").text


def test_admin_notices_and_errors_speak_the_coordinators_language(live: LiveServer, admin: Admin) -> None:
    created = admin.api("POST", "/api/v1/admin/volunteers", json={"name": "Anna", "node_id": "!a1b2c3d4"})
    volunteer_id = created.json()["id"]
    refused = admin.post_form(f"/admin/volunteers/{volunteer_id}/delete")
    assert refused.status_code == 303
    page = admin.http.get(refused.headers["location"]).text
    assert "zet een vinkje om het verwijderen te bevestigen" in page  # Dutch by default
    in_english = admin.http.get(refused.headers["location"], headers={"Accept-Language": "en"}).text
    assert "tick the box to confirm the deletion" in in_english
    done = admin.post_form(f"/admin/volunteers/{volunteer_id}/delete", {"confirm": "yes"})
    assert "verwijderd" in admin.http.get(done.headers["location"]).text


def test_crisis_mode_asks_first_and_says_what_it_sets_going(admin: Admin, live: LiveServer) -> None:
    asked = admin.post_form("/admin/mode", {"mode": "crisis"})
    assert asked.status_code == 200
    assert "aanbeltaak" in asked.text and "binnen 6 uur" in asked.text  # Dutch first
    assert admin.api("GET", "/api/v1/admin/mode").json()["mode"] == "normal"  # nothing changed yet
    sure = admin.post_form("/admin/mode", {"mode": "crisis", "confirmed": "yes"})
    assert sure.status_code == 303 and "ok=mode_changed" in sure.headers["location"]
    assert admin.api("GET", "/api/v1/admin/mode").json()["mode"] == "crisis"
    # Back to normal, or into a drill, needs no second question.
    assert admin.post_form("/admin/mode", {"mode": "normal"}).status_code == 303
    assert admin.api("GET", "/api/v1/admin/mode").json()["mode"] == "normal"
