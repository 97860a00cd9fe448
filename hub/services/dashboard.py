"""What a coordinator sees on the dashboard and on paper: read models, each from one read session.

The use cases at the bottom (``dashboard``, ``door_knock_sheet``, ``task_sheets``) open their
own session (see ``hub.services.door``); the functions of a session above them are the pieces
the admin lists share (``hub.services.admin_lists``).

Drill or real (``hub.domain.figures``): the dashboard shows the records of the current mode only,
its figures, its open needs and its calls for help alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from hub.domain.escalation import DoorKnockGroup, by_section, door_knock_list
from hub.domain.figures import Figures
from hub.domain.matching import match_offers
from hub.domain.messages import task_dispatch
from hub.domain.task_states import UNFINISHED, TaskStatus, statuses
from hub.domain.vocab import URGENCY_RANK
from hub.models import MeshOutbound, Need, Offer, Task, Volunteer
from hub.models.base import utcnow
from hub.services import alerts, escalation, outbox, readiness, signals, tasks, volunteers, worklist
from hub.services.door import reads
from hub.services.figures import current_figures
from hub.services.record_views import (
    AlertView,
    CheckInView,
    NeedView,
    OfferView,
    SignalView,
    TaskOfferView,
    TaskView,
    VolunteerView,
    view,
    views,
)
from hub.services.state import get_mode, is_drill, mode_since


@dataclass
class VolunteerRow:
    volunteer: VolunteerView
    state: str
    active: int


@dataclass
class Dashboard:
    mode: str
    since: datetime | None
    figures: Figures
    door_knock: list[DoorKnockGroup]
    unverified: dict[str, CheckInView]  # household id -> "reported, not verified" (still to visit)
    household_tasks: dict[str, TaskView]
    needs: list[NeedView]
    matches: dict[str, list[OfferView]]
    volunteers: list[VolunteerRow]
    tasks: list[TaskView]
    volunteer_names: dict[str, str]
    radio_volunteers: set[str]
    links: dict[str, dict[str, Any]]
    backlog: dict[str, int]
    mesh_queue: int
    alerts: list[AlertView] = field(default_factory=list)
    unhandled_messages: int = 0
    unaccepted: list[tuple[TaskView, list[TaskOfferView]]] = field(default_factory=list)
    help_calls: list[CheckInView] = field(default_factory=list)  # calls for help nobody handled
    life_signals: list[SignalView] = field(default_factory=list)  # new signals: danger to life
    new_signals: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def open_needs(session: Session, limit: int = 200, *, drill: bool | None = None) -> list[NeedView]:
    """Open needs, the most urgent first; only the drill's or only the real ones when ``drill``
    is given."""
    query = select(Need).where(Need.status == "open")
    if drill is not None:
        query = query.where(col(Need.drill) == drill)
    needs = session.exec(query.order_by(col(Need.pk).desc()).limit(limit)).all()
    ordered = sorted(needs, key=lambda n: (URGENCY_RANK.get(n.urgency, 3), -(n.pk or 0)))
    return views(NeedView, ordered)


def offers_for(session: Session, needs: list[NeedView]) -> dict[str, list[OfferView]]:
    offers = session.exec(
        select(Offer).where(col(Offer.status).in_(("available", "open"))).order_by(col(Offer.pk))
    ).all()
    by_id = {o.id: view(OfferView, o) for o in offers}
    matched = match_offers([(n.id, n.category) for n in needs], [(o.id, o.category) for o in offers])
    return {need_id: [by_id[i] for i in ids] for need_id, ids in matched.items() if ids}


def volunteer_rows(session: Session) -> list[VolunteerRow]:
    counts = volunteers.active_task_counts(session)
    now = utcnow()
    rows = [
        VolunteerRow(
            view(VolunteerView, v), volunteers.state_of(v, counts.get(v.id, 0), now), counts.get(v.id, 0)
        )
        for v in session.exec(select(Volunteer).order_by(col(Volunteer.name))).all()
    ]
    order = {"available": 0, "busy": 1, "unheard": 2, "unavailable": 3}
    return sorted(rows, key=lambda r: (order.get(r.state, 9), r.volunteer.name.casefold()))


def names(session: Session) -> dict[str, str]:
    return dict(session.exec(select(Volunteer.id, Volunteer.name)).all())


def radio_volunteers(session: Session) -> set[str]:
    """Ids of the volunteers with a handset (their tasks travel by radio)."""
    return set(session.exec(select(Volunteer.id).where(col(Volunteer.node_id).is_not(None))).all())


def active_tasks(session: Session) -> list[TaskView]:
    rows = session.exec(
        select(Task).where(col(Task.status).in_(statuses(UNFINISHED))).order_by(col(Task.pk).desc())
    ).all()
    order: dict[str, int] = {
        TaskStatus.FAILED: 0,
        TaskStatus.OPEN: 1,
        TaskStatus.SENT: 2,
        TaskStatus.ACCEPTED: 3,
    }
    ordered = sorted(rows, key=lambda t: (not t.flagged, order.get(t.status, 9), t.number))
    return views(TaskView, ordered)


def household_tasks(session: Session, since: datetime | None) -> dict[str, TaskView]:
    """The latest task per household since the reference time."""
    query = select(Task).where(col(Task.household_id).is_not(None)).order_by(col(Task.pk))
    if since is not None:
        query = query.where(col(Task.created_at) >= since)
    return {t.household_id: view(TaskView, t) for t in session.exec(query).all() if t.household_id}


def unverified_reports(session: Session, since: datetime | None) -> dict[str, CheckInView]:
    """Household id -> its check-in "reported OK, not verified" since ``since`` (still to visit)."""
    return {k: view(CheckInView, c) for k, c in escalation.unverified_reports(session, since).items()}


def _dashboard(session: Session, links: Mapping[str, dict[str, Any]]) -> Dashboard:
    mode = get_mode(session)
    drill = is_drill(session)
    since = escalation.reference_time(session)
    households = escalation.attention_households(session)
    to_visit = door_knock_list(households, escalation.reached_ids(session, since))
    needs = open_needs(session, drill=drill)
    queued = session.exec(
        select(func.count()).select_from(MeshOutbound).where(col(MeshOutbound.status) == "queued")
    ).one()
    return Dashboard(
        mode=mode,
        since=mode_since(session) if mode != "normal" else None,
        figures=current_figures(session),
        door_knock=by_section(to_visit, readiness.section_plan(session)),
        unverified=unverified_reports(session, since),
        household_tasks=household_tasks(session, since),
        needs=needs,
        matches=offers_for(session, needs),
        volunteers=volunteer_rows(session),
        tasks=active_tasks(session),
        volunteer_names=names(session),
        radio_volunteers=radio_volunteers(session),
        links=dict(links),
        backlog=outbox.depth(session),
        mesh_queue=int(queued),
        alerts=views(AlertView, alerts.open_alerts(session)),
        unhandled_messages=alerts.unhandled_messages(session),
        unaccepted=[
            (view(TaskView, t), views(TaskOfferView, tasks.offers_of(session, t.id)))
            for t in tasks.nobody_accepted(session)
        ],
        help_calls=views(CheckInView, [c for c in worklist.help_worklist(session) if c.drill == drill]),
        life_signals=views(SignalView, signals.urgent_new(session, drill=drill)),
        new_signals=signals.new_count(session, drill=drill),
        extra={"help_waiting": worklist.waiting_count(session, drill=drill)},
    )


@dataclass(frozen=True)
class DoorKnockSheet:
    """The printed door-knock list: who to visit, section by section (street by street where no
    section covers them)."""

    groups: list[DoorKnockGroup]
    count: int
    since: datetime | None
    tasks: dict[str, TaskView]
    names: dict[str, str]


def _door_knock_sheet(session: Session) -> DoorKnockSheet:
    since = escalation.reference_time(session)
    households = escalation.attention_households(session)
    to_visit = door_knock_list(households, escalation.reached_ids(session, since))
    return DoorKnockSheet(
        groups=by_section(to_visit, readiness.section_plan(session)),
        count=len(to_visit),
        since=since,
        tasks=household_tasks(session, since),
        names=names(session),
    )


@dataclass(frozen=True)
class TaskSheets:
    """One printed sheet per volunteer (``""``: not assigned) with their unfinished tasks."""

    sheets: list[tuple[str, list[TaskView]]]
    people: dict[str, VolunteerView]
    texts: dict[str, str]  # task id -> the text a handset gets


def _task_sheets(session: Session, volunteer: str = "") -> TaskSheets:
    query = select(Task).where(col(Task.status).in_(statuses(UNFINISHED))).order_by(col(Task.number))
    rows = session.exec(query).all()
    people = {v.id: view(VolunteerView, v) for v in session.exec(select(Volunteer)).all()}
    sheets: dict[str, list[TaskView]] = {}
    for task in rows:
        key = task.volunteer_id or ""
        if volunteer and key != volunteer:
            continue
        sheets.setdefault(key, []).append(view(TaskView, task))
    texts = {t.id: task_dispatch(t.number, t.kind, t.address, t.note, drill=t.drill) for t in rows}
    return TaskSheets(
        sheets=sorted(sheets.items(), key=lambda kv: people[kv[0]].name if kv[0] in people else ""),
        people=people,
        texts=texts,
    )


# The use cases callers outside the services name (see ``hub.services.door``).
dashboard = reads(_dashboard)
door_knock_sheet = reads(_door_knock_sheet)
task_sheets = reads(_task_sheets)
