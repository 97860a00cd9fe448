"""Tasks, volunteers and escalation through the services and the writer, on a real database."""

from __future__ import annotations

import time

from sqlmodel import Session, col, select

from hub.jobs import escalation_job, reoffer_job, summary_job
from hub.models import AuditEntry, Household, MeshOutbound, Need, OutboxEvent, Task, Volunteer
from hub.runtime import Hub
from hub.schemas import CheckInCreate, Consent, HouseholdCreate, NeedCreate
from hub.services import coordination, drills, mesh_queue, residents, task_flow, tasks, volunteers


def volunteer(hub: Hub, name: str, node: str | None) -> Volunteer:
    return hub.db.writer.run_sync(lambda s: volunteers.register(s, hub.ctx, name, node, actor="coord"))


def household(hub: Hub, address: str, buddy: str | None = None) -> Household:
    data = HouseholdCreate(
        address=address,
        special_attention=["alone_75plus"],
        consent=Consent(given_by="bewoner"),
        note="woont alleen",
        buddy_volunteer_id=buddy,
    )
    return hub.db.writer.run_sync(lambda s: coordination.register_household(s, hub.ctx, data, actor="coord"))


def new_task(hub: Hub, address: str, **kwargs: object) -> Task:
    return hub.db.writer.run_sync(
        lambda s: tasks.create_task(s, hub.ctx, kind="check", address=address, actor="coord", **kwargs)  # type: ignore[arg-type]
    )


def test_numbers_stay_short_and_are_reused_after_done(hub: Hub) -> None:
    first, second, third = (new_task(hub, f"Molenweg {n}") for n in (1, 2, 3))
    assert [first.number, second.number, third.number] == [1, 2, 3]
    hub.db.writer.run_sync(lambda s: tasks.done(s, hub.ctx, second.id, actor="coord"))
    hub.db.writer.run_sync(lambda s: tasks.fail(s, hub.ctx, third.id, actor="coord", reason="dicht"))
    assert new_task(hub, "Molenweg 4").number == 2  # 2 is finished; 3 failed and waits for another try
    assert new_task(hub, "Molenweg 5").number == 4
    with hub.db.read() as session:
        assert tasks.find_by_number(session, 2).address == "Molenweg 4"  # type: ignore[union-attr]
        assert tasks.find_by_number(session, 3).status == "failed"  # type: ignore[union-attr]


def test_transitions_write_outbox_events_and_audit_only_for_people(hub: Hub) -> None:
    anna = volunteer(hub, "Anna", "!a1b2c3d4")
    need = hub.db.writer.run_sync(
        lambda s: residents.create_need(
            s,
            hub.ctx,
            NeedCreate(address="Dorpsstraat 3", category="water", urgency="urgent", description="2 kids"),
        )
    )
    task = hub.db.writer.run_sync(
        lambda s: tasks.create_task(
            s, hub.ctx, kind="delivery", need_id=need.id, volunteer_id=anna.id, actor="coord"
        )
    )
    assert (task.status, task.address, task.note, task.attempts) == ("open", "Dorpsstraat 3", "2 kids", 1)
    assert task.sent_at is None  # queued for the radio, not yet delivered
    hub.db.writer.run_sync(
        lambda s: tasks.accept(s, hub.ctx, task.id)
    )  # from the handset: no person acting here
    hub.db.writer.run_sync(lambda s: tasks.accept(s, hub.ctx, task.id))  # a repeated JA changes nothing
    hub.db.writer.run_sync(lambda s: tasks.done(s, hub.ctx, task.id))
    with hub.db.read() as session:
        done = session.exec(select(Task)).one()
        events = [e.type for e in session.exec(select(OutboxEvent).order_by(col(OutboxEvent.seq))).all()]
        audit = [e.action for e in session.exec(select(AuditEntry).order_by(col(AuditEntry.pk))).all()]
        resolved = session.exec(select(Need)).one()
    assert done.accepted_at is not None
    assert done.done_at is not None
    assert events[-5:] == ["task.created", "task.assigned", "task.accepted", "task.done", "need.status"]
    assert audit == ["volunteer.register", "task.create", "task.assign"]
    assert resolved.status == "resolved"


