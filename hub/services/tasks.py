"""Tasks for volunteers: create, assign (dispatch over the mesh), accept, done, fail, re-offer.

Status runs ``open`` → ``sent`` → ``accepted`` → ``done`` | ``failed``. A task assigned to a
volunteer with a handset has its direct message queued for the radio and stays ``open``
until the handset acknowledges it (``task_flow.mark_delivered``): only then is it ``sent``,
with ``sent_at``. With no radio the message waits in the queue; without a handset the task
travels on paper. A dispatch that fails after every retry flags the task. A failed task
goes back on the list: a coordinator (or the re-offer job) assigns it again, and
``attempts`` counts the tries.

The lifecycle is the table of ``hub.domain.task_states``; :func:`move` is the one place a
task's status is set, and an event its status does not allow raises ``IllegalTransition``
(HTTP 409 with the reason). The volunteer's steps go through :func:`accept`, :func:`done`
and :func:`fail`, whether a coordinator enters them or a handset sends them (``task_flow``).

Numbers are what volunteers type, so they stay short: a new task gets the smallest positive
number no unfinished task holds. A ``done`` task keeps its number for the record.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, and_, col, or_, select

from hub.domain.addresses import address_key
from hub.domain.messages import task_dispatch, task_withdrawn
from hub.domain.offers import OfferAttempt, back_to_coordinator, not_again
from hub.domain.task_states import (
    UNFINISHED,
    WAITING_FOR_ACCEPT,
    TaskEvent,
    TaskStatus,
    is_repeat,
    statuses,
    transition,
)
from hub.domain.vocab import TASK_KINDS
from hub.errors import IllegalTransition, ValidationError
from hub.models import Household, MeshOutbound, Need, Task, TaskOffer, Volunteer
from hub.models.base import utcnow
from hub.services import record_status, run_clock
from hub.services import volunteers as volunteer_service
from hub.services.audit import record
from hub.services.context import HubContext
from hub.services.door import reads, writes
from hub.services.mesh_queue import SendPriority, enqueue_text, mark_dropped
from hub.services.outbox import append_event
from hub.services.record_views import TaskOfferView, TaskView, returning, views
from hub.services.records import get_by_id
from hub.services.state import is_drill


def allocate_number(session: Session) -> int:
    taken = set(session.exec(select(Task.number).where(col(Task.status).in_(statuses(UNFINISHED)))).all())
    number = 1
    while number in taken:
        number += 1
    return number


def move(task: Task, event: TaskEvent) -> TaskStatus:
    """Take ``event`` on ``task``: the one place a task's status changes, by the lifecycle table.

    Raises ``IllegalTransition`` naming the task when its status does not allow the event.
    """
    try:
        status = transition(task.status, event)
    except IllegalTransition as exc:
        raise exc.for_task(task.number) from None
    task.status = status.value
    return status


def get_task(session: Session, task_id: str) -> Task:
    return get_by_id(session, Task, task_id)


def find_by_number(session: Session, number: int, *, volunteer_id: str | None = None) -> Task | None:
    """The unfinished task with this number (what ``JA 12`` means), among one volunteer's if given."""
    query = select(Task).where(Task.number == number, col(Task.status).in_(statuses(UNFINISHED)))
    if volunteer_id is not None:
        query = query.where(Task.volunteer_id == volunteer_id)
    return session.exec(query.order_by(col(Task.pk).desc())).first()


def task_data(task: Task) -> dict[str, Any]:
    """What the outbox carries about a task: no note (it may describe a person's health)."""
    return {
        "id": task.id,
        "number": task.number,
        "kind": task.kind,
        "address": task.address,
        "status": task.status,
        "volunteer_id": task.volunteer_id,
        "need_id": task.need_id,
        "household_id": task.household_id,
        "attempts": task.attempts,
        "automatic": task.automatic,
        "drill": task.drill,
    }


