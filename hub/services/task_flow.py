"""A task as its volunteer moves it along from a handset: dispatch, accept, done, fail.

    open ──(radio ACK)──▶ sent ──JA──▶ accepted ──KLAAR──▶ done
                                           └───────NIET──▶ failed (coordinators re-plan)

A command without a number means the volunteer's most recent task waiting for that step;
when several wait, the answer is the question ``Welke taak? JA 14 of JA 15``. Each step
writes its outbox event (``task.accepted``, ``task.done``, ``task.failed``) in the same
transaction. Every function returns the reply text for the handset.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from hub.domain import messages
from hub.models import Task, Volunteer
from hub.models.base import utcnow
from hub.services.context import HubContext
from hub.services.mesh_queue import SendPriority, enqueue_text
from hub.services.outbox import append_event

# Which statuses wait for which step. With an explicit number, any unfinished task of the
# volunteer may be moved on (someone who forgot JA may still report KLAAR).
WAITING_FOR_ACCEPT = ("open", "sent")
WAITING_FOR_FINISH = ("accepted",)
UNFINISHED = ("open", "sent", "accepted")


def dispatch_task(session: Session, ctx: HubContext, task: Task) -> None:
    """Queue the task's direct message to its volunteer; it becomes ``sent`` on the radio's ACK."""
    volunteer = session.exec(select(Volunteer).where(Volunteer.id == task.volunteer_id)).first()
    if volunteer is None or not volunteer.node_id:
        raise ValueError(f"task {task.number} has no volunteer with a handset")
    text = messages.task_dispatch(task.number, task.kind, task.address, task.note or "")
    enqueue_text(session, ctx, volunteer.node_id, text, SendPriority.TASK, task_id=task.id)
    task.attempts += 1
    session.add(task)


def mark_delivered(session: Session, task_id: str, at: datetime | None = None) -> None:
    """The radio confirmed the dispatch reached the handset: ``open`` → ``sent``."""
    task = session.exec(select(Task).where(Task.id == task_id)).first()
    if task is not None and task.status == "open":
        task.status = "sent"
        task.sent_at = at or utcnow()
        session.add(task)


def flag_undeliverable(session: Session, task_id: str, reason: str) -> None:
    """The dispatch could not be delivered after every retry: a coordinator must act."""
    task = session.exec(select(Task).where(Task.id == task_id)).first()
    if task is not None and task.status in UNFINISHED:
        task.flagged = True
        session.add(task)


def accept(session: Session, ctx: HubContext, volunteer: Volunteer, number: int | None) -> str:
    found = _find(session, volunteer, number, WAITING_FOR_ACCEPT)
    if isinstance(found, str):
        return found if number is not None else _bare(session, volunteer, "JA", WAITING_FOR_ACCEPT)
    task = found
    if task.status == "accepted":
        return messages.accepted(task.number)
    if task.status not in UNFINISHED:
        return messages.task_closed(task.number)
    task.status = "accepted"
    task.accepted_at = utcnow()
    session.add(task)
    _event(session, ctx, "task.accepted", task, volunteer)
    return messages.accepted(task.number)


def done(session: Session, ctx: HubContext, volunteer: Volunteer, number: int | None, note: str) -> str:
    found = _find(session, volunteer, number, WAITING_FOR_FINISH)
    if isinstance(found, str):
        return found if number is not None else _bare(session, volunteer, "KLAAR", WAITING_FOR_FINISH)
    task = found
    if task.status == "done":
        return messages.done(task.number)
    if task.status not in UNFINISHED:
        return messages.task_closed(task.number)
    task.status = "done"
    task.done_at = utcnow()
    session.add(task)
    _event(session, ctx, "task.done", task, volunteer, note=note or None)
    return messages.done(task.number)


def fail(session: Session, ctx: HubContext, volunteer: Volunteer, number: int | None, reason: str) -> str:
    found = _find(session, volunteer, number, WAITING_FOR_FINISH)
    if isinstance(found, str):
        return found if number is not None else _bare(session, volunteer, "NIET", WAITING_FOR_FINISH)
    task = found
    if task.status == "failed":
        return messages.failed(task.number)
    if task.status not in UNFINISHED:
        return messages.task_closed(task.number)
    task.status = "failed"
    task.failed_at = utcnow()
    task.fail_reason = reason[:200] or None
    session.add(task)
    _event(session, ctx, "task.failed", task, volunteer, reason=reason or None)
    return messages.failed(task.number)


def open_tasks(session: Session, volunteer: Volunteer) -> list[messages.TaskLine]:
    rows = _tasks(session, volunteer, UNFINISHED)
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


def _find(session: Session, volunteer: Volunteer, number: int | None, waiting: Sequence[str]) -> Task | str:
    """The task meant, or the reply explaining why there is none (or which one is meant)."""
    if number is None:
        candidates = _tasks(session, volunteer, waiting)
        if len(candidates) == 1:
            return candidates[0]
        return ""  # the caller words the answer for its command
    task = session.exec(select(Task).where(Task.number == number)).first()
    if task is None or task.volunteer_id != volunteer.id:
        return messages.unknown_task(number)
    return task


def _bare(session: Session, volunteer: Volunteer, command: str, waiting: Sequence[str]) -> str:
    candidates = _tasks(session, volunteer, waiting)
    if not candidates:
        return messages.no_task(command)
    return messages.which_task(command, [t.number for t in candidates])


def _event(
    session: Session, ctx: HubContext, event_type: str, task: Task, volunteer: Volunteer, **extra: Any
) -> None:
    data: dict[str, Any] = {
        "id": task.id,
        "number": task.number,
        "kind": task.kind,
        "status": task.status,
        "volunteer_id": volunteer.id,
        "drill": task.drill,
        **extra,
    }
    append_event(session, ctx, event_type, data)