def test_unaccepted_task_goes_to_the_next_available_volunteer(hub: Hub) -> None:
    anna = volunteer(hub, "Anna", "!a1b2c3d4")
    bram = volunteer(hub, "Bram", "!b2c3d4e5")
    volunteer(hub, "Dirk", None)  # paper only: never chosen by the radio re-offer
    task = new_task(hub, "Kerkstraat 9", volunteer_id=anna.id)
    start = time.monotonic()
    assert reoffer_job(hub, minutes=15, mono=start + 16 * 60) == []  # still queued: nobody could answer
    hub.db.writer.run_sync(lambda s: task_flow.mark_delivered(s, task.id))  # the handset's ACK
    assert reoffer_job(hub, minutes=15) == []
    later = start + 2 * 16 * 60
    moved = reoffer_job(hub, minutes=15, mono=later)
    assert [t.id for t in moved] == [task.id]
    with hub.db.read() as session:
        again = session.exec(select(Task)).one()
        texts = [
            (m.dest, m.text) for m in session.exec(select(MeshOutbound).order_by(col(MeshOutbound.pk))).all()
        ]
    assert (again.volunteer_id, again.status, again.sent_at, again.attempts) == (bram.id, "open", None, 2)
    assert texts[1] == ("!a1b2c3d4", "T1 gaat naar een ander. Niets meer doen. Dank!")
    assert texts[2][0] == "!b2c3d4e5"
    hub.db.writer.run_sync(lambda s: volunteers.set_availability(s, hub.ctx, anna.id, False, actor="coord"))
    hub.db.writer.run_sync(lambda s: task_flow.mark_delivered(s, task.id))
    reoffer_job(hub, minutes=15, mono=later + 20 * 60)
    with hub.db.read() as session:
        flagged = session.exec(select(Task)).one()
    assert flagged.flagged is True
    assert flagged.volunteer_id == bram.id


def test_silent_household_gets_a_door_knock_task_for_its_buddy(hub: Hub) -> None:
    anna = volunteer(hub, "Anna", "!a1b2c3d4")
    silent = household(hub, "Kerkstraat 5", buddy=anna.id)
    seven = household(hub, "Kerkstraat 7")
    assert escalation_job(hub, hours=0.001) == []  # normal mode: nothing escalates
    hub.db.writer.run_sync(lambda s: drills.set_mode(s, hub.ctx, "crisis", actor="coord"))
    hub.db.writer.run_sync(  # "OK" without the household's code: reported, not verified
        lambda s: residents.create_checkin(s, hub.ctx, CheckInCreate(address="kerkstraat 5", status="ok"))
    )
    hub.db.writer.run_sync(  # the household's own code (from its card): reached
        lambda s: residents.create_checkin(
            s, hub.ctx, CheckInCreate(address="kerkstraat 7", status="ok", code=seven.code)
        )
    )
    assert escalation_job(hub, hours=6) == []  # too early
    created = escalation_job(hub, hours=6, mono=time.monotonic() + 6 * 3600 + 60)
    assert [(t.household_id, t.volunteer_id, t.status, t.automatic) for t in created] == [
        (silent.id, anna.id, "open", True)
    ]
    assert escalation_job(hub, hours=6, mono=time.monotonic() + 7 * 3600) == []  # one task per household
    with hub.db.read() as session:
        text = session.exec(select(MeshOutbound)).one().text
    assert text == "T1 KLOP Kerkstraat 5. JA 1 / KLAAR 1 / NIET 1"  # the household's note stays off the air


def test_heard_updates_the_handset_state(hub: Hub) -> None:
    anna = volunteer(hub, "Anna", "!a1b2c3d4")
    with hub.db.read() as session:
        assert volunteers.state_of(session.exec(select(Volunteer)).one(), 0) == "unheard"
    hub.db.writer.run_sync(lambda s: volunteers.heard(s, "!A1B2C3D4", battery=81, snr=6.5))
    assert hub.db.writer.run_sync(lambda s: volunteers.heard(s, "!ffffffff")) is None
    with hub.db.read() as session:
        heard = session.exec(select(Volunteer)).one()
    assert (heard.battery, heard.snr) == (81, 6.5)
    assert volunteers.state_of(heard, 0) == "available"
    assert volunteers.state_of(heard, 1) == "busy"
    hub.db.writer.run_sync(lambda s: volunteers.delete_volunteer(s, hub.ctx, anna.id, actor="coord"))
    with hub.db.read() as session:
        assert session.exec(select(Volunteer)).first() is None
        assert session.exec(
            select(OutboxEvent).where(OutboxEvent.type == "volunteer.deleted")
        ).one().data == {"id": anna.id}


