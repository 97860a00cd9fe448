"""Deleting residents' records for good: by a coordinator (on request) or by the retention job.

A deleted check-in, need or offer leaves an event upstream that carries only its id
(``checkin.deleted``, ``need.deleted``, ``offer.deleted``), so that the region deletes its copy
too. A coordinator's deletion also empties the hub's own outbox copies of the record's events
down to their id (the retention job prunes old confirmed outbox rows instead: see
``retention``). Records that point at a deleted one let go of it first (a task keeps its
address but no longer its need). The idempotency key that made a record stays behind, so a retried
submission of a deleted record is refused instead of storing it again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, delete, select, update

from hub.errors import NotFound
from hub.models import (
    Alert,
    Announcement,
    CheckIn,
    Household,
    MeshMessage,
    MeshOutbound,
    Need,
    Offer,
    PartnerConsent,
    SelfCheck,
    Signal,
    Task,
    TaskOffer,
    VolunteerOffer,
)
from hub.services import outbox
from hub.services.audit import record
from hub.services.context import HubContext
from hub.services.door import writes
from hub.services.outbox import append_event


def _release_need(session: Session, ids: Sequence[str]) -> None:
    session.exec(update(Task).where(col(Task.need_id).in_(ids)).values(need_id=None))


def _release_household(session: Session, ids: Sequence[str]) -> None:
    session.exec(update(Task).where(col(Task.household_id).in_(ids)).values(household_id=None))
    session.exec(update(CheckIn).where(col(CheckIn.household_id).in_(ids)).values(household_id=None))
    session.exec(delete(PartnerConsent).where(col(PartnerConsent.household_id).in_(ids)))


def _release_task(session: Session, ids: Sequence[str]) -> None:
    session.exec(delete(MeshOutbound).where(col(MeshOutbound.task_id).in_(ids)))
    session.exec(delete(TaskOffer).where(col(TaskOffer.task_id).in_(ids)))
    session.exec(update(CheckIn).where(col(CheckIn.task_id).in_(ids)).values(task_id=None))


@dataclass(frozen=True)
class RecordKind:
    """One kind of record that can be deleted: its table, the event that says so, its ties."""

    name: str
    model: Any
    event: str | None
    age: str = "created_at"
    release: Callable[[Session, Sequence[str]], None] | None = None


KINDS: dict[str, RecordKind] = {
    kind.name: kind
    for kind in (
        RecordKind("checkins", CheckIn, "checkin.deleted"),
        RecordKind("needs", Need, "need.deleted", release=_release_need),
        RecordKind("offers", Offer, "offer.deleted"),
        RecordKind("households", Household, "household.deleted", "consent_at", _release_household),
        RecordKind("tasks", Task, "task.deleted", release=_release_task),
        RecordKind("messages", MeshMessage, None),
        RecordKind("announcements", Announcement, None),
        RecordKind("radio_queue", MeshOutbound, None),
        RecordKind("alerts", Alert, None, "raised_at"),
        RecordKind("signals", Signal, None),  # never left the hub but as counts per street
        # the board's (never sent upstream): anonymous self-checks, residents' offers to volunteer
        RecordKind("self_checks", SelfCheck, None),
        RecordKind("volunteer_offers", VolunteerOffer, None),
    )
}
BY_HAND = ("checkins", "needs", "offers")


def erase(
    session: Session, ctx: HubContext, kind: RecordKind, ids: Sequence[str], *, scrub: bool = False
) -> int:
    """Delete these records of ``kind`` and tell upstream; returns how many went."""
    if not ids:
        return 0
    if kind.release is not None:
        kind.release(session, ids)
    if scrub:
        outbox.scrub(session, ids)
    result = session.exec(delete(kind.model).where(col(kind.model.id).in_(ids)))
    if kind.event:
        for record_id in ids:
            append_event(session, ctx, kind.event, {"id": record_id})
    return int(result.rowcount or 0)


def delete_record(session: Session, ctx: HubContext, kind_name: str, record_id: str, *, actor: str) -> None:
    """A coordinator deletes one check-in, need or offer (audited; ``*.deleted`` upstream)."""
    if kind_name not in BY_HAND:
        raise NotFound(f"no record kind {kind_name}")
    kind = KINDS[kind_name]
    found = session.exec(select(kind.model.pk).where(kind.model.id == record_id)).first()
    if found is None:
        raise NotFound(f"no {kind_name.rstrip('s').replace('checkin', 'check-in')} {record_id}")
    erase(session, ctx, kind, [record_id], scrub=True)
    record(session, actor, f"{kind_name.rstrip('s')}.delete", record_id)


# The use cases callers outside the services name (see ``hub.services.door``).
delete_by_hand = writes(delete_record)
