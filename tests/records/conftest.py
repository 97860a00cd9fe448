"""Helpers for the tests of residents' records: seeding through the services, reading events."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from hub.models import AuditEntry, CheckIn, Need, Offer, OutboxEvent, Signal
from hub.runtime import Hub
from hub.schemas import CheckInCreate, NeedCreate, OfferCreate
from hub.services import residents
from tests.admin.conftest import admin, bearer  # noqa: F401 (fixtures)


def need(hub: Hub, address: str = "Molenweg 2", description: str = "brood voor mevr. de Vries") -> Need:
    data = NeedCreate(address=address, category="food", description=description)
    return hub.db.writer.run_sync(lambda s: residents.create_need(s, hub.ctx, data))


def offer(hub: Hub) -> Offer:
    data = OfferCreate(category="car", description="auto met trekhaak", contact="06-12345678")
    return hub.db.writer.run_sync(lambda s: residents.create_offer(s, hub.ctx, data))


def checkin(hub: Hub, address: str = "Kerkstraat 5", status: str = "help", note: str | None = None) -> str:
    data = CheckInCreate(address=address, status=status, note=note)  # type: ignore[arg-type]
    return hub.db.writer.run_sync(lambda s: residents.create_checkin(s, hub.ctx, data)).id


def events(hub: Hub, event_type: str) -> list[dict[str, Any]]:
    with hub.db.read() as session:
        rows = session.exec(
            select(OutboxEvent).where(OutboxEvent.type == event_type).order_by(col(OutboxEvent.seq))
        ).all()
        return [dict(row.data) for row in rows]


def audit(hub: Hub, action: str) -> list[tuple[str, str | None]]:
    with hub.db.read() as session:
        rows = session.exec(select(AuditEntry).where(AuditEntry.action == action)).all()
        return [(row.actor, row.target) for row in rows]


def exists(hub: Hub, model: type[CheckIn] | type[Need] | type[Offer] | type[Signal], record_id: str) -> bool:
    with hub.db.read() as session:
        return session.exec(select(model).where(model.id == record_id)).first() is not None