def create_task(
    session: Session,
    ctx: HubContext,
    *,
    kind: str,
    actor: str,
    address: str | None = None,
    note: str | None = None,
    need_id: str | None = None,
    household_id: str | None = None,
    volunteer_id: str | None = None,
    automatic: bool = False,
    send_note: bool = False,
) -> Task:
    """A task from a need, a household, or a free address; assigned at once when a volunteer is given.

    The note goes on the air with the dispatch only with ``send_note`` (a coordinator ticked
    "send the note to the volunteer"); a need's description or a household's note never does
    unless so ticked. The printed task sheet carries it either way.
    """
    if kind not in TASK_KINDS:
        raise ValidationError(f"kind must be one of {', '.join(TASK_KINDS)}", "kind")
    if need_id is not None:
        need = session.exec(select(Need).where(Need.id == need_id)).first()
        if need is None:
            raise ValidationError("no such need", "need_id")
        address = address or need.address
        note = note or need.description
    if household_id is not None:
        household = session.exec(select(Household).where(Household.id == household_id)).first()
        if household is None:
            raise ValidationError("no such household", "household_id")
        address = address or household.address
        note = note or household.note
    if not address or not address.strip():
        raise ValidationError("an address, a need or a household is needed", "address")
    task = Task(
        number=allocate_number(session),
        kind=kind,
        address=address.strip()[:120],
        address_key=address_key(address),
        note=(note or "").strip()[:280] or None,
        note_on_air=send_note and bool((note or "").strip()),
        need_id=need_id,
        household_id=household_id,
        automatic=automatic,
        drill=is_drill(session),
    )
    session.add(task)
    session.flush()
    if not automatic:
        record(session, actor, "task.create", task.id, number=task.number, kind=kind)
    append_event(session, ctx, "task.created", task_data(task), shape="task")
    if volunteer_id:
        assign(session, ctx, task.id, volunteer_id, actor=actor, audited=not automatic)
    return task


def assign(
    session: Session,
    ctx: HubContext,
    task_id: str,
    volunteer_id: str,
    *,
    actor: str,
    audited: bool = True,
) -> Task:
    """Give the task to a volunteer: by radio when they carry a handset, else on paper.

    Either way the task is ``open`` until a handset acknowledges its dispatch.
    """
    task = get_task(session, task_id)
    move(task, TaskEvent.ASSIGN)  # not once accepted or done
    volunteer = session.exec(select(Volunteer).where(Volunteer.id == volunteer_id)).first()
    if volunteer is None:
        raise ValidationError("no such volunteer", "volunteer_id")
    _drop_waiting_dispatches(session, task)
    close_offer(session, task, "reassigned")
    session.add(TaskOffer(task_id=task.id, volunteer_id=volunteer.id, volunteer_name=volunteer.name))
    task.volunteer_id = volunteer.id
    task.attempts += 1
    task.flagged = False
    task.nobody_accepted = False
    task.accepted_at = None
    task.failed_at = None
    task.sent_at = None
    if volunteer.node_id:
        enqueue_text(
            session,
            ctx,
            volunteer.node_id,
            task_dispatch(
                task.number,
                task.kind,
                task.address,
                task.note if task.note_on_air else None,
                drill=task.drill,
            ),
            SendPriority.TASK,
            task_id=task.id,
        )
    session.add(task)
    if audited:
        record(session, actor, "task.assign", task.id, number=task.number, volunteer=volunteer.name)
    append_event(session, ctx, "task.assigned", task_data(task), shape="task")
    return task


def nobody_accepted(session: Session) -> list[Task]:
    """Tasks that came back to the coordinators: offered until the limit, nobody took them."""
    return list(
        session.exec(
            select(Task)
            .where(col(Task.nobody_accepted).is_(True), col(Task.status).in_(statuses(WAITING_FOR_ACCEPT)))
            .order_by(col(Task.pk))
        ).all()
    )


def nobody_accepted_count(session: Session) -> int:
    return len(nobody_accepted(session))


