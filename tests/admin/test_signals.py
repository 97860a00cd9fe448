"""The signal worklist through real HTTP: triage to a task and closure with who and when,
duplicates suggested and merged, a special-attention household first, danger to life on the
dashboard, paging and search; illegal steps and bad input refused clearly, nothing changed;
CSRF and the audit log on every step."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from hub.domain import signal_states
from hub.errors import IllegalTransition
from hub.models import AuditEntry, Need, OutboxEvent, Signal, Task
from hub.schemas import Consent, HouseholdCreate, SignalCreate
from hub.services import residents, signals
from tests.admin.conftest import CSRF_INPUT as CSRF
from tests.admin.conftest import Admin, login, make_user, run
from tests.conftest import LiveServer


def report(live: LiveServer, **fields: Any) -> str:
    data = SignalCreate(
        **{
            "category": "not_seen",
            "description": "niet gezien sinds maandag",
            "address": "Molenweg 12",
            **fields,
        }
    )
    return run(live.hub, lambda s: signals.create_signal(s, live.hub.ctx, data).id)  # type: ignore[no-any-return]


def signal(live: LiveServer, signal_id: str) -> Signal:
    with live.hub.db.read() as session:
        return session.exec(select(Signal).where(Signal.id == signal_id)).one()


def audit(live: LiveServer) -> list[tuple[str, str, str | None]]:
    with live.hub.db.read() as session:
        rows = session.exec(select(AuditEntry).where(col(AuditEntry.action).startswith("signal."))).all()
        return [(row.actor, row.action, row.target) for row in rows]


def snapshot(live: LiveServer) -> tuple[list[tuple[str, str, int]], int, int]:
    with live.hub.db.read() as session:
        rows = [(s.id, s.status, len(s.steps)) for s in session.exec(select(Signal)).all()]
        events = len(session.exec(select(OutboxEvent)).all())
        tasks = len(session.exec(select(Task)).all())
    return rows, events, tasks


def test_triage_to_a_task_and_closure_each_step_with_who_and_when(live: LiveServer, admin: Admin) -> None:
    signal_id = report(live)
    page = admin.http.get("/admin/signals?lang=en")
    assert page.status_code == 200 and "niet gezien sinds maandag" in page.text
    assert "someone not seen" in page.text and ">new<" in page.text

    response = admin.post_form(f"/admin/signals/{signal_id}/look")
    assert response.status_code == 303 and response.headers["location"].endswith("ok=signal_looked_at")
    assert signal(live, signal_id).status == "looked_at"

    response = admin.post_form(f"/admin/signals/{signal_id}/act", {"action": "task"})
    assert response.headers["location"].endswith("ok=signal_acted_on")
    acted = signal(live, signal_id)
    assert (acted.status, acted.action) == ("acted_on", "task")
    with live.hub.db.read() as session:
        task = session.exec(select(Task).where(Task.id == acted.action_ref)).one()
    assert (task.kind, task.address, task.note) == ("check", "Molenweg 12", "niet gezien sinds maandag")

    response = admin.post_form(f"/admin/signals/{signal_id}/close")
    assert response.headers["location"].endswith("ok=signal_closed")
    closed = signal(live, signal_id)
    assert closed.status == "closed"
    assert [(s["step"], s["by"]) for s in closed.steps] == [
        ("look", "coord"),
        ("act", "coord"),
        ("close", "coord"),
    ]
    assert all(s["at"] for s in closed.steps)
    assert audit(live) == [
        ("coord", "signal.look", signal_id),
        ("coord", "signal.act", signal_id),
        ("coord", "signal.close", signal_id),
    ]
    page = admin.http.get("/admin/signals?lang=en").text
    finished = page.split('id="finished"')[1]
    assert "closed" in finished and "made a task" in finished and "coord" in finished


def test_a_need_a_door_knock_and_a_call_to_a_partner(live: LiveServer, admin: Admin) -> None:
    need_signal = report(live, life=True, category="care", description="mevrouw K. zit zonder zuurstof")
    knock_signal = report(live, address="Kerkstraat 5")
    partner_signal = report(live, address="Dorpsstraat 21")
    admin.post_form(f"/admin/signals/{need_signal}/act", {"action": "need"})
    admin.post_form(f"/admin/signals/{knock_signal}/act", {"action": "door_knock"})
    admin.post_form(
        f"/admin/signals/{partner_signal}/act", {"action": "partner", "routed_to": "Thuiszorg West"}
    )
    with live.hub.db.read() as session:
        need = session.exec(select(Need).where(Need.id == signal(live, need_signal).action_ref)).one()
        knock = session.exec(select(Task).where(Task.id == signal(live, knock_signal).action_ref)).one()
    assert (need.urgency, need.category, need.description) == (
        "life",
        "other",
        "mevrouw K. zit zonder zuurstof",
    )
    assert knock.kind == "door_knock"
    routed = signal(live, partner_signal)
    assert (routed.action, routed.routed_to, routed.status) == ("partner", "Thuiszorg West", "acted_on")
    assert [s.id for s in signals.signals_routed_to(live.hub, "Thuiszorg West")] == [partner_signal]


def test_illegal_steps_and_bad_input_are_refused_and_change_nothing(live: LiveServer, admin: Admin) -> None:
    signal_id = report(live)
    street_only = report(live, address="Molenweg", category="street_danger")
    admin.post_form(f"/admin/signals/{signal_id}/close")
    before = snapshot(live)
    refusals = {
        f"/admin/signals/{signal_id}/look": ({}, "signal_step"),  # closed: look is not a step
        f"/admin/signals/{signal_id}/close": ({}, "signal_step"),
        f"/admin/signals/{street_only}/reopen": ({}, "signal_step"),
        f"/admin/signals/{street_only}/act": ({"action": "bake"}, "unknown_action"),
        f"/admin/signals/{street_only}/merge": ({"merge_into": street_only}, "signal_merge"),
        f"/admin/signals/{street_only}/merge ": ({"merge_into": "nonexistent"}, "signal_merge"),
        f"/admin/signals/{street_only}/merge  ": ({"merge_into": ""}, "signal_merge"),
        "/admin/signals/nonexistent/look": ({}, "not_found"),
    }
    for url, (data, error) in refusals.items():
        response = admin.post_form(url.strip(), data)
        assert response.status_code == 303, url
        assert response.headers["location"].endswith(f"error={error}"), (url, response.headers["location"])
    response = admin.post_form(f"/admin/signals/{street_only}/act", {"action": "partner", "routed_to": "  "})
    assert response.headers["location"].endswith("error=partner_missing")
    no_address = report(live, address=None)
    before = snapshot(live)
    response = admin.post_form(f"/admin/signals/{no_address}/act", {"action": "task"})
    assert response.headers["location"].endswith("error=signal_address")
    assert snapshot(live) == before
    page = admin.http.get("/admin/signals?lang=en&error=signal_step")
    assert "not possible in the signal" in page.text
    # a form without the session's CSRF token, and a viewer: 403, nothing changed
    assert admin.http.post(f"/admin/signals/{street_only}/look", data={"csrf": "wrong"}).status_code == 403
    assert snapshot(live) == before
    # the rule itself: a clear reason
    with pytest.raises(IllegalTransition) as refused:
        signal_states.transition("merged", signal_states.SignalEvent.CLOSE)
    assert str(refused.value) == (
        "the signal is merged: closing it is only possible when it is new, looked_at or acted_on"
    )


def test_duplicates_are_suggested_and_merged(live: LiveServer, admin: Admin) -> None:
    first = report(live)
    second = report(live, description="nummer 12 doet niet open")
    other_kind = report(live, category="building", description="lift kapot")
    page = admin.http.get("/admin/signals?lang=en").text
    row = page.split(f'action="/admin/signals/{second}/merge"')[0].rsplit("<tr", 1)[1]
    assert "Possible duplicate of" in row
    with live.hub.db.read() as session:
        pks = {s.id: s.pk for s in session.exec(select(Signal)).all()}
    assert f"S{pks[first]}" in row
    assert other_kind not in page.split("Possible duplicate of")[1].split("</p>")[0]
    response = admin.post_form(f"/admin/signals/{second}/merge", {"merge_into": first})
    assert response.headers["location"].endswith("ok=signal_merged")
    merged, target = signal(live, second), signal(live, first)
    assert (merged.status, merged.merged_into) == ("merged", first)
    assert target.steps[-1]["step"] == "merged_in" and target.steps[-1]["from"] == second
    page = admin.http.get("/admin/signals?lang=en").text
    assert "reported 1 more times (merged)" in page
    assert ("coord", "signal.merge", second) in audit(live)
    # merged is final: no merging into a merged signal, nor merging it again
    assert (
        admin.post_form(f"/admin/signals/{other_kind}/merge", {"merge_into": second})
        .headers["location"]
        .endswith("error=signal_merge")
    )
    assert admin.post_form(f"/admin/signals/{second}/close").headers["location"].endswith("error=signal_step")


def test_not_a_duplicate_after_the_window(live: LiveServer) -> None:
    at = signal_states.DUPLICATE_WINDOW
    now = datetime.now(UTC)
    assert signal_states.is_duplicate_candidate("molenweg 12", "care", now, "molenweg 12", "care", now - at)
    assert not signal_states.is_duplicate_candidate(
        "molenweg 12", "care", now, "molenweg 12", "care", now - at - timedelta(seconds=1)
    )
    assert not signal_states.is_duplicate_candidate(None, "care", now, None, "care", now)
    assert not signal_states.is_duplicate_candidate("molenweg 12", "care", now, "molenweg 14", "care", now)


def test_a_special_attention_household_comes_first_and_is_marked_in_words(
    live: LiveServer, admin: Admin
) -> None:
    household = HouseholdCreate(
        address="Kerkstraat 7", special_attention=["alone_75plus"], consent=Consent(given_by="Mw. K")
    )
    run(live.hub, lambda s: residents.register_household(s, live.hub.ctx, household))
    cared = report(live, address="Kerkstraat 7", description="gordijnen al twee dagen dicht")
    newer = report(live, address="Molenweg 1", description="nieuwer maar gewoon")
    page = admin.http.get("/admin/signals?lang=en").text
    worklist = page.split('id="worklist"')[1].split('id="finished"')[0]
    assert worklist.index("gordijnen al twee dagen dicht") < worklist.index("nieuwer maar gewoon")
    row = worklist.split("gordijnen al twee dagen dicht")[0].rsplit("<tr", 1)[1]
    assert "sig-attention" in row and "special-attention household" in row  # words, not only colour
    assert newer  # the newer one is there, after
    nl = admin.http.get("/admin/signals?lang=nl").text
    assert "huishouden met extra aandacht" in nl
    assert cared


def test_danger_to_life_is_on_the_dashboard_until_looked_at(live: LiveServer, admin: Admin) -> None:
    urgent = report(live, life=True, category="street_danger", description="gaslucht in de Molenweg")
    report(live, description="gewoon een zorg")
    page = admin.http.get("/admin?lang=en").text
    now = page.split('id="now"')[1].split("</section>\n\n")[0]
    assert "gaslucht in de Molenweg" in now and "DANGER TO LIFE" in now
    assert "gewoon een zorg" not in now
    assert re.search(r"New signals nobody has looked at: <strong>2</strong>", page)
    admin.post_form(f"/admin/signals/{urgent}/look")
    page = admin.http.get("/admin?lang=en").text
    assert "gaslucht in de Molenweg" not in page


def test_search_and_paging(live: LiveServer, admin: Admin) -> None:
    ids = [report(live, address=f"Molenweg {n}", description=f"zorg nummer {n}") for n in range(1, 106)]
    for signal_id in ids:
        run(live.hub, lambda s, i=signal_id: signals.close(s, live.hub.ctx, i, actor="test"))
    report(live, address="Kerkstraat 9", category="building", description="de lift staat stil")
    first = admin.http.get("/admin/signals?lang=en").text
    assert first.count("zorg nummer") == signals.PAGE
    older = re.search(r'href="\?before=(\d+)"', first)
    assert older, "no link to the older signals"
    second = admin.http.get(f"/admin/signals?lang=en&before={older[1]}").text
    assert second.count("zorg nummer") == 105 - signals.PAGE
    found = admin.http.get("/admin/signals?lang=en&q=lift").text
    assert "de lift staat stil" in found and "zorg nummer" not in found
    by_kind = admin.http.get("/admin/signals?lang=en&category=building").text
    assert "de lift staat stil" in by_kind and "zorg nummer" not in by_kind
    assert admin.http.get("/admin/signals?before=abc").status_code == 422
    assert admin.http.get("/admin/signals?category=lava").status_code == 200  # unknown kind: all


def test_the_admin_api_lists_signals_with_their_steps(live: LiveServer, admin: Admin) -> None:
    signal_id = report(live)
    admin.post_form(
        f"/admin/signals/{signal_id}/act", {"action": "partner", "routed_to": "Huisartsenpraktijk"}
    )
    listed = admin.http.get("/api/v1/admin/signals").json()
    (item,) = listed["items"]
    assert (item["id"], item["status"], item["routed_to"]) == (signal_id, "acted_on", "Huisartsenpraktijk")
    assert item["steps"][0]["step"] == "act" and item["steps"][0]["by"] == "coord"


def test_a_viewer_sees_the_list_but_changes_nothing(live: LiveServer) -> None:
    signal_id = report(live)
    make_user(live.hub, "kijker", role="viewer")
    with live.client() as http:
        assert login(http, "kijker").status_code == 303
        page = http.get("/admin/signals?lang=en")
        assert page.status_code == 200 and "niet gezien sinds maandag" in page.text
        assert f"/admin/signals/{signal_id}/look" not in page.text  # no buttons
        csrf = CSRF.search(page.text)
        assert csrf is not None
        refused = http.post(f"/admin/signals/{signal_id}/look", data={"csrf": csrf[1]})
        assert refused.status_code == 403
    assert signal(live, signal_id).status == "new"
    assert audit(live) == []
