"""A task seen from the mesh: what the radio made of its dispatch, and the volunteer's commands.

    open ──(radio ACK)──▶ sent ──JA──▶ accepted ──KLAAR──▶ done
      │                                    └───────NIET──▶ failed (coordinators re-plan)
      └──(dispatch failed after every retry)──▶ open, flagged (the re-offer job hands it on)

The statuses, events and allowed moves are the table of ``hub.domain.task_states``; every
status change here goes through ``tasks.move``.

The dispatch itself is queued by ``tasks.assign``. Here a command finds the task it means;
the step is taken by ``tasks.accept``, ``tasks.done`` or ``tasks.fail``, the one path for
handsets and coordinators alike (events, the need resolved on done). A command without a
number means the volunteer's most recent task waiting for that step; when several wait, the
answer is the question ``Welke taak? JA 14 of JA 15``. With a number, only the volunteer's
own tasks count. Every command function returns the ``Answer`` for the handset
(``hub.domain.replies``): a success, which goes on the air as no text at all, or a refusal.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from hub.domain import messages, replies
from hub.domain.replies import Answer
from hub.domain.task_states import (
    ON_HAND,
    WAITING_FOR_ACCEPT,
    WAITING_FOR_FINISH,
    TaskEvent,
    TaskStatus,
    allowed,
    statuses,
)
from hub.errors import IllegalTransition
from hub.models import MeshOutbound, Task, Volunteer
from hub.models.base import utcnow
from hub.services import run_clock, tasks
from hub.services.context import HubContext

# A command without a number looks among the tasks waiting for that step (the domain's
# status sets); with an explicit number, any of the volunteer's unfinished tasks may be moved
# on (someone who forgot JA may still report KLAAR).


def mark_delivered(
    session: Session, task_id: str, at: datetime | None = None, *, outbound_pk: int | None = None
) -> None:
    """The handset acknowledged the dispatch: ``open`` → ``sent``.

    ``outbound_pk`` is the acknowledged queue row; an ACK for a dispatch that a later
    assignment replaced changes nothing.
    """
    task = session.exec(select(Task).where(Task.id == task_id)).first()
    if task is None or not allowed(task.status, TaskEvent.DELIVERED):
        return  # a late ACK for a task that moved on
    if not _current_dispatch(session, task, outbound_pk):
        return
    tasks.move(task, TaskEvent.DELIVERED)
    task.sent_at = at or utcnow()
    task.flagged = False  # a late ACK: it arrived after all
    session.add(task)
    run_clock.started(session, task.id)  # the wait for its JA, on the monotonic clock


def flag_undeliverable(
    session: Session, task_id: str, reason: str, *, outbound_pk: int | None = None
) -> None:
    """The dispatch could not be delivered after every retry: re-offer or a coordinator must act."""
    task = session.exec(select(Task).where(Task.id == task_id)).first()
    if task is None or not allowed(task.status, TaskEvent.UNDELIVERABLE):
        return
    if _current_dispatch(session, task, outbound_pk):
        tasks.move(task, TaskEvent.UNDELIVERABLE)  # it stays open
        task.flagged = True
        session.add(task)


def _current_dispatch(session: Session, task: Task, outbound_pk: int | None) -> bool:
    if outbound_pk is None:
        return True
    latest = session.exec(select(func.max(MeshOutbound.pk)).where(MeshOutbound.task_id == task.id)).one()
    return latest == outbound_pk


def accept(session: Session, ctx: HubContext, volunteer: Volunteer, number: int | None) -> Answer:
    found = _find(session, volunteer, number, "JA", statuses(WAITING_FOR_ACCEPT))
    if isinstance(found, Answer):
        return found
    try:
        task = tasks.accept(session, ctx, found.id, volunteer=volunteer)
    except IllegalTransition:
        return replies.refusal(messages.task_closed(found.number, found.status))
    return replies.success(messages.accepted(task.number))


def done(session: Session, ctx: HubContext, volunteer: Volunteer, number: int | None, note: str) -> Answer:
    found = _find(session, volunteer, number, "KLAAR", statuses(WAITING_FOR_FINISH))
    if isinstance(found, Answer):
        return found
    try:
        task = tasks.done(session, ctx, found.id, volunteer=volunteer, note=note or None)
    except IllegalTransition:
        return replies.refusal(messages.task_closed(found.number, found.status))
    return replies.success(messages.done(task.number))


def fail(session: Session, ctx: HubContext, volunteer: Volunteer, number: int | None, reason: str) -> Answer:
    found = _find(session, volunteer, number, "NIET", statuses(WAITING_FOR_FINISH))
    if isinstance(found, Answer):
        return found
    try:
        task = tasks.fail(session, ctx, found.id, volunteer=volunteer, reason=reason or None)
    except IllegalTransition:
        return replies.refusal(messages.task_closed(found.number, found.status))
    return replies.success(messages.failed(task.number))


def open_tasks(session: Session, volunteer: Volunteer) -> list[messages.TaskLine]:
    rows = _tasks(session, volunteer, statuses(ON_HAND))
    return [messages.TaskLine(t.number, t.kind, t.address) for t in rows]


def _tasks(session: Session, volunteer: Volunteer, statuses: Sequence[str]) -> list[Task]:
    """The volunteer's tasks in ``statuses``, most recent first."""
    return list(
        session.exec(
            select(Task)
            .where(Task.volunteer_id == volunteer.id, col(Task.status).in_(statuses))
            .order_by(col(Task.pk).desc())
        ).all()
    )


def _find(
    session: Session, volunteer: Volunteer, number: int | None, command: str, waiting: Sequence[str]
) -> Task | Answer:
    """The task meant, or the refusal explaining why there is none (or asking which one is meant)."""
    if number is None:
        candidates = _tasks(session, volunteer, waiting)
        if len(candidates) == 1:
            return candidates[0]
        if not candidates:
            return replies.refusal(messages.no_task(command))
        return replies.refusal(messages.which_task(command, [t.number for t in candidates]))
    task = tasks.find_by_number(session, number, volunteer_id=volunteer.id)
    if task is None:  # numbers are reused: their own finished task, if any, is the one they mean
        task = session.exec(
            select(Task)
            .where(
                Task.number == number, Task.volunteer_id == volunteer.id, Task.status == TaskStatus.DONE.value
            )
            .order_by(col(Task.pk).desc())
        ).first()
    return task if task is not None else replies.refusal(messages.unknown_task(number))
