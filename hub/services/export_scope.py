"""The minimised export for the municipality: the same share rules as the sync.

Each resident's record is shaped exactly as its outbox event is (``hub.domain.sharing`` at the
hub's ``HUB_SYNC_SHARE`` level), with its times and status beside it. Households that did not
consent to sharing are left out entirely, and other records no longer point at them. Internal
tables (accounts, audit log, outbox, radio queue, volunteers' messages) are not part of it.
The full export (every table, every field) is for coordinators and says so.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Session, SQLModel, col, select

from hub.domain.sharing import shape_event
from hub.domain.vocab import ShareLevel
from hub.models import Announcement, CheckIn, Drill, Household, Need, Offer, Task
from hub.services.residents import SavedCheckIn, checkin_data, household_data, need_data, offer_data
from hub.services.tasks import task_data

SCOPES = ("minimised", "full")
MINIMISED_TYPES = ("households", "checkins", "needs", "offers", "tasks", "announcements", "drills")


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime | date) else value


def _rows(session: Session, model: type[SQLModel]) -> list[Any]:
    return list(session.exec(select(model).order_by(col(model.pk))).all())  # type: ignore[attr-defined]


def _shaped(kind: str, data: dict[str, Any], share: ShareLevel, **extra: Any) -> dict[str, Any]:
    shaped = shape_event(kind, data, share)
    shaped.update({k: _plain(v) for k, v in extra.items()})
    return shaped


def collect_minimised(session: Session, share: ShareLevel) -> dict[str, list[dict[str, Any]]]:
    households = [h for h in _rows(session, Household) if h.consent_share_upstream]
    consented = {h.id for h in households}
    records: dict[str, list[dict[str, Any]]] = {
        "households": [
            _shaped("household", household_data(h), share, consent_at=h.consent_at, created_at=h.created_at)
            for h in households
        ]
    }
    checkins = []
    for row in _rows(session, CheckIn):
        data = checkin_data(SavedCheckIn.from_row(row))
        if data["household_id"] not in consented:
            data["household_id"] = None
        checkins.append(_shaped("checkin", data, share, created_at=row.created_at))
    records["checkins"] = checkins
    records["needs"] = [
        _shaped(
            "need",
            need_data(n),
            share,
            created_at=n.created_at,
            resolved_at=n.resolved_at,
            duplicate_of=n.duplicate_of,
            origin_hub=n.origin_hub,
        )
        for n in _rows(session, Need)
    ]
    records["offers"] = [
        _shaped(
            "offer", offer_data(o), share, status=o.status, created_at=o.created_at, origin_hub=o.origin_hub
        )
        for o in _rows(session, Offer)
    ]
    tasks = []
    for task in _rows(session, Task):
        data = task_data(task)
        if data["household_id"] not in consented:
            data["household_id"] = None
        tasks.append(_shaped("task", data, share, created_at=task.created_at, done_at=task.done_at))
    records["tasks"] = tasks
    records["announcements"] = [
        {k: _plain(v) for k, v in a.model_dump().items() if k != "created_by"}
        for a in _rows(session, Announcement)
    ]
    records["drills"] = [{k: _plain(v) for k, v in d.model_dump().items()} for d in _rows(session, Drill)]
    return records
