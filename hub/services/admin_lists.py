"""The coordinators' lists, newest first, each from one read session (the admin pages and API).

Long lists page by the primary key (keyset paging): ``before`` is the first row not to show, and
a page of rows older than it is one index search, however many rows the table holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import chain
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlmodel import Session, SQLModel, and_, col, select, true

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
from hub.models.base import utcnow
from hub.services import drills, escalation, outbox, worklist
from hub.services import volunteers as volunteers_service
from hub.services.announcements import is_active
from hub.services.dashboard import (
    VolunteerRow,
    names,
    offers_for,
    radio_volunteers,
    unverified_reports,
    volunteer_rows,
)
from hub.services.door import reads
from hub.services.list_paging import (
    Paged,
    address_matches,
    any_of,
    contains,
    grouped_page,
    json_contains,
    ordered_page,
    search_text,
)
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


def _volunteers_named(q: str) -> Any:
    """The ids of the volunteers whose name holds ``q`` (a sub-query)."""
    return select(Volunteer.id).where(contains(Volunteer.name, q))


@dataclass(frozen=True)
class CheckInsList:
    rows: list[CheckInView]
    older: int | None
    names: dict[str, str]
    worklist: list[CheckInView]
    volunteers: list[VolunteerRow]


def _checkins(
    session: Session, before: int | None = None, status: str | None = None, q: str = ""
) -> CheckInsList:
    """The check-ins, newest first; only those of one ``status`` ("help", "ok") when given, only
    those at an address, by a volunteer or with a note or a coordinator's name holding ``q``."""
    q = search_text(q)
    where: list[Any] = []
    if status is not None:
        where.append(col(CheckIn.status) == status)
    if q:
        where.append(
            any_of(
                address_matches(CheckIn.address_key, q),
                contains(CheckIn.note, q),
                contains(CheckIn.handled_by, q),
                contains(CheckIn.verified_by, q),
                col(CheckIn.volunteer_id).in_(_volunteers_named(q)),
            )
        )
    found = grouped_page(session, CheckIn, [true()], where, before, LIST_LIMIT)
    return CheckInsList(
        rows=views(CheckInView, found.rows),
        older=found.older,
        names=names(session),
        worklist=views(CheckInView, worklist.help_worklist(session)),
        volunteers=volunteer_rows(session),
    )


# Open needs, the most urgent first (``hub.domain.vocab.URGENCY_RANK``), newest first in each.
_URGENCIES = ("life", "urgent", "normal")
CLOSED_SHOWN = 100  # closed needs and done tasks under the open ones; the rest with ``status=``


def _need_search(q: str) -> list[Any]:
    if not q:
        return []
    return [any_of(address_matches(Need.address_key, q), contains(Need.description, q))]


DUPLICATES_SHOWN = 15


def duplicate_candidates(needs: list[NeedView]) -> dict[str, list[NeedView]]:
    """Per open need, the others it may repeat: at its address first, then of its category (a
    choice of a few, not every open need: 300 needs would make a page of 90,000 options)."""
    by_address: dict[str, list[NeedView]] = {}
    by_category: dict[str, list[NeedView]] = {}
    for need in needs:
        by_address.setdefault(need.address_key, []).append(need)
        by_category.setdefault(need.category, []).append(need)
    found: dict[str, list[NeedView]] = {}
    for need in needs:
        seen = {need.id}
        chosen: list[NeedView] = []
        for other in chain(by_address[need.address_key], by_category[need.category]):
            if len(chosen) == DUPLICATES_SHOWN:
                break
            if other.id not in seen:
                seen.add(other.id)
                chosen.append(other)
        found[need.id] = chosen
    return found


@dataclass(frozen=True)
class NeedsList:
    open_needs: list[NeedView]
    older: int | None
    closed: list[NeedView]
    more_closed: bool  # more closed needs than shown: the link to ``status=closed``
    duplicates: dict[str, list[NeedView]]  # need id -> the open needs it may duplicate
    matches: dict[str, list[OfferView]]
    volunteers: list[VolunteerRow]