def offers_of(session: Session, task_id: str) -> list[TaskOffer]:
    """Every offer of the task, oldest first."""
    return list(
        session.exec(select(TaskOffer).where(TaskOffer.task_id == task_id).order_by(col(TaskOffer.pk))).all()
    )


def close_offer(session: Session, task: Task, outcome: str) -> None:
    """End the offer of ``task`` that is still waiting, if any, with ``outcome``."""
    waiting = session.exec(
        select(TaskOffer).where(TaskOffer.task_id == task.id, col(TaskOffer.outcome).is_(None))
    ).all()
    for offer in waiting:
        offer.outcome = outcome
        offer.ended_at = utcnow()
        session.add(offer)


def _drop_waiting_dispatches(session: Session, task: Task) -> None:
    """An earlier dispatch of the task still waiting in the radio queue is not sent any more."""
    waiting = session.exec(
        select(MeshOutbound.pk).where(MeshOutbound.task_id == task.id, MeshOutbound.status == "queued")
    ).all()
    mark_dropped(session, [pk for pk in waiting if pk is not None], "task assigned again")


def _transition(
    session: Session,
    ctx: HubContext,
    task_id: str,
    event: TaskEvent,
    actor: str | None,
    volunteer: Volunteer | None,
    **detail: Any,
) -> Task:
    task = get_task(session, task_id)
    if is_repeat(task.status, event):
        return task  # a repeated ACK or KLAAR changes nothing
    to = move(task, event)
    task.nobody_accepted = False
    close_offer(session, task, "declined" if to == TaskStatus.FAILED else "accepted")
    now = utcnow()
    if to == TaskStatus.ACCEPTED:
        task.accepted_at = now
    elif to == TaskStatus.DONE:
        task.done_at = now
    elif to == TaskStatus.FAILED:
        task.failed_at = now
        task.fail_reason = (str(detail.get("reason") or "").strip()[:200]) or None
    session.add(task)
    if actor is not None:
        record(session, actor, f"task.{to}", task.id, number=task.number, **detail)
    data = {**task_data(task), **detail}
    if volunteer is not None:
        data["reported_by"] = volunteer.id
    append_event(session, ctx, f"task.{to}", data, shape="task")
    if to == TaskStatus.DONE and task.need_id:  # the delivery was made: its need is resolved
        need = session.exec(select(Need).where(Need.id == task.need_id)).first()
        if need is not None and need.status == "open":
            record_status.close_need(session, ctx, need, "resolved")
    return task


# ``actor`` is the coordinator who enters a step by hand (audited); ``volunteer`` is who sent
# it from a handset (named in the event). Neither: an automatic step. A step the task's
# status does not allow raises IllegalTransition (a Conflict, HTTP 409 with the reason);
# repeating the step the task already took is a no-op.


def accept(
    session: Session,
    ctx: HubContext,
    task_id: str,
    *,
    actor: str | None = None,
    volunteer: Volunteer | None = None,
) -> Task:
    """The volunteer takes the task (``JA 12``)."""
    return _transition(session, ctx, task_id, TaskEvent.ACCEPT, actor, volunteer)


def done(
    session: Session,
    ctx: HubContext,
    task_id: str,
    *,
    actor: str | None = None,
    volunteer: Volunteer | None = None,
    note: str | None = None,
) -> Task:
    """Done (``KLAAR 12 [note]``); someone who forgot ``JA`` may still report it."""
    detail = {"note": note} if note else {}
    return _transition(session, ctx, task_id, TaskEvent.FINISH, actor, volunteer, **detail)


def fail(
    session: Session,
    ctx: HubContext,
    task_id: str,
    *,
    actor: str | None = None,
    volunteer: Volunteer | None = None,
    reason: str | None = None,
) -> Task:
    """Could not be done (nobody home, blocked): back on the list for another try."""
    return _transition(session, ctx, task_id, TaskEvent.FAIL, actor, volunteer, reason=reason)


