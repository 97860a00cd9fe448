"""Who has been reached, the door-knock list, and automatic door-knock tasks for silent households."""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, literal_column
from sqlmodel import Session, col, select

from hub.clock import boot_id
from hub.domain.clock import ModeClock, carried
from hub.domain.escalation import AttentionHousehold, door_knock_list, due_for_door_knock, plan_volunteer
from hub.models import CheckIn, Household, Task
from hub.models.base import utcnow
from hub.services import readiness
from hub.services import tasks as task_service
from hub.services import volunteers as volunteer_service
from hub.services.audit import record
from hub.services.context import HubContext
from hub.services.drills import MODE_CLOCK
from hub.services.figures import reached_households
from hub.services.state import get_mode, get_state, is_drill, mode_since, put_state


def attention_households(session: Session, ids: Collection[str] | None = None) -> list[AttentionHousehold]:
    """Every registered household (only ``ids`` when given), in registration order."""
    query = select(Household).order_by(col(Household.pk))
    if ids is not None:
        query = query.where(col(Household.id).in_(list(ids)))
    return [
        AttentionHousehold(
            id=h.id,
            address=h.address,
            special_attention=tuple(h.special_attention),
            buddy_volunteer_id=h.buddy_volunteer_id,
            note=h.note,
        )
        for h in session.exec(query).all()
    ]


def reached_ids(session: Session, since: datetime | None) -> set[str]:
    """Ids of the households reached since ``since`` (the rule of ``hub.domain.figures``: a
    *verified* check-in at its address or a task for it done; a drill's records only in a drill)."""
    return reached_households(session, since, drill=is_drill(session))


def _per_household(
    session: Session,
    value: Any,
    *,
    verified: bool,
    drill: bool,
    since: datetime | None,
    ids: Collection[str] | None,
) -> list[tuple[str, Any, Any]]:
    """``(household id, value by its id, value by its address)`` over the household's check-ins.

    One search per household and way of linking, inside a covering index
    (``ix_checkins_household_reached``, ``ix_checkins_address_reached``; they replace the
    one-column indexes that SQLite would otherwise pick and then read every row of the
    household's), so the cost follows the households, not all check-ins.
    A check-in that names a household counts for that one; one without, for its address.
    Only the drill's check-ins in a drill, only real ones otherwise.
    """

    # ``+drill`` keeps SQLite from choosing the (drill, created_at) index for the search by
    # address: a scan of every check-in since the crisis began, for every household (4 s a
    # dashboard view with 100k check-ins; ``test_growth`` checks the plan).
    unindexed_drill: ColumnElement[bool] = literal_column(f"+{CheckIn.__tablename__}.drill")

    def linked(*where: Any) -> Any:
        query = select(value).where(col(CheckIn.verified).is_(verified), unindexed_drill == drill, *where)
        if since is not None:
            query = query.where(col(CheckIn.created_at) >= since)
        return query.scalar_subquery()

    by_id = linked(col(CheckIn.household_id) == col(Household.id))
    by_address = linked(
        col(CheckIn.address_key) == col(Household.address_key),
        col(CheckIn.household_id).is_(None),
    )
    query = select(Household.id, by_id, by_address)
    if ids is not None:
        query = query.where(col(Household.id).in_(list(ids)))
    return [(hid, a, b) for hid, a, b in session.exec(query).all()]


def unverified_reports(session: Session, since: datetime | None) -> dict[str, CheckIn]:
    """Household id → its latest check-in since ``since`` that nobody verified ("reported OK,
    not verified"): coordinators see it; the household stays on the door-knock list."""
    latest_pk = {
        hid: max(pk for pk in (by_id, by_address) if pk is not None)
        for hid, by_id, by_address in _per_household(
            session, func.max(CheckIn.pk), verified=False, drill=is_drill(session), since=since, ids=None
        )
        if by_id is not None or by_address is not None
    }
    if not latest_pk:
        return {}
    rows = session.exec(select(CheckIn).where(col(CheckIn.pk).in_(list(latest_pk.values())))).all()
    by_pk = {row.pk: row for row in rows}
    return {hid: by_pk[pk] for hid, pk in latest_pk.items() if pk in by_pk}


