"""Need and offer status by hand, the need closed by a delivery done, the help worklist."""

from __future__ import annotations

import pytest
from sqlmodel import select

from hub.errors import Conflict, NotFound, ValidationError
from hub.models import CheckIn, Need, Task
from hub.runtime import Hub
from hub.services import record_status, tasks, worklist
from tests.records.conftest import audit, checkin, events, need, offer


def _set(hub: Hub, need_id: str, status: str, duplicate_of: str | None = None) -> Need:
    return hub.db.writer.run_sync(
        lambda s: record_status.set_need_status(
            s, hub.ctx, need_id, status, actor="coord", duplicate_of=duplicate_of
        )
    )


def test_a_need_is_resolved_reopened_cancelled_and_every_change_goes_upstream(hub: Hub) -> None:
    bread = need(hub)
    assert _set(hub, bread.id, "resolved").status == "resolved"
    with pytest.raises(Conflict, match="open"):  # closed needs move only back to open
        _set(hub, bread.id, "cancelled")
    _set(hub, bread.id, "resolved")  # repeating the current status changes nothing
    reopened = _set(hub, bread.id, "open")
    assert (reopened.status, reopened.resolved_at) == ("open", None)
    assert _set(hub, bread.id, "cancelled").resolved_at is not None
    assert events(hub, "need.status") == [
        {"id": bread.id, "status": "resolved", "duplicate_of": None},
        {"id": bread.id, "status": "open", "duplicate_of": None},
        {"id": bread.id, "status": "cancelled", "duplicate_of": None},
    ]
    assert audit(hub, "need.status") == [("coord", bread.id)] * 3


def test_a_duplicate_names_an_existing_original(hub: Hub) -> None:
    first, second, third = need(hub), need(hub, "Molenweg 2a"), need(hub, "Molenweg 4")
    with pytest.raises(ValidationError, match="name the need"):
        _set(hub, second.id, "duplicate")
    with pytest.raises(ValidationError, match="itself"):
        _set(hub, second.id, "duplicate", second.id)
    with pytest.raises(ValidationError, match="no need"):
        _set(hub, second.id, "duplicate", "01JNOSUCHNEED0000000000000")
    with pytest.raises(ValidationError, match="only with status duplicate"):
        _set(hub, second.id, "resolved", first.id)
    with pytest.raises(ValidationError, match="status must be"):
        _set(hub, second.id, "closed")
    with pytest.raises(NotFound):
        _set(hub, "nope", "resolved")
    _set(hub, second.id, "duplicate", first.id)
    with pytest.raises(ValidationError, match="itself a duplicate"):
        _set(hub, third.id, "duplicate", second.id)
    with pytest.raises(Conflict, match="already a duplicate"):
        _set(hub, second.id, "duplicate", third.id)
    assert events(hub, "need.status") == [{"id": second.id, "status": "duplicate", "duplicate_of": first.id}]


def test_a_delivery_done_resolves_its_need_and_says_so(hub: Hub) -> None:
    water = need(hub)

    def deliver(session: object) -> Task:
        task = tasks.create_task(session, hub.ctx, kind="delivery", need_id=water.id, actor="coord")  # type: ignore[arg-type]
        return tasks.done(session, hub.ctx, task.id, actor="coord")  # type: ignore[arg-type]

    hub.db.writer.run_sync(deliver)
    assert events(hub, "need.status") == [{"id": water.id, "status": "resolved", "duplicate_of": None}]


def test_need_status_events_follow_the_share_rules_of_need_created(hub: Hub) -> None:
    """At the default level nothing of the need's text or address rides along."""
    bread = need(hub)
    _set(hub, bread.id, "resolved")
    (created,) = events(hub, "need.created")
    assert "description" not in created and "address" not in created
    assert set(events(hub, "need.status")[0]) == {"id", "status", "duplicate_of"}


