"""The coordinators' lists, newest first, each from one read session (the admin pages and API).

Long lists page by the primary key (keyset paging): ``before`` is the first row not to show, and
a page of rows older than it is one index search, however many rows the table holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

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
    volunteer_rows,
)
from hub.services.door import reads
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
LISTED: dict[str, type[SQLModel]] = {
    "checkins": CheckIn,
    "needs": Need,
    "offers": Offer,
    "tasks": Task,
    "volunteers": Volunteer,
    "households": Household,
    "messages": MeshMessage,
    "announcements": Announcement,
    "alerts": Alert,
}


@dataclass(frozen=True)
class RecordPage:
    """One page of a list: its rows and the cursor of the next page (``None``: the end)."""

    rows: list[Any]
    next: str | None


def list_page(session: Session, kind: str, limit: int, cursor: str | None) -> RecordPage:
    """Newest first by ``pk``, ``limit`` rows below the ``cursor`` row number."""
    rows = newest(session, LISTED[kind], limit + 1, int(cursor) if cursor is not None else None)
    more = len(rows) > limit
    rows = rows[:limit]
    return RecordPage(rows, str(rows[-1].pk) if more and rows else None)  # type: ignore[attr-defined]


# --- the admin pages' lists ---


@dataclass(frozen=True)
class CheckInsList:
    rows: list[CheckIn]
    names: dict[str, str]
    worklist: list[CheckIn]
    volunteers: list[VolunteerRow]


def _checkins(session: Session, before: int | None = None) -> CheckInsList:
    return CheckInsList(
        rows=newest(session, CheckIn, before=before),
        names=names(session),
        worklist=worklist.help_worklist(session),
        volunteers=volunteer_rows(session),
    )


@dataclass(frozen=True)
class NeedsList:
    open_needs: list[Need]
    closed: list[Need]
    matches: dict[str, list[Offer]]
    volunteers: list[VolunteerRow]


def _needs(session: Session) -> NeedsList:
    still_open = open_needs(session)
    return NeedsList(
        open_needs=still_open,
        closed=[n for n in newest(session, Need) if n.status != "open"][:100],
        matches=offers_for(session, still_open),
        volunteers=volunteer_rows(session),
    )


def _offers(session: Session, before: int | None = None) -> list[Offer]:
    return newest(session, Offer, before=before)


@dataclass(frozen=True)
class TasksList:
    active: list[Task]
    finished: list[Task]
    volunteers: list[VolunteerRow]
    names: dict[str, str]
    radio_volunteers: set[str]
    prefill_need: Need | None
    prefill_household: Household | None


def _tasks(session: Session, need: str = "", household: str = "") -> TasksList:
    """The task page; ``need`` / ``household``: the ids the new-task form starts from."""
    return TasksList(
        active=active_tasks(session),
        finished=[t for t in newest(session, Task, 200) if t.status == TaskStatus.DONE][:100],
        volunteers=volunteer_rows(session),
        names=names(session),
        radio_volunteers=radio_volunteers(session),
        prefill_need=session.exec(select(Need).where(Need.id == need)).first() if need else None,
        prefill_household=(
            session.exec(select(Household).where(Household.id == household)).first() if household else None
        ),
    )


@dataclass(frozen=True)
class HouseholdsList:
    rows: list[Household]  # in walking order
    editing: Household | None
    reached: set[str]
    unverified: dict[str, CheckIn]
    volunteers: list[VolunteerRow]
    names: dict[str, str]


def _households(session: Session, edit: str = "") -> HouseholdsList:
    """The register (``edit``: the id of the household whose form is open)."""
    rows = newest(session, Household, 2000)
    since = escalation.reference_time(session)
    return HouseholdsList(
        rows=sorted(rows, key=lambda h: walking_order(h.address)),
        editing=next((h for h in rows if h.id == edit), None),
        reached=escalation.reached_ids(session, since),
        unverified=escalation.unverified_reports(session, since),
        volunteers=volunteer_rows(session),
        names=names(session),
    )


@dataclass(frozen=True)
class AnnouncementsList:
    rows: list[Announcement]
    active: set[str]  # ids of those not expired


def _announcements(session: Session) -> AnnouncementsList:
    rows = newest(session, Announcement, 200)
    return AnnouncementsList(rows, {a.id for a in rows if is_active(a)})


@dataclass(frozen=True)
class MessagesList:
    rows: list[MeshMessage]
    by_node: dict[str, str]  # a handset's node id -> its volunteer's name


def _messages(session: Session, before: int | None = None) -> MessagesList:
    rows = newest(session, MeshMessage, before=before)
    by_node = {v.node_id: v.name for v in session.exec(select(Volunteer)).all() if v.node_id}
    return MessagesList(rows, by_node)


@dataclass(frozen=True)
class MeshQueue:
    queue: list[MeshOutbound]
    volunteers: list[VolunteerRow]


def _mesh(session: Session) -> MeshQueue:
    return MeshQueue(newest(session, MeshOutbound, 200), volunteer_rows(session))


@dataclass(frozen=True)
class SyncState:
    backlog: dict[str, int]
    events: list[outbox.EventMarks]
    inbox: list[InboxMessage]
    dead_letters: list[DeadLetter]


def _sync(session: Session) -> SyncState:
    return SyncState(
        backlog=outbox.depth(session),
        events=outbox.latest(session, 50),
        inbox=newest(session, InboxMessage, 100),
        dead_letters=newest(session, DeadLetter, 100),
    )


def _audit(session: Session, limit: int, before: int | None = None) -> list[AuditEntry]:
    return newest(session, AuditEntry, limit, before)


@dataclass(frozen=True)
class DrillState:
    mode: Mode
    current: Drill | None
    report: dict[str, Any] | None
    past: list[Drill]


def _drill(session: Session) -> DrillState:
    current = drills.open_drill(session)
    return DrillState(
        mode=get_mode(session),
        current=current,
        report=drills.drill_report(session, current) if current else None,
        past=[d for d in newest(session, Drill, 20) if d.ended_at is not None],
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