def _needs(session: Session, before: int | None = None, status: str | None = None, q: str = "") -> NeedsList:
    """Open needs by urgency (``status="closed"``: the closed ones, newest first), a page of them."""
    q = search_text(q)
    where = _need_search(q)
    is_open = col(Need.status) == "open"
    closed_rows = grouped_page(
        session,
        Need,
        [~is_open],
        where,
        before if status == "closed" else None,
        LIST_LIMIT if status == "closed" else CLOSED_SHOWN,
    )
    if status == "closed":
        still_open: list[NeedView] = []
        older = closed_rows.older
    else:
        groups = [and_(is_open, col(Need.urgency) == u) for u in _URGENCIES]
        groups.append(and_(is_open, col(Need.urgency).not_in(_URGENCIES)))
        found = grouped_page(session, Need, groups, where, before, LIST_LIMIT)
        still_open, older = views(NeedView, found.rows), found.older
    return NeedsList(
        open_needs=still_open,
        older=older,
        closed=views(NeedView, closed_rows.rows),
        more_closed=status != "closed" and closed_rows.older is not None,
        duplicates=duplicate_candidates(still_open),
        matches=offers_for(session, still_open),
        volunteers=volunteer_rows(session),
    )


def _offers(session: Session, before: int | None = None, q: str = "") -> Paged[OfferView]:
    q = search_text(q)
    where: list[Any] = []
    if q:
        where.append(
            any_of(
                address_matches(Offer.address_key, q),
                contains(Offer.contact, q),
                contains(Offer.description, q),
            )
        )
    found = grouped_page(session, Offer, [true()], where, before, LIST_LIMIT)
    return Paged(views(OfferView, found.rows), found.older)


def _task_search(q: str) -> list[Any]:
    if not q:
        return []
    matches = [
        address_matches(Task.address_key, q),
        contains(Task.note, q),
        col(Task.volunteer_id).in_(_volunteers_named(q)),
    ]
    if number := re.fullmatch(r"[tT]?\s*(\d{1,6})", q):  # "T12": the task's number
        matches.append(col(Task.number) == int(number[1]))
    return [any_of(*matches)]


# Unfinished tasks (``UNFINISHED``): what needs a coordinator first, as on the dashboard.
_TASK_ORDER = (TaskStatus.FAILED, TaskStatus.OPEN, TaskStatus.SENT, TaskStatus.ACCEPTED)


@dataclass(frozen=True)
class TasksList:
    active: list[TaskView]
    older: int | None
    finished: list[TaskView]
    more_finished: bool  # more done tasks than shown: the link to ``status=done``
    volunteers: list[VolunteerRow]
    names: dict[str, str]
    radio_volunteers: set[str]
    prefill_need: NeedView | None
    prefill_household: HouseholdView | None


def _tasks(
    session: Session,
    need: str = "",
    household: str = "",
    before: int | None = None,
    status: str | None = None,
    q: str = "",
) -> TasksList:
    """The task page: the unfinished tasks, what needs a person first (flagged, failed, open,
    sent, accepted), the oldest first in each; ``status="done"``: the done ones, newest first.
    ``need`` / ``household``: the ids the new-task form starts from."""
    q = search_text(q)
    where = _task_search(q)
    done = col(Task.status) == TaskStatus.DONE
    finished = grouped_page(
        session,
        Task,
        [done],
        where,
        before if status == "done" else None,
        LIST_LIMIT if status == "done" else CLOSED_SHOWN,
    )
    if status == "done":
        active: list[TaskView] = []
        older = finished.older
    else:
        # each group one range of ix_tasks_status_flagged, in the order of the pk
        groups = [
            and_(col(Task.status) == s, col(Task.flagged) == flagged)
            for flagged in (True, False)
            for s in _TASK_ORDER
        ]
        found = grouped_page(session, Task, groups, where, before, LIST_LIMIT, oldest_first=True)
        active, older = views(TaskView, found.rows), found.older
    return TasksList(
        active=active,
        older=older,
        finished=views(TaskView, finished.rows),
        more_finished=status != "done" and finished.older is not None,
        volunteers=volunteer_rows(session),
        names=names(session),
        radio_volunteers=radio_volunteers(session),
        prefill_need=_one(session, Need, NeedView, need),
        prefill_household=_one(session, Household, HouseholdView, household),
    )


