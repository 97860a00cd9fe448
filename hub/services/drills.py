"""Hub mode (normal, crisis, drill), drills with their after-action report, and wiping drill data.

Records created while the hub is in drill mode carry ``drill=True``. Entering drill mode opens a
:class:`~hub.models.Drill`; leaving it closes the drill and stores its report. Wiping removes
drill records only; real records are never touched.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, delete, select, update

from hub.clock import boot_id
from hub.domain.clock import ModeClock
from hub.domain.task_states import TaskStatus
from hub.domain.vocab import MODES, Mode
from hub.errors import ValidationError
from hub.models import (
    Alert,
    Announcement,
    CheckIn,
    Drill,
    Household,
    MeshMessage,
    MeshOutbound,
    Need,
    Offer,
    PartnerConsent,
    Signal,
    SupplyRequest,
    Task,
    TaskOffer,
)
from hub.models.base import as_utc, utcnow
from hub.services.audit import record
from hub.services.context import HubContext
from hub.services.door import reads, writes
from hub.services.figures import neighbourhood_figures
from hub.services.outbox import append_event
from hub.services.state import get_mode, mode_since, put_state

TIMELINE_MINUTES = (15, 30, 60, 120, 240, 480, 1440)


MODE_CLOCK = "mode_clock"


def start_mode_clock(session: Session, mono: float | None = None) -> None:
    """Start counting time in the new mode on the monotonic clock (see ``escalation.time_in_mode``)."""
    put_state(
        session, MODE_CLOCK, ModeClock(boot_id(), time.monotonic() if mono is None else mono).to_state()
    )


def set_mode(session: Session, ctx: HubContext, mode: str, *, actor: str) -> Mode:
    if mode not in MODES:
        raise ValidationError(f"mode must be one of {', '.join(MODES)}", "mode")
    current = get_mode(session)
    if mode == current:
        return current
    now = utcnow()
    if current == "drill":
        drill = open_drill(session)
        if drill is not None:
            drill.ended_at = now
            drill.report = drill_report(session, drill, now)
            session.add(drill)
            # The report upstream: counts and minutes only (no name, no address).
            append_event(session, ctx, "drill.report", dict(drill.report))
    put_state(session, "mode", {"mode": mode, "since": now.isoformat(), "by": actor})
    start_mode_clock(session)
    if mode == "drill":
        session.add(Drill(started_at=now, started_by=actor))
    record(session, actor, "mode.set", None, mode=mode, previous=current)
    append_event(session, ctx, "hub.mode_changed", {"mode": mode, "previous": current})
    new_mode: Mode = mode  # type: ignore[assignment]
    return new_mode


def open_drill(session: Session) -> Drill | None:
    return session.exec(
        select(Drill).where(col(Drill.ended_at).is_(None)).order_by(col(Drill.pk).desc())
    ).first()


def _minutes(start: datetime, moment: datetime | None) -> float | None:
    return None if moment is None else round((as_utc(moment) - as_utc(start)).total_seconds() / 60, 2)


def _stats(values: list[float]) -> dict[str, float | int | None]:
    return {
        "count": len(values),
        "median_minutes": round(statistics.median(values), 2) if values else None,
        "max_minutes": round(max(values), 2) if values else None,
    }


def first_reached(session: Session, drill: Drill, now: datetime | None = None) -> dict[str, datetime]:
    """When each special-attention household was first reached in ``drill`` (household id →
    moment): a verified drill check-in at it, or a drill task for it done."""
    start = as_utc(drill.started_at)
    end = as_utc(drill.ended_at) if drill.ended_at else (now or utcnow())

    def window(column: Any) -> Any:
        return (col(column) >= start) & (col(column) <= end)

    by_key = dict(session.exec(select(Household.address_key, Household.id)).all())
    household_ids = set(by_key.values())
    first: dict[str, datetime] = {}
    verified = session.exec(
        select(CheckIn.household_id, CheckIn.address_key, CheckIn.created_at)
        .where(col(CheckIn.drill).is_(True), col(CheckIn.verified).is_(True), window(CheckIn.created_at))
        .order_by(col(CheckIn.pk))
    ).all()
    for household_id, key, created_at in verified:
        hid = household_id or by_key.get(key)
        if hid in household_ids and hid is not None:
            first.setdefault(hid, as_utc(created_at))
    done = session.exec(
        select(Task.household_id, Task.done_at).where(
            col(Task.drill).is_(True),
            window(Task.created_at),
            col(Task.status) == TaskStatus.DONE.value,
            col(Task.done_at).is_not(None),
        )
    ).all()
    for hid, done_at in done:
        if hid in household_ids and hid is not None and done_at is not None:
            moment = as_utc(done_at)
            if hid not in first or moment < first[hid]:
                first[hid] = moment
    return first


def drill_report(session: Session, drill: Drill, now: datetime | None = None) -> dict[str, Any]:
    """The after-action figures of one drill, from the drill records made during it."""
    start = as_utc(drill.started_at)
    end = as_utc(drill.ended_at) if drill.ended_at else (now or utcnow())

    def window(column: Any) -> Any:
        return (col(column) >= start) & (col(column) <= end)

    checkins = session.exec(
        select(CheckIn)
        .where(col(CheckIn.drill).is_(True), window(CheckIn.created_at))
        .order_by(col(CheckIn.pk))
    ).all()
    households = session.exec(select(Household)).all()
    household_ids = {h.id for h in households}
    first_address: dict[str, datetime] = {}
    for checkin in checkins:
        first_address.setdefault(checkin.address_key, as_utc(checkin.created_at))
    tasks = session.exec(select(Task).where(col(Task.drill).is_(True), window(Task.created_at))).all()
    first_household = first_reached(session, drill, now)

    # The headline figures are the neighbourhood's figures of the drill (``hub.services.figures``);
    # the timeline above shows how they grew.
    figures = neighbourhood_figures(session, start, drill=True, now=end)
    reached = figures.special_attention_reached
    registered = figures.special_attention_registered
    known_addresses = set(first_address) | {h.address_key for h in households}
    duration = (end - start).total_seconds() / 60
    marks = [float(m) for m in TIMELINE_MINUTES if m < duration] + [round(duration, 2)]
    timeline = []
    for minutes in marks:
        cut = start + timedelta(minutes=minutes)
        timeline.append(
            {
                "minutes": minutes,
                "households": sum(1 for m in first_address.values() if m <= cut),
                "special_attention": sum(1 for m in first_household.values() if m <= cut),
            }
        )
    all_reached = len(first_household) == len(household_ids) and household_ids
    accepted = [
        _minutes(t.sent_at or t.created_at, t.accepted_at) for t in tasks if t.accepted_at is not None
    ]
    completed = [_minutes(t.accepted_at or t.created_at, t.done_at) for t in tasks if t.done_at is not None]
    messages_in = session.exec(
        select(func.count())
        .select_from(MeshMessage)
        .where(col(MeshMessage.drill).is_(True), window(MeshMessage.created_at))
    ).one()
    outbound = session.exec(
        select(func.count(), func.coalesce(func.sum(MeshOutbound.airtime), 0.0)).where(
            window(MeshOutbound.created_at)
        )
    ).one()
    first_checkin = checkins[0].created_at if checkins else None
    return {
        "drill_id": drill.id,
        "started_at": start.isoformat(),
        "ended_at": end.isoformat(),
        "duration_minutes": _minutes(start, end),
        "minutes_to_first_checkin": _minutes(start, first_checkin),
        "checkins": len(checkins),
        "households_known": len(known_addresses),
        "households_reached": figures.households_checked_in,
        "households_share": round(figures.households_checked_in / len(known_addresses), 3)
        if known_addresses
        else None,
        "special_attention_registered": registered,
        "special_attention_reached": reached,
        "special_attention_share": round(reached / registered, 3) if registered else None,
        "minutes_to_last_special_attention": _minutes(start, max(first_household.values()))
        if all_reached
        else None,
        "timeline": timeline,
        "tasks": len(tasks),
        "task_acceptance": _stats([m for m in accepted if m is not None]),
        "task_completion": _stats([m for m in completed if m is not None]),
        "tasks_failed": sum(1 for t in tasks if t.status == TaskStatus.FAILED),
        "messages_received": int(messages_in),
        "messages_sent": int(outbound[0]),
        "airtime_seconds": round(float(outbound[1]), 3),
        "figures": figures.summary(),
    }


def wipe_drill_data(session: Session, ctx: HubContext, *, actor: str) -> dict[str, int]:
    """Delete every record made in drill mode; real records stay exactly as they were."""
    drill_tasks = select(Task.id).where(col(Task.drill).is_(True))
    drill_needs = select(Need.id).where(col(Need.drill).is_(True))
    session.exec(
        update(Task)
        .where(col(Task.drill).is_(False), col(Task.need_id).in_(drill_needs))
        .values(need_id=None)
    )
    counts: dict[str, int] = {}
    counts["mesh_outbound"] = _delete(session, MeshOutbound, col(MeshOutbound.task_id).in_(drill_tasks))
    counts["task_offers"] = _delete(session, TaskOffer, col(TaskOffer.task_id).in_(drill_tasks))
    counts["alerts"] = _delete(session, Alert, col(Alert.drill).is_(True))
    for name, model in (
        ("tasks", Task),
        ("checkins", CheckIn),
        ("needs", Need),
        ("offers", Offer),
        ("announcements", Announcement),
        ("mesh_messages", MeshMessage),
        ("signals", Signal),
        ("supply_requests", SupplyRequest),
    ):
        counts[name] = _delete(session, model, col(model.drill).is_(True))
    drill_households = select(Household.id).where(col(Household.drill).is_(True))
    _delete(session, CheckIn, col(CheckIn.household_id).in_(drill_households))
    _delete(session, PartnerConsent, col(PartnerConsent.household_id).in_(drill_households))
    counts["households"] = _delete(session, Household, col(Household.drill).is_(True))
    record(session, actor, "drill.wipe", None, **counts)
    append_event(session, ctx, "drill.wiped", {"counts": counts})
    return counts


def _delete(session: Session, model: Any, condition: Any) -> int:
    result = session.exec(delete(model).where(condition))
    return int(result.rowcount or 0)


@dataclass(frozen=True)
class ModeState:
    """The hub's mode and when it began (``None``: the hub never changed mode)."""

    mode: Mode
    since: datetime | None


def mode_state(session: Session) -> ModeState:
    return ModeState(get_mode(session), mode_since(session))


def _switch(session: Session, ctx: HubContext, mode: str, *, actor: str) -> ModeState:
    set_mode(session, ctx, mode, actor=actor)
    return mode_state(session)


# The use cases callers outside the services name (see ``hub.services.door``).
current_mode = reads(mode_state)
switch_mode = writes(_switch)
wipe_drill = writes(wipe_drill_data)
