"""Volunteers' task commands on a real database, without a radio: one path with the admin side."""

from __future__ import annotations

from sqlmodel import Session, col, select

from hub.domain.replies import Answer, AnswerKind
from hub.models import AuditEntry, Need, OutboxEvent, Task, Volunteer
from hub.runtime import Hub
from hub.schemas import NeedCreate
from hub.services import residents, task_flow, tasks, volunteers


def _volunteer(hub: Hub, name: str, node: str) -> Volunteer:
    return hub.db.writer.run_sync(lambda s: volunteers.register(s, hub.ctx, name, node, actor="coord"))


def _task(hub: Hub, volunteer: Volunteer, address: str, need_id: str | None = None) -> Task:
    return hub.db.writer.run_sync(
        lambda s: tasks.create_task(
            s,
            hub.ctx,
            kind="delivery",
            address=address,
            need_id=need_id,
            volunteer_id=volunteer.id,
            actor="coord",
        )
    )


def _say(hub: Hub, volunteer: Volunteer, command: str, number: int | None, text: str = "") -> str:
    """The answer's text, marked ``ok:`` for a success (no text on the air) or ``no:``."""

    def job(session: Session) -> Answer:
        who = session.exec(select(Volunteer).where(Volunteer.id == volunteer.id)).one()
        if command == "JA":
            return task_flow.accept(session, hub.ctx, who, number)
        if command == "KLAAR":
            return task_flow.done(session, hub.ctx, who, number, text)
        return task_flow.fail(session, hub.ctx, who, number, text)

    answer = hub.db.writer.run_sync(job)
    assert answer.kind in (AnswerKind.SUCCESS, AnswerKind.REFUSAL)
    return ("ok: " if answer.ok else "no: ") + answer.text


def test_handset_steps_take_the_admin_path_and_numbers_stay_each_volunteers_own(hub: Hub) -> None:
    anna = _volunteer(hub, "Anna", "!a1b2c3d4")
    bram = _volunteer(hub, "Bram", "!b2c3d4e5")
    need = hub.db.writer.run_sync(
        lambda s: residents.create_need(
            s,
            hub.ctx,
            NeedCreate(address="Dorpsstraat 3", category="water", urgency="urgent", description="2 kids"),
        )
    )
    first = _task(hub, anna, "Dorpsstraat 3", need_id=need.id)
    assert _say(hub, anna, "KLAAR", 1, "water gebracht") == "ok: T1 afgerond. Dank je wel!"  # JA forgotten
    with hub.db.read() as session:
        assert session.exec(select(Need)).one().status == "resolved"  # as when a coordinator enters it

    second = _task(hub, bram, "Molenweg 4")
    assert second.number == 1  # the number came free
    assert _say(hub, anna, "JA", 1).startswith("no: T1 is al afgesloten")  # her own, finished T1
    assert _say(hub, anna, "KLAAR", 1) == "ok: T1 afgerond. Dank je wel!"  # a repeated KLAAR changes nothing
    assert _say(hub, anna, "JA", 7).startswith("no: T7 staat niet op jouw naam")
    assert _say(hub, anna, "JA", None).startswith("no: Geen taak die wacht op JA")
    assert _say(hub, bram, "JA", None).startswith("ok: T1 is van jou")  # Bram's T1, not Anna's
    assert _say(hub, bram, "NIET", None, "brug dicht").startswith("ok: T1 teruggemeld")
    assert _say(hub, bram, "KLAAR", 1).startswith("no: T1 is al afgesloten")  # failed: a coordinator re-plans

    with hub.db.read() as session:
        done, failed = (session.exec(select(Task).where(Task.id == t.id)).one() for t in (first, second))
        events = session.exec(
            select(OutboxEvent).where(col(OutboxEvent.type).like("task.%")).order_by(col(OutboxEvent.seq))
        ).all()
        audit = [e.action for e in session.exec(select(AuditEntry)).all()]
    assert (done.status, failed.status, failed.fail_reason) == ("done", "failed", "brug dicht")
    steps = [(e.type, e.data.get("reported_by"), e.data.get("note"), e.data.get("reason")) for e in events]
    # The note and the reason stay on the hub at the default share level (street-only events).
    assert [s for s in steps if s[0] not in ("task.created", "task.assigned")] == [
        ("task.done", anna.id, None, None),
        ("task.accepted", bram.id, None, None),
        ("task.failed", bram.id, None, None),
    ]
    assert not [a for a in audit if a in ("task.accepted", "task.done", "task.failed")]  # nobody at a desk
