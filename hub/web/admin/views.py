"""Read models for the admin pages: what a coordinator sees, gathered from one read session."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from hub.domain.escalation import AttentionHousehold, by_street, door_knock_list
from hub.domain.figures import Figures
from hub.domain.matching import match_offers
from hub.domain.task_states import UNFINISHED, TaskStatus, statuses
from hub.domain.vocab import URGENCY_RANK
from hub.models import Alert, CheckIn, Household, MeshOutbound, Need, Offer, Task, TaskOffer, Volunteer
from hub.models.base import utcnow
from hub.runtime import Hub
from hub.services import alerts, escalation, outbox, tasks, volunteers
from hub.services.figures import current_figures
from hub.services.state import get_mode, mode_since


@dataclass
class VolunteerRow:
    volunteer: Volunteer
    state: str
    active: int


@dataclass
class Dashboard:
    mode: str
    since: datetime | None
    figures: Figures
    door_knock: list[tuple[str, list[AttentionHousehold]]]
    unverified: dict[str, CheckIn]  # household id -> "reported, not verified" (still to visit)
    household_tasks: dict[str, Task]
    needs: list[Need]
    matches: dict[str, list[Offer]]
    volunteers: list[VolunteerRow]
    tasks: list[Task]
    volunteer_names: dict[str, str]
    radio_volunteers: set[str]
    links: dict[str, dict[str, Any]]
    backlog: dict[str, int]
    mesh_queue: int
    alerts: list[Alert] = field(default_factory=list)
    unhandled_messages: int = 0
    unaccepted: list[tuple[Task, list[TaskOffer]]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


def open_needs(session: Session, limit: int = 200) -> list[Need]:
    needs = session.exec(
        select(Need).where(Need.status == "open").order_by(col(Need.pk).desc()).limit(limit)
    ).all()
    return sorted(needs, key=lambda n: (URGENCY_RANK.get(n.urgency, 3), -(n.pk or 0)))


def offers_for(session: Session, needs: list[Need]) -> dict[str, list[Offer]]:
    offers = session.exec(
        select(Offer).where(col(Offer.status).in_(("available", "open"))).order_by(col(Offer.pk))
    ).all()
    by_id = {o.id: o for o in offers}
    matched = match_offers([(n.id, n.category) for n in needs], [(o.id, o.category) for o in offers])
    return {need_id: [by_id[i] for i in ids] for need_id, ids in matched.items() if ids}


def volunteer_rows(session: Session) -> list[VolunteerRow]:
    counts = volunteers.active_task_counts(session)
    now = utcnow()
    rows = [
        VolunteerRow(v, volunteers.state_of(v, counts.get(v.id, 0), now), counts.get(v.id, 0))
        for v in session.exec(select(Volunteer).order_by(col(Volunteer.name))).all()
    ]
    order = {"available": 0, "busy": 1, "unheard": 2, "unavailable": 3}
    return sorted(rows, key=lambda r: (order.get(r.state, 9), r.volunteer.name.casefold()))


def names(session: Session) -> dict[str, str]:
    return dict(session.exec(select(Volunteer.id, Volunteer.name)).all())


def radio_volunteers(session: Session) -> set[str]:
    """Ids of the volunteers with a handset (their tasks travel by radio)."""
    return set(session.exec(select(Volunteer.id).where(col(Volunteer.node_id).is_not(None))).all())


def active_tasks(session: Session) -> list[Task]:
    rows = session.exec(
        select(Task).where(col(Task.status).in_(statuses(UNFINISHED))).order_by(col(Task.pk).desc())
    ).all()
    order: dict[str, int] = {
        TaskStatus.FAILED: 0,
        TaskStatus.OPEN: 1,
        TaskStatus.SENT: 2,
        TaskStatus.ACCEPTED: 3,
    }
    return sorted(rows, key=lambda t: (not t.flagged, order.get(t.status, 9), t.number))


def household_tasks(session: Session, since: datetime | None) -> dict[str, Task]:
    """The latest task per household since the reference time."""
    query = select(Task).where(col(Task.household_id).is_not(None)).order_by(col(Task.pk))
    if since is not None:
        query = query.where(col(Task.created_at) >= since)
    return {t.household_id: t for t in session.exec(query).all() if t.household_id}


def door_knock(session: Session) -> tuple[list[AttentionHousehold], datetime | None]:
    since = escalation.reference_time(session)
    households = escalation.attention_households(session)
    return door_knock_list(households, escalation.reached_ids(session, since)), since


def dashboard(session: Session, hub: Hub) -> Dashboard:
    mode = get_mode(session)
    since = escalation.reference_time(session)
    households = escalation.attention_households(session)
    to_visit = door_knock_list(households, escalation.reached_ids(session, since))
    needs = open_needs(session)
    queued = session.exec(
        select(func.count()).select_from(MeshOutbound).where(col(MeshOutbound.status) == "queued")
    ).one()
    return Dashboard(
        mode=mode,
        since=mode_since(session) if mode != "normal" else None,
        figures=current_figures(session),
        door_knock=by_street(to_visit),
        unverified=escalation.unverified_reports(session, since),
        household_tasks=household_tasks(session, since),
        needs=needs,
        matches=offers_for(session, needs),
        volunteers=volunteer_rows(session),
        tasks=active_tasks(session),
        volunteer_names=names(session),
        radio_volunteers=radio_volunteers(session),
        links=link_states(hub),
        backlog=outbox.depth(session),
        mesh_queue=int(queued),
        alerts=alerts.open_alerts(session),
        unhandled_messages=alerts.unhandled_messages(session),
        unaccepted=[(t, tasks.offers_of(session, t.id)) for t in tasks.nobody_accepted(session)],
    )


def link_states(hub: Hub) -> dict[str, dict[str, Any]]:
    states: dict[str, dict[str, Any]] = {}
    for name, link in hub.links.items():
        try:
            states[name] = dict(link.status())
        except Exception as exc:  # a link's status must never break the dashboard
            states[name] = {"state": "error", "error": str(exc)}
    return states


def household_count(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(Household)).one())


def walking_key(address: str) -> tuple[str, int, int, str]:
    from hub.domain.addresses import walking_order

    return walking_order(address)
