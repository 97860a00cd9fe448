"""The coordinators' worklist of ``help`` check-ins: each stays on it until a coordinator marks
it handled or turns it into a task for that address (one click; the check-in keeps the task's id).
"""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from hub.errors import Conflict, NotFound
from hub.models import CheckIn, Task
from hub.models.base import utcnow
from hub.services import tasks
from hub.services.audit import record
from hub.services.context import HubContext
from hub.services.door import reads, writes
from hub.services.record_views import CheckInView, TaskView, returning, views


def get_checkin(session: Session, checkin_id: str) -> CheckIn:
    checkin = session.exec(select(CheckIn).where(CheckIn.id == checkin_id)).first()
    if checkin is None:
        raise NotFound(f"no check-in {checkin_id}")
    return checkin


def help_worklist(session: Session, limit: int = 200) -> list[CheckIn]:
    """``help`` check-ins nobody has handled yet, oldest first (the longest wait on top)."""
    return list(
        session.exec(
            select(CheckIn)
            .where(CheckIn.status == "help", col(CheckIn.handled_at).is_(None))
            .order_by(col(CheckIn.pk))
            .limit(limit)
        ).all()
    )


def waiting_count(session: Session, *, drill: bool | None = None) -> int:
    """How many calls for help wait for a coordinator; only the drill's or only the real ones
    when ``drill`` is given."""
    query = select(func.count()).where(CheckIn.status == "help", col(CheckIn.handled_at).is_(None))
    if drill is not None:
        query = query.where(col(CheckIn.drill) == drill)
    return int(session.exec(query).one())


def _unhandled_help(session: Session, checkin_id: str) -> CheckIn:
    checkin = get_checkin(session, checkin_id)
    if checkin.status != "help":
        raise Conflict(f"check-in {checkin.id} says ok; only a call for help goes on the worklist")
    if checkin.handled_at is not None:
        by = f" by {checkin.handled_by}" if checkin.handled_by else ""
        raise Conflict(f"check-in {checkin.id} was handled already{by}")
    return checkin


def mark_handled(session: Session, ctx: HubContext, checkin_id: str, *, actor: str) -> CheckIn:
    """A coordinator dealt with the call for help (phoned, went round): off the worklist."""
    checkin = _unhandled_help(session, checkin_id)
    checkin.handled_at = utcnow()
    checkin.handled_by = actor[:80]
    session.add(checkin)
    record(session, actor, "checkin.handled", checkin.id)
    return checkin


def make_task(
    session: Session, ctx: HubContext, checkin_id: str, *, actor: str, volunteer_id: str | None = None
) -> Task:
    """A ``check`` task for the check-in's address (to a volunteer when one is given), linked."""
    checkin = _unhandled_help(session, checkin_id)
    task = tasks.create_task(
        session,
        ctx,
        kind="check",
        actor=actor,
        address=checkin.address,
        note=checkin.note,
        household_id=checkin.household_id,
        volunteer_id=volunteer_id,
    )
    checkin.handled_at = utcnow()
    checkin.handled_by = actor[:80]
    checkin.task_id = task.id
    session.add(checkin)
    record(session, actor, "checkin.task", checkin.id, task=task.id, number=task.number)
    return task


# The use cases callers outside the services name (see ``hub.services.door``).
help_handled = writes(returning(CheckInView, mark_handled))
help_to_task = writes(returning(TaskView, make_task))


def _waiting(session: Session, limit: int = 200) -> list[CheckInView]:
    return views(CheckInView, help_worklist(session, limit))


waiting_for_help = reads(_waiting)