def reference_time(session: Session) -> datetime | None:
    """Since when "reached" counts: the start of crisis or drill mode; ``None`` (ever) in normal mode."""
    return mode_since(session) if get_mode(session) in ("crisis", "drill") else None


def current_door_knock_list(session: Session) -> list[AttentionHousehold]:
    return door_knock_list(attention_households(session), reached_ids(session, reference_time(session)))


def _mode_clock(session: Session, mono: float | None) -> ModeClock:
    """The time in the current mode as of now (``mono``), carried over reboots; not saved."""
    now_mono = time.monotonic() if mono is None else mono
    saved = ModeClock.from_state(get_state(session, MODE_CLOCK))
    if saved is None:
        since = mode_since(session)
        start = max((utcnow() - since).total_seconds(), 0.0) if since else 0.0
        saved = ModeClock(boot_id(), now_mono, start)
    return carried(saved, boot_id(), now_mono)


def time_in_mode(session: Session, mono: float | None = None) -> timedelta | None:
    """How long the hub has been in crisis or drill mode, on the monotonic clock; saved on.

    ``None`` in normal mode. A hub whose mode started before it counted this way starts from
    the wall-clock figure once. The figure is saved each time, so that it survives a reboot.
    """
    if reference_time(session) is None:
        return None
    current = _mode_clock(session, mono)
    put_state(session, MODE_CLOCK, current.to_state())
    return timedelta(seconds=current.elapsed)


@dataclass(frozen=True)
class EscalationPlan:
    """What a read found: the households due for a door knock, and the mode clock to save."""

    since: datetime | None
    clock: ModeClock
    hours: float
    due: tuple[str, ...]


def _overdue(
    session: Session, since: datetime | None, elapsed: timedelta, hours: float, ids: Collection[str] | None
) -> list[AttentionHousehold]:
    query = select(Task.household_id).where(col(Task.household_id).is_not(None))
    if ids is not None:
        query = query.where(col(Task.household_id).in_(list(ids)))
    if since is not None:
        query = query.where(col(Task.created_at) >= since)
    with_task = {hid for hid in session.exec(query).all() if hid}
    households = attention_households(session, ids)
    return due_for_door_knock(households, reached_ids(session, since), with_task, elapsed, hours)


def plan_escalation(session: Session, hours: float, *, mono: float | None = None) -> EscalationPlan | None:
    """The read half of escalation, on a read session: ``None`` in normal mode (nothing can be due)."""
    since = reference_time(session)
    if since is None:
        return None
    clock = _mode_clock(session, mono)
    elapsed = timedelta(seconds=clock.elapsed)
    due = _overdue(session, since, elapsed, hours, None) if elapsed >= timedelta(hours=hours) else []
    return EscalationPlan(since, clock, hours, tuple(h.id for h in due))


def apply_escalation(session: Session, ctx: HubContext, plan: EscalationPlan) -> list[Task]:
    """The write half, in the writer: saves the mode clock and creates the door-knock tasks of
    ``plan`` for the households that are still due now (the read may be a moment old)."""
    if reference_time(session) != plan.since:  # the mode changed since the read: a new count
        return []
    put_state(session, MODE_CLOCK, plan.clock.to_state())
    if not plan.due:
        return []
    elapsed = timedelta(seconds=plan.clock.elapsed)
    still_due = _overdue(session, plan.since, elapsed, plan.hours, plan.due)
    created: list[Task] = []
    plan_sections = readiness.section_plan(session)
    for household in still_due:
        # the door-knock plan made in peace time: the buddy, else the section's contact
        volunteer_id = plan_volunteer(household, plan_sections)
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


def escalate_overdue(
    session: Session, ctx: HubContext, hours: float, *, mono: float | None = None
) -> list[Task]:
    """Door-knock tasks for special-attention households silent ``hours`` after crisis started,
    read and written in one session (the scheduler splits the two: ``plan_escalation`` on a read
    session, ``apply_escalation`` in the writer).

    The hours are counted on the monotonic clock (``time_in_mode``): a clock that jumps when
    network time returns after a power cut does not make every household due at once.
    """
    plan = plan_escalation(session, hours, mono=mono)
    return [] if plan is None else apply_escalation(session, ctx, plan)
