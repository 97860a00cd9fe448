"""Who has been reached, the door-knock list, and automatic door-knock tasks for silent households."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from hub.clock import boot_id
from hub.domain.clock import ModeClock, carried
from hub.domain.escalation import AttentionHousehold, door_knock_list, due_for_door_knock
from hub.models import CheckIn, Household, Task
from hub.models.base import utcnow
from hub.services import tasks as task_service
from hub.services import volunteers as volunteer_service
from hub.services.audit import record
from hub.services.context import HubContext
from hub.services.drills import MODE_CLOCK
from hub.services.figures import reached_households
from hub.services.state import get_mode, get_state, is_drill, mode_since, put_state


def attention_households(session: Session) -> list[AttentionHousehold]:
    return [
        AttentionHousehold(
            id=h.id,
            address=h.address,
            special_attention=tuple(h.special_attention),
            buddy_volunteer_id=h.buddy_volunteer_id,
            note=h.note,
        )
        for h in session.exec(select(Household).order_by(col(Household.pk))).all()
    ]


def reached_ids(session: Session, since: datetime | None) -> set[str]:
    """Ids of the households reached since ``since`` (the rule of ``hub.domain.figures``: a
    *verified* check-in at its address or a task for it done; a drill's records only in a drill)."""
    return reached_households(session, since, drill=is_drill(session))


def unverified_reports(session: Session, since: datetime | None) -> dict[str, CheckIn]:
    """Household id → its latest check-in since ``since`` that nobody verified ("reported OK,
    not verified"): coordinators see it; the household stays on the door-knock list."""
    households = session.exec(select(Household.id, Household.address_key)).all()
    by_key = {key: hid for hid, key in households}
    query = (
        select(CheckIn)
        .where(col(CheckIn.verified).is_(False), col(CheckIn.drill) == is_drill(session))
        .order_by(col(CheckIn.pk))
    )
    if since is not None:
        query = query.where(col(CheckIn.created_at) >= since)
    latest: dict[str, CheckIn] = {}
    for checkin in session.exec(query).all():
        hid = checkin.household_id or by_key.get(checkin.address_key)
        if hid is not None:
            latest[hid] = checkin
    return latest


def reference_time(session: Session) -> datetime | None:
    """Since when "reached" counts: the start of crisis or drill mode; ``None`` (ever) in normal mode."""
    return mode_since(session) if get_mode(session) in ("crisis", "drill") else None


def current_door_knock_list(session: Session) -> list[AttentionHousehold]:
    return door_knock_list(attention_households(session), reached_ids(session, reference_time(session)))


def time_in_mode(session: Session, mono: float | None = None) -> timedelta | None:
    """How long the hub has been in crisis or drill mode, on the monotonic clock; saved on.

    ``None`` in normal mode. A hub whose mode started before it counted this way starts from
    the wall-clock figure once. The figure is saved each time, so that it survives a reboot.
    """
    if reference_time(session) is None:
        return None
    now_mono = time.monotonic() if mono is None else mono
    saved = ModeClock.from_state(get_state(session, MODE_CLOCK))
    if saved is None:
        since = mode_since(session)
        start = max((utcnow() - since).total_seconds(), 0.0) if since else 0.0
        saved = ModeClock(boot_id(), now_mono, start)
    current = carried(saved, boot_id(), now_mono)
    put_state(session, MODE_CLOCK, current.to_state())
    return timedelta(seconds=current.elapsed)


def escalate_overdue(
    session: Session, ctx: HubContext, hours: float, *, mono: float | None = None
) -> list[Task]:
    """Door-knock tasks for special-attention households silent ``hours`` after crisis started.

    The hours are counted on the monotonic clock (``time_in_mode``): a clock that jumps when
    network time returns after a power cut does not make every household due at once.
    """
    since = reference_time(session)
    elapsed = time_in_mode(session, mono)
    query = select(Task.household_id).where(col(Task.household_id).is_not(None))
    if since is not None:
        query = query.where(col(Task.created_at) >= since)
    with_task = {hid for hid in session.exec(query).all() if hid}
    due = due_for_door_knock(
        attention_households(session), reached_ids(session, since), with_task, elapsed, hours
    )
    created: list[Task] = []
    for household in due:
        volunteer_id = household.buddy_volunteer_id
        if volunteer_id is None:
            candidate = volunteer_service.next_available(session, exclude=set())
            volunteer_id = candidate.id if candidate else None
        task = task_service.create_task(
            session,
            ctx,
            kind="door_knock",
            actor="scheduler",
            household_id=household.id,
            volunteer_id=volunteer_id,
            automatic=True,
        )
        record(session, "scheduler", "task.escalate", task.id, number=task.number, household=household.id)
        created.append(task)
    return created
