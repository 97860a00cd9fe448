"""Activities and drills: coordinators post, change and remove them (CSRF, audited); the portal's
home page in normal mode shows the coming ones, past ones drop off; in a crisis or drill the
home page stays check-in first. Bad input changes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
from sqlmodel import select

from hub.models import Activity, AuditEntry
from hub.services import drills
from tests.admin.conftest import Admin
from tests.admin.test_no_raw_values import raw_values, visible
from tests.conftest import LiveServer


def local(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%dT%H:%M")


def stored(live: LiveServer) -> list[Activity]:
    with live.hub.db.read() as session:
        return list(session.exec(select(Activity).order_by(Activity.pk)))  # type: ignore[arg-type]


def post(admin: Admin, **fields: str) -> httpx.Response:
    return admin.post_form("/admin/activities", fields)


def test_posted_activities_are_on_the_board_until_their_day_passed(
    client: httpx.Client, registered: LiveServer, coordinator: Admin
) -> None:
    soon = datetime.now().astimezone() + timedelta(days=2)
    later = soon + timedelta(days=7)
    answer = post(coordinator, title="Oefening stroomuitval", when=local(later), place="Buurthuis De Linde",
                  text="We oefenen het aanbellen.\nNeem uw handset mee.", kind="drill")  # fmt: skip
    assert answer.status_code == 303 and answer.headers["location"].endswith("ok=activity_posted")
    post(coordinator, title="Koffie en noodpakket", when=local(soon).replace("T", " "), place="Schoolplein")
    post(coordinator, title="Vorige week", when=local(soon - timedelta(days=10)), place="Kerk")

    home = client.get("/?lang=nl").text
    assert "Koffie en noodpakket" in home and "Oefening stroomuitval" in home
    assert home.index("Koffie en noodpakket") < home.index("Oefening stroomuitval")  # soonest first
    assert "Vorige week" not in home
    assert "Oefening</strong>" in home  # a drill says so
    for link in (
        'href="/selfcheck"',
        'href="/volunteer"',
        'href="/register?for=neighbour"',
        'href="/checkin"',
    ):
        assert link in home
    english = client.get("/?lang=en").text
    assert '<h3 lang="nl" dir="ltr">Koffie en noodpakket</h3>' in english  # Dutch text, marked
    assert "Drill (an exercise)" in english

    # the neighbour link opens the household form for a neighbour, with the consent section
    form = client.get("/register?for=neighbour").text
    assert 'value="neighbour" checked' in form and 'name="agree"' in form

    # the coordinators' list: all three, the past one marked; no raw codes
    for lang in ("nl", "en"):
        listing = coordinator.http.get(f"/admin/activities?lang={lang}")
        assert listing.status_code == 200
        assert raw_values(*visible(listing.text)[:1], lang) == []
        assert listing.text.count("<tr>") == 4  # header + three
    assert "nee, voorbij" in coordinator.http.get("/admin/activities?lang=nl").text

    # a crisis: the home page is check-in first, as before, without the board
    registered.hub.db.writer.run_sync(
        lambda s: drills.set_mode(s, registered.hub.ctx, "crisis", actor="test")
    )
    crisis = client.get("/?lang=nl").text
    assert "Koffie en noodpakket" not in crisis and 'href="/volunteer"' not in crisis
    assert 'class="button" href="/checkin"' in crisis


def test_change_and_remove_are_audited(
    registered: LiveServer, coordinator: Admin, client: httpx.Client
) -> None:
    when = local(datetime.now().astimezone() + timedelta(days=3))
    post(coordinator, title="Buurtborrel", when=when, place="Plein")
    activity = stored(registered)[0]
    changed = coordinator.post_form(f"/admin/activities/{activity.id}",
                                    {"title": "Buurtborrel en oefening", "when": when, "place": "Buurthuis",
                                     "kind": "drill", "text": ""})  # fmt: skip
    assert changed.status_code == 303 and "ok=saved" in changed.headers["location"]
    after = stored(registered)[0]
    assert (after.title, after.place, after.kind) == ("Buurtborrel en oefening", "Buurthuis", "drill")
    assert "Buurtborrel en oefening" in client.get("/").text

    unticked = coordinator.post_form(f"/admin/activities/{activity.id}/delete")
    assert "error=confirm_deletion" in unticked.headers["location"] and len(stored(registered)) == 1
    removed = coordinator.post_form(f"/admin/activities/{activity.id}/delete", {"confirm": "yes"})
    assert "ok=deleted" in removed.headers["location"] and stored(registered) == []
    assert "Buurtborrel" not in client.get("/").text
    gone = coordinator.post_form(f"/admin/activities/{activity.id}/delete", {"confirm": "yes"})
    assert "error=not_found" in gone.headers["location"]
    with registered.hub.db.read() as session:
        audit = [
            (a.actor, a.action, a.target)
            for a in session.exec(select(AuditEntry))
            if a.action.startswith("activity.")
        ]
    assert audit == [("coord", "activity.post", activity.id), ("coord", "activity.change", activity.id),
                     ("coord", "activity.remove", activity.id)]  # fmt: skip


def test_bad_input_is_refused_and_changes_nothing(registered: LiveServer, coordinator: Admin) -> None:
    when = local(datetime.now().astimezone() + timedelta(days=3))
    cases = [
        ({"title": "", "when": when, "place": "Plein"}, "field=title"),
        ({"title": "x" * 121, "when": when, "place": "Plein"}, "field=title"),
        ({"title": "Borrel", "when": "morgen om acht", "place": "Plein"}, "field=when"),
        ({"title": "Borrel", "when": "2026-13-45T25:00", "place": "Plein"}, "field=when"),
        ({"title": "Borrel", "when": when, "place": " "}, "field=place"),
        ({"title": "Borrel", "when": when, "place": "Plein", "kind": "feest"}, "field=kind"),
        ({"title": "Borrel", "when": when, "place": "Plein", "text": "x" * 1001}, "field=text"),
    ]
    for fields, field in cases:
        answer = post(coordinator, **fields)
        assert answer.status_code == 303 and "error=invalid" in answer.headers["location"], fields
        assert field in answer.headers["location"], (fields, answer.headers["location"])
    missing = coordinator.post_form("/admin/activities", {"title": "Borrel"})  # no when, no place
    assert missing.status_code == 303 and "field=when" in missing.headers["location"]
    too_long = coordinator.post_form(
        "/admin/activities", {"title": "Borrel", "when": when, "place": "x" * 2001}
    )
    assert too_long.status_code == 303 and "error=form_refused" in too_long.headers["location"]
    assert stored(registered) == []
    shown = coordinator.http.get("/admin/activities?error=invalid&field=when&lang=en").text
    assert "check what you filled in" in shown and "When" in shown
    # no CSRF token: refused, nothing stored
    no_csrf = coordinator.http.post("/admin/activities", data={"title": "x", "when": when, "place": "y"})
    assert no_csrf.status_code == 403 and stored(registered) == []
    post(coordinator, title="Goed", when=when, place="Plein")
    activity = stored(registered)[0]
    bad_change = coordinator.post_form(f"/admin/activities/{activity.id}",
                                       {"title": "Goed", "when": "nooit", "place": "Plein"})  # fmt: skip
    assert "error=invalid" in bad_change.headers["location"]
    assert stored(registered)[0].starts_at == activity.starts_at
    assert (
        coordinator.http.post(f"/admin/activities/{activity.id}/delete", data={"confirm": "yes"}).status_code
        == 403
    )
    assert len(stored(registered)) == 1
