"""The coordinators' lists, newest first, each from one read session (the admin pages and API).

Long lists page by the primary key (keyset paging): ``before`` is the first row not to show, and
a page of rows older than it is one index search, however many rows the table holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlmodel import Session, SQLModel, col, select

from hub.domain.addresses import walking_order
from hub.domain.task_states import TaskStatus
from hub.domain.vocab import Mode
from hub.models import (
    Alert,
    Announcement,
    AuditEntry,
    CheckIn,
    DeadLetter,
    Drill,
    Household,
    InboxMessage,
    MeshMessage,
    MeshOutbound,
    Need,
    Offer,
    Signal,
    Task,
    Volunteer,
)
from hub.services import drills, escalation, outbox, worklist
from hub.services.announcements import is_active
from hub.services.dashboard import (
    VolunteerRow,
    active_tasks,
    names,
    offers_for,
    open_needs,
    radio_volunteers,
    unverified_reports,
    volunteer_rows,
)
from hub.services.door import reads
from hub.services.record_views import (
    AlertView,
    AnnouncementView,
    AuditEntryView,
    CheckInView,
    DeadLetterView,
    DrillView,
    HouseholdView,
    InboxMessageView,
    MeshMessageView,
    MeshOutboundView,
    NeedView,
    OfferView,
    SignalView,
    TaskView,
    V,
    VolunteerView,
    view,
    views,
)
from hub.services.state import get_mode

M = TypeVar("M", bound=SQLModel)
LIST_LIMIT = 300


def newest(session: Session, model: type[M], limit: int = LIST_LIMIT, before: int | None = None) -> list[M]:
    """Newest first, ``limit`` rows older than ``before``: a search on the primary key."""
    pk = col(model.pk)  # type: ignore[attr-defined]
    query = select(model).order_by(pk.desc()).limit(limit)
    if before is not None:
        query = query.where(pk < before)
    return list(session.exec(query).all())


# --- the admin API's lists ---

# The records the admin API lists, by the name in its address.
LISTED: dict[str, tuple[type[SQLModel], type[BaseModel]]] = {
    "checkins": (CheckIn, CheckInView),
    "needs": (Need, NeedView),
    "offers": (Offer, OfferView),
    "tasks": (Task, TaskView),
    "volunteers": (Volunteer, VolunteerView),
    "households": (Household, HouseholdView),
    "messages": (MeshMessage, MeshMessageView),
    "announcements": (Announcement, AnnouncementView),
    "alerts": (Alert, AlertView),
    "signals": (Signal, SignalView),
}


@dataclass(frozen=True)
class RecordPage:
    """One page of a list: its rows and the cursor of the next page (``None``: the end)."""

    rows: list[BaseModel]
    next: str | None


def list_page(session: Session, kind: str, limit: int, cursor: str | None) -> RecordPage:
    """Newest first by ``pk``, ``limit`` rows below the ``cursor`` row number."""
    model, shape = LISTED[kind]
    rows = newest(session, model, limit + 1, int(cursor) if cursor is not None else None)
    more = len(rows) > limit
    rows = rows[:limit]
    after = str(rows[-1].pk) if more and rows else None  # type: ignore[attr-defined]
    return RecordPage([shape.model_validate(row) for row in rows], after)


# --- the admin pages' lists ---

Found = TypeVar("Found", Need, Household)


def _one(session: Session, model: type[Found], shape: type[V], record_id: str) -> V | None:
    """The plain copy of the record with this id; ``None`` when the id is empty or unknown."""
    if not record_id:
        return None
    row = session.exec(select(model).where(model.id == record_id)).first()
    return view(shape, row) if row is not None else None


@dataclass(frozen=True)
class CheckInsList:
    rows: list[CheckInView]
    names: dict[str, str]
    worklist: list[CheckInView]
    volunteers: list[VolunteerRow]


def _checkins(session: Session, before: int | None = None, status: str | None = None) -> CheckInsList:
    """The check-ins, newest first; only those of one ``status`` ("help", "ok") when given."""
    pk = col(CheckIn.pk)
    query = select(CheckIn).order_by(pk.desc()).limit(LIST_LIMIT)
    if before is not None:
        query = query.where(pk < before)
    if status is not None:
        query = query.where(CheckIn.status == status)
    return CheckInsList(
        rows=views(CheckInView, session.exec(query).all()),
        names=names(session),
        worklist=views(CheckInView, worklist.help_worklist(session)),
        volunteers=volunteer_rows(session),
    )


@dataclass(frozen=True)
class NeedsList:
    open_needs: list[NeedView]
    closed: list[NeedView]
    matches: dict[str, list[OfferView]]
    volunteers: list[VolunteerRow]


def _needs(session: Session) -> NeedsList:
    still_open = open_needs(session)
    return NeedsList(
        open_needs=still_open,
        closed=views(NeedView, [n for n in newest(session, Need) if n.status != "open"][:100]),
        matches=offers_for(session, still_open),
        volunteers=volunteer_rows(session),
    )


def _offers(session: Session, before: int | None = None) -> list[OfferView]:
    return views(OfferView, newest(session, Offer, before=before))


@dataclass(frozen=True)
class TasksList:
    active: list[TaskView]
    finished: list[TaskView]
    volunteers: list[VolunteerRow]
    names: dict[str, str]
    radio_volunteers: set[str]
    prefill_need: NeedView | None
    prefill_household: HouseholdView | None


def _tasks(session: Session, need: str = "", household: str = "") -> TasksList:
    """The task page; ``need`` / ``household``: the ids the new-task form starts from."""
    return TasksList(
        active=active_tasks(session),
        finished=views(
            TaskView, [t for t in newest(session, Task, 200) if t.status == TaskStatus.DONE][:100]
        ),
        volunteers=volunteer_rows(session),
        names=names(session),
        radio_volunteers=radio_volunteers(session),
        prefill_need=_one(session, Need, NeedView, need),
        prefill_household=_one(session, Household, HouseholdView, household),
    )


@dataclass(frozen=True)
class HouseholdsList:
    rows: list[HouseholdView]  # in walking order
    editing: HouseholdView | None
    reached: set[str]
    unverified: dict[str, CheckInView]
    volunteers: list[VolunteerRow]
    names: dict[str, str]


def _households(session: Session, edit: str = "") -> HouseholdsList:
    """The register (``edit``: the id of the household whose form is open)."""
    rows = views(HouseholdView, newest(session, Household, 2000))
    since = escalation.reference_time(session)
    return HouseholdsList(
        rows=sorted(rows, key=lambda h: walking_order(h.address)),
        editing=next((h for h in rows if h.id == edit), None),
        reached=escalation.reached_ids(session, since),
        unverified=unverified_reports(session, since),
        volunteers=volunteer_rows(session),
        names=names(session),
    )


@dataclass(frozen=True)
class AnnouncementsList:
    rows: list[AnnouncementView]
    active: set[str]  # ids of those not expired


def _announcements(session: Session) -> AnnouncementsList:
    rows = newest(session, Announcement, 200)
    return AnnouncementsList(views(AnnouncementView, rows), {a.id for a in rows if is_active(a)})


@dataclass(frozen=True)
class MessagesList:
    rows: list[MeshMessageView]
    by_node: dict[str, str]  # a handset's node id -> its volunteer's name


def _messages(session: Session, before: int | None = None) -> MessagesList:
    rows = views(MeshMessageView, newest(session, MeshMessage, before=before))
    by_node = {v.node_id: v.name for v in session.exec(select(Volunteer)).all() if v.node_id}
    return MessagesList(rows, by_node)


@dataclass(frozen=True)
class MeshQueue:
    queue: list[MeshOutboundView]
    volunteers: list[VolunteerRow]


def _mesh(session: Session) -> MeshQueue:
    return MeshQueue(views(MeshOutboundView, newest(session, MeshOutbound, 200)), volunteer_rows(session))


@dataclass(frozen=True)
class SyncState:
    backlog: dict[str, int]
    events: list[outbox.EventMarks]
    inbox: list[InboxMessageView]
    dead_letters: list[DeadLetterView]


def _sync(session: Session) -> SyncState:
    return SyncState(
        backlog=outbox.depth(session),
        events=outbox.latest(session, 50),
        inbox=views(InboxMessageView, newest(session, InboxMessage, 100)),
        dead_letters=views(DeadLetterView, newest(session, DeadLetter, 100)),
    )


def _audit(session: Session, limit: int, before: int | None = None) -> list[AuditEntryView]:
    return views(AuditEntryView, newest(session, AuditEntry, limit, before))


@dataclass(frozen=True)
class DrillState:
    mode: Mode
    current: DrillView | None
    report: dict[str, Any] | None
    past: list[DrillView]


def _drill(session: Session) -> DrillState:
    current = drills.open_drill(session)
    return DrillState(
        mode=get_mode(session),
        current=view(DrillView, current) if current else None,
        report=drills.drill_report(session, current) if current else None,
        past=views(DrillView, [d for d in newest(session, Drill, 20) if d.ended_at is not None]),
    )


# The use cases callers outside the services name (see ``hub.services.door``).
record_page = reads(list_page)
checkins = reads(_checkins)
needs = reads(_needs)
offers = reads(_offers)
tasks = reads(_tasks)
volunteers = reads(volunteer_rows)
households = reads(_households)
announcements = reads(_announcements)
messages = reads(_messages)
mesh_queue = reads(_mesh)
sync_state = reads(_sync)
audit_log = reads(_audit)
drill = reads(_drill)