def test_offers_are_available_used_or_withdrawn(hub: Hub) -> None:
    car = offer(hub)
    assert car.status == "available"

    def change(status: str) -> str:
        return hub.db.writer.run_sync(
            lambda s: record_status.set_offer_status(s, hub.ctx, car.id, status, actor="coord")
        ).status

    assert change("used") == "used"
    with pytest.raises(Conflict, match="used"):
        change("withdrawn")
    assert change("available") == "available"
    assert change("withdrawn") == "withdrawn"
    with pytest.raises(ValidationError):
        change("open")
    assert events(hub, "offer.status") == [
        {"id": car.id, "status": "used"},
        {"id": car.id, "status": "available"},
        {"id": car.id, "status": "withdrawn"},
    ]
    assert len(audit(hub, "offer.status")) == 3


def test_a_call_for_help_stays_on_the_worklist_until_handled_or_made_a_task(hub: Hub) -> None:
    first = checkin(hub, "Kerkstraat 5", note="kan de trap niet af")
    second = checkin(hub, "Kerkstraat 7")
    fine = checkin(hub, "Kerkstraat 9", status="ok")
    with hub.db.read() as session:
        assert [c.id for c in worklist.help_worklist(session)] == [first, second]
    w = hub.db.writer.run_sync
    w(lambda s: worklist.mark_handled(s, hub.ctx, first, actor="coord"))
    with pytest.raises(Conflict, match="handled already by coord"):
        w(lambda s: worklist.mark_handled(s, hub.ctx, first, actor="coord"))
    with pytest.raises(Conflict, match="says ok"):
        w(lambda s: worklist.mark_handled(s, hub.ctx, fine, actor="coord"))
    task = w(lambda s: worklist.make_task(s, hub.ctx, second, actor="coord"))
    assert (task.kind, task.address) == ("check", "Kerkstraat 7")
    with pytest.raises(Conflict):
        w(lambda s: worklist.make_task(s, hub.ctx, first, actor="coord"))
    with hub.db.read() as session:
        assert worklist.help_worklist(session) == []
        linked = session.exec(select(CheckIn).where(CheckIn.id == second)).one()
    assert (linked.task_id, linked.handled_by) == (task.id, "coord")
    assert audit(hub, "checkin.handled") == [("coord", first)]
    assert audit(hub, "checkin.task") == [("coord", second)]


def test_a_record_made_and_deleted_in_one_group_commit_leaves_only_its_id_in_the_outbox(hub: Hub) -> None:
    from hub.schemas import NeedCreate
    from hub.services import erasure, residents

    def job(session: object) -> str:
        data = NeedCreate(address="Molenweg 2", category="food", description="brood")
        made = residents.create_need(session, hub.ctx, data)  # type: ignore[arg-type]
        erasure.delete_record(session, hub.ctx, "needs", made.id, actor="coord")  # type: ignore[arg-type]
        return made.id

    need_id = hub.db.writer.run_sync(job)
    assert events(hub, "need.created") == [{"id": need_id, "erased": True}]
    assert events(hub, "need.deleted") == [{"id": need_id}]


def test_a_need_or_offer_mirrored_from_another_hub_is_changed_only_there(hub: Hub) -> None:
    from hub.models import Offer

    def mirror(session: object) -> None:
        session.add(  # type: ignore[attr-defined]
            Need(id="01JPEERNEED000000000000000", address="(west-2)", address_key="west-2", category="food",
                 urgency="normal", description="food", origin_hub="west-2")
        )  # fmt: skip
        session.add(
            Offer(id="01JPEEROFFER00000000000000", category="car", description="car", origin_hub="west-2")
        )  # type: ignore[attr-defined]

    hub.db.writer.run_sync(mirror)
    with pytest.raises(Conflict, match="west-2"):
        _set(hub, "01JPEERNEED000000000000000", "resolved")
    with pytest.raises(Conflict, match="west-2"):
        hub.db.writer.run_sync(
            lambda s: record_status.set_offer_status(
                s, hub.ctx, "01JPEEROFFER00000000000000", "used", actor="c"
            )
        )
    assert events(hub, "need.status") == [] and events(hub, "offer.status") == []