def reoffer_unaccepted(
    session: Session,
    ctx: HubContext,
    accept_minutes: float,
    mono: float | None = None,
    *,
    max_offers: int = 3,
) -> list[Task]:
    """Hand tasks on to the next available volunteer with a handset (the scheduler's job).

    A task moves when its dispatch reached the handset (``sent``) ``accept_minutes`` ago or
    longer without a ``JA``, or when it never reached it (``open`` and flagged: the dispatch
    failed after every retry). After ``max_offers`` offers, or with nobody left who was not
    silent on it before, it comes back to the coordinators: ``nobody_accepted`` (see
    ``hub.domain.offers``). Returns the tasks that moved.

    The wait is counted on the hub's running clock (``run_clock``, monotonic like the time in
    a mode): a wall clock that jumps when network time returns moves no task on. ``mono`` is
    the monotonic clock's reading to use (tests move it).
    """
    limit = accept_minutes * 60
    moved: list[Task] = []
    candidates = session.exec(
        select(Task)
        .where(
            col(Task.nobody_accepted).is_(False),
            or_(
                col(Task.status) == TaskStatus.SENT.value,
                and_(
                    col(Task.status) == TaskStatus.OPEN.value,
                    col(Task.flagged).is_(True),
                    col(Task.volunteer_id).is_not(None),
                ),
            ),
        )
        .order_by(col(Task.pk))
    ).all()
    run_clock.keep_only(session, [task.id for task in candidates if task.status == TaskStatus.SENT])
    for task in candidates:
        delivered = task.status == TaskStatus.SENT
        if delivered and run_clock.waited(session, task.id, mono) < limit:
            continue
        run_clock.forget(session, [task.id])
        close_offer(session, task, "no_answer" if delivered else "undeliverable")
        session.flush()
        offers = [OfferAttempt(o.volunteer_id, o.outcome) for o in offers_of(session, task.id)]
        previous = task.volunteer_id
        skip = not_again(offers) | ({previous} if previous else set())
        nxt = volunteer_service.next_available(session, exclude=skip)
        if back_to_coordinator(offers, max_offers, nxt.id if nxt else None) or nxt is None:
            _nobody_accepted(session, ctx, task, len(offers))
            continue
        old = session.exec(select(Volunteer).where(Volunteer.id == previous)).first() if previous else None
        if delivered and old is not None and old.node_id:  # an undelivered dispatch needs no withdrawal
            enqueue_text(
                session, ctx, old.node_id, task_withdrawn(task.number, drill=task.drill), SendPriority.REPLY
            )
        assign(session, ctx, task.id, nxt.id, actor="scheduler", audited=False)
        record(session, "scheduler", "task.reoffer", task.id, number=task.number, to=nxt.name)
        moved.append(task)
    return moved


def _nobody_accepted(session: Session, ctx: HubContext, task: Task, offers: int) -> None:
    """The task stops travelling and waits for a coordinator (flagged on the dashboard).

    It stays with its last volunteer: a late ``JA`` still counts. The coordinator may give it
    to anyone by hand, also to someone who was silent before.
    """
    move(task, TaskEvent.NOBODY_ACCEPTED)  # open or sent: it stays as it is
    task.flagged = True
    task.nobody_accepted = True
    session.add(task)
    record(session, "scheduler", "task.nobody_accepted", task.id, number=task.number, offers=offers)
    append_event(session, ctx, "task.nobody_accepted", {**task_data(task), "offers": offers}, shape="task")


# The use cases callers outside the services name (see ``hub.services.door``).
new_task = writes(returning(TaskView, create_task))
assign_task = writes(returning(TaskView, assign))
accept_task = writes(returning(TaskView, accept))
finish_task = writes(returning(TaskView, done))
fail_task = writes(returning(TaskView, fail))


def _offers_of_task(session: Session, task_id: str) -> list[TaskOfferView]:
    """Who was asked to take the task, and what they answered (``NotFound`` without the task)."""
    return views(TaskOfferView, offers_of(session, get_task(session, task_id).id))


find_task = reads(returning(TaskView, get_task))
task_offers = reads(_offers_of_task)