def _volunteers(session: Session, before: int | None = None, q: str = "") -> Paged[VolunteerRow]:
    """The volunteers by name, a page at a time; with ``q``: by name, address or handset."""
    q = search_text(q)
    where: list[Any] = []
    if q:
        where.append(
            any_of(
                contains(Volunteer.name, q),
                address_matches(Volunteer.address_key, q),
                contains(Volunteer.node_id, q),
            )
        )
    found = ordered_page(session, Volunteer, Volunteer.name, where, before, LIST_LIMIT)
    counts = volunteers_service.active_task_counts(session)
    now = utcnow()
    rows = [
        VolunteerRow(
            view(VolunteerView, v),
            volunteers_service.state_of(v, counts.get(v.id, 0), now),
            counts.get(v.id, 0),
        )
        for v in found.rows
    ]
    return Paged(rows, found.older)


@dataclass(frozen=True)
class HouseholdsList:
    rows: list[HouseholdView]  # in walking order
    older: int | None
    editing: HouseholdView | None
    reached: set[str]
    unverified: dict[str, CheckInView]
    volunteers: list[VolunteerRow]
    names: dict[str, str]


def _households(session: Session, edit: str = "", before: int | None = None, q: str = "") -> HouseholdsList:
    """The register in walking order, a page at a time (``edit``: the id of the household whose
    form is open); with ``q``: by address, contact, note, who gave consent or buddy's name."""
    q = search_text(q)
    where: list[Any] = []
    if q:
        where.append(
            any_of(
                address_matches(Household.address_key, q),
                contains(Household.contact, q),
                contains(Household.note, q),
                contains(Household.consent_given_by, q),
                col(Household.buddy_volunteer_id).in_(_volunteers_named(q)),
            )
        )
    page = ordered_page(session, Household, Household.walk_key, where, before, LIST_LIMIT)
    since = escalation.reference_time(session)
    return HouseholdsList(
        rows=views(HouseholdView, page.rows),
        older=page.older,
        editing=_one(session, Household, HouseholdView, edit),
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
    older: int | None
    by_node: dict[str, str]  # a handset's node id -> its volunteer's name


def _messages(session: Session, before: int | None = None, q: str = "") -> MessagesList:
    """The handsets' messages, newest first; with ``q``: by text, handset or its volunteer's name."""
    q = search_text(q)
    where: list[Any] = []
    if q:
        named = select(Volunteer.node_id).where(
            contains(Volunteer.name, q), col(Volunteer.node_id).is_not(None)
        )
        where.append(
            any_of(
                contains(MeshMessage.text, q),
                contains(MeshMessage.node_id, q),
                col(MeshMessage.node_id).in_(named),
            )
        )
    found = grouped_page(session, MeshMessage, [true()], where, before, LIST_LIMIT)
    by_node = {v.node_id: v.name for v in session.exec(select(Volunteer)).all() if v.node_id}
    return MessagesList(views(MeshMessageView, found.rows), found.older, by_node)


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


def _audit(session: Session, limit: int, before: int | None = None, q: str = "") -> Paged[AuditEntryView]:
    """The audit log, newest first; with ``q``: by who, what, the record or its details (an
    address as it was typed)."""
    q = search_text(q)
    where: list[Any] = []
    if q:
        where.append(
            any_of(
                contains(AuditEntry.actor, q),
                contains(AuditEntry.action, q),
                contains(AuditEntry.target, q),
                json_contains(AuditEntry.detail, q),
            )
        )
    found = grouped_page(session, AuditEntry, [true()], where, before, limit)
    return Paged(views(AuditEntryView, found.rows), found.older)


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
volunteers = reads(_volunteers)
households = reads(_households)
announcements = reads(_announcements)
messages = reads(_messages)
mesh_queue = reads(_mesh)
sync_state = reads(_sync)
audit_log = reads(_audit)
drill = reads(_drill)