def test_status_summary_is_merged_not_piled_up(hub: Hub) -> None:
    assert summary_job(hub) is None  # normal mode: no summaries
    hub.db.writer.run_sync(lambda s: drills.set_mode(s, hub.ctx, "crisis", actor="coord"))
    summary_job(hub)
    hub.db.writer.run_sync(
        lambda s: residents.create_checkin(s, hub.ctx, CheckInCreate(address="Kerkstraat 1", status="help"))
    )
    summary_job(hub)
    with hub.db.read() as session:
        rows = session.exec(select(MeshOutbound)).all()
    assert len(rows) == 1
    assert "1 ingecheckt, 1 hulp" in rows[0].text
    assert len(rows[0].text.encode()) <= 200


def test_undelivered_dispatch_goes_to_the_next_volunteer_and_late_acks_change_nothing(hub: Hub) -> None:
    anna = volunteer(hub, "Anna", "!a1b2c3d4")
    bram = volunteer(hub, "Bram", "!b2c3d4e5")
    task = new_task(hub, "Kerkstraat 9", volunteer_id=anna.id)
    with hub.db.read() as session:
        first = session.exec(select(MeshOutbound)).one().pk
    assert first is not None

    def undeliverable(session: Session) -> None:  # what the link does after the last retry
        task_id = mesh_queue.mark_failed(session, first, "MAX_RETRANSMIT")
        assert task_id == task.id
        task_flow.flag_undeliverable(session, task_id, "MAX_RETRANSMIT", outbound_pk=first)

    hub.db.writer.run_sync(undeliverable)
    assert [t.id for t in reoffer_job(hub, minutes=15)] == [task.id]  # no need to wait for a JA
    with hub.db.read() as session:
        moved = session.exec(select(Task)).one()
        rows = session.exec(select(MeshOutbound).order_by(col(MeshOutbound.pk))).all()
    assert (moved.volunteer_id, moved.status, moved.flagged, moved.attempts) == (bram.id, "open", False, 2)
    # Anna never got the task, so she gets no withdrawal either
    assert [(r.dest, r.status) for r in rows] == [("!a1b2c3d4", "failed"), ("!b2c3d4e5", "queued")]

    hub.db.writer.run_sync(lambda s: task_flow.mark_delivered(s, task.id, outbound_pk=first))
    assert hub.db.writer.run_sync(lambda s: tasks.get_task(s, task.id)).status == "open"  # Anna's late ACK
    hub.db.writer.run_sync(lambda s: task_flow.mark_delivered(s, task.id, outbound_pk=rows[1].pk))
    delivered = hub.db.writer.run_sync(lambda s: tasks.get_task(s, task.id))
    assert delivered.status == "sent"
    assert delivered.sent_at is not None


def test_assigning_again_drops_a_dispatch_still_waiting_for_the_radio(hub: Hub) -> None:
    anna = volunteer(hub, "Anna", "!a1b2c3d4")
    bram = volunteer(hub, "Bram", "!b2c3d4e5")
    task = new_task(hub, "Kerkstraat 9", volunteer_id=anna.id)
    hub.db.writer.run_sync(lambda s: tasks.assign(s, hub.ctx, task.id, bram.id, actor="coord"))
    with hub.db.read() as session:
        rows = session.exec(select(MeshOutbound).order_by(col(MeshOutbound.pk))).all()
    assert [(r.dest, r.status) for r in rows] == [("!a1b2c3d4", "dropped"), ("!b2c3d4e5", "queued")]


def test_a_task_still_queued_for_the_radio_keeps_its_volunteer_busy(hub: Hub) -> None:
    anna = volunteer(hub, "Anna", "!a1b2c3d4")
    bram = volunteer(hub, "Bram", "!b2c3d4e5")
    new_task(hub, "Kerkstraat 9", volunteer_id=anna.id)
    with hub.db.read() as session:
        assert volunteers.active_task_counts(session) == {anna.id: 1}
        nxt = volunteers.next_available(session, exclude=set())
    assert nxt is not None
    assert nxt.id == bram.id
