"""Supply requests: the coordinators ask the region for supplies for a number of households.

A request is a row (``SupplyRequest``) and an outbox event ``supply.requested`` (closing it:
``supply.closed``), so it goes over MQTT as every other event does. While the MQTT link is down
the region channel sends it at once as an urgent frame with the household count, again until
the region acknowledges it (``hub.services.region_link.urgent_events``).
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from hub.domain.supplies import SupplyInput
from hub.errors import Conflict, NotFound
from hub.models import SupplyRequest
from hub.models.base import utcnow
from hub.services.audit import record
from hub.services.context import HubContext
from hub.services.door import reads, writes
from hub.services.outbox import append_event
from hub.services.state import is_drill


def request(session: Session, ctx: HubContext, data: SupplyInput, *, actor: str) -> str:
    """Record a supply request and its event; returns its id."""
    row = SupplyRequest(
        category=data.category,
        households=data.households,
        note=data.note,
        drill=is_drill(session),
        created_by=actor,
    )
    session.add(row)
    append_event(
        session,
        ctx,
        "supply.requested",  # hub.domain.region_link.SUPPLY_REQUESTED
        {
            "id": row.id,
            "category": row.category,
            "households": row.households,
            "note": row.note,
            "status": "open",
            "drill": row.drill,
        },
    )
    record(session, actor, "supply.request", row.id, category=row.category, households=row.households)
    return row.id


def close(session: Session, ctx: HubContext, request_id: str, *, actor: str) -> None:
    """The supplies came (or are no longer needed): the region hears ``supply.closed``."""
    row = session.exec(select(SupplyRequest).where(SupplyRequest.id == request_id)).first()
    if row is None:
        raise NotFound(f"no supply request {request_id}")
    if row.status != "open":
        raise Conflict(f"supply request {request_id} is closed already")
    row.status, row.closed_at = "closed", utcnow()
    session.add(row)
    append_event(session, ctx, "supply.closed", {"id": row.id, "status": "closed", "drill": row.drill})
    record(session, actor, "supply.close", row.id, category=row.category)


def all_in(session: Session) -> list[SupplyRequest]:
    """Open ones first, newest first in each."""
    rows = session.exec(select(SupplyRequest).order_by(col(SupplyRequest.pk).desc())).all()
    return [r for r in rows if r.status == "open"] + [r for r in rows if r.status != "open"]


def open_ids(session: Session, ids: list[str]) -> set[str]:
    return set(
        session.exec(
            select(SupplyRequest.id).where(col(SupplyRequest.id).in_(ids), SupplyRequest.status == "open")
        ).all()
    )


request_supplies = writes(request)
close_request = writes(close)
requests = reads(all_in)
