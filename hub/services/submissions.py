"""A resident's submissions through the portal and the API: stored through the writer, answered
with what the resident may see (the public schemas), and shown back on the thanks page only to
whoever holds the submission's idempotency key."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlmodel import Session, SQLModel, select

from hub.models import CheckIn, Household, IdempotencyKey, Need, Offer, Signal
from hub.schemas import (
    CheckInCreate,
    CheckInPublic,
    HouseholdCreate,
    HouseholdPublic,
    NeedCreate,
    NeedPublic,
    OfferCreate,
    OfferPublic,
    SignalCreate,
    SignalPublic,
)
from hub.services import residents, signals
from hub.services.store import Store

RECORDS: dict[str, type[SQLModel]] = {
    "checkin": CheckIn,
    "need": Need,
    "offer": Offer,
    "household": Household,
    "signal": Signal,
}


async def check_in(store: Store, data: CheckInCreate, *, source: str, key: str | None) -> CheckInPublic:
    """A check-in (``WrongHouseholdCode`` when its ``code`` is not the household's)."""

    def job(session: Session) -> CheckInPublic:
        saved = residents.create_checkin(session, store.ctx, data, source=source, key=key)
        return CheckInPublic(
            id=saved.id,
            kind="checkin",
            created_at=saved.created_at,
            address=saved.address,
            status=saved.status,
            people=saved.people,
            verified=saved.verified,
        )

    return await store.write_async(job)


async def report_need(store: Store, data: NeedCreate, *, source: str, key: str | None) -> NeedPublic:
    def job(session: Session) -> NeedPublic:
        need = residents.create_need(session, store.ctx, data, source=source, key=key)
        return NeedPublic(
            id=need.id,
            kind="need",
            created_at=need.created_at,
            address=need.address,
            category=need.category,
            urgency=need.urgency,
            call_112=need.urgency == "life",
        )

    return await store.write_async(job)


async def offer_help(store: Store, data: OfferCreate, *, key: str | None) -> OfferPublic:
    def job(session: Session) -> OfferPublic:
        offer = residents.create_offer(session, store.ctx, data, key=key)
        return OfferPublic(id=offer.id, kind="offer", created_at=offer.created_at, category=offer.category)

    return await store.write_async(job)


async def report_signal(store: Store, data: SignalCreate, *, source: str, key: str | None) -> SignalPublic:
    """A concern about a place or a person (the portal's ``/signal``)."""

    def job(session: Session) -> SignalPublic:
        signal = signals.create_signal(session, store.ctx, data, source=source, key=key)
        return SignalPublic(
            id=signal.id,
            kind="signal",
            created_at=signal.created_at,
            category=signal.category,
            address=signal.address,
            call_112=signal.life,
        )

    return await store.write_async(job)


async def register_household(store: Store, data: HouseholdCreate, *, key: str | None) -> HouseholdPublic:
    def job(session: Session) -> HouseholdPublic:
        household = residents.register_household(session, store.ctx, data, key=key)
        return HouseholdPublic(
            id=household.id,
            kind="household",
            created_at=household.created_at,
            address=household.address,
            special_attention=list(household.special_attention),
        )

    return await store.write_async(job)


@dataclass(frozen=True)
class Receipt:
    """What the thanks page shows of a stored submission (the fields its kind has)."""

    kind: str
    id: str
    created_at: datetime
    address: str | None = None
    status: str | None = None
    people: int | None = None
    note: str | None = None
    verified: bool = False
    category: str | None = None
    urgency: str | None = None
    description: str | None = None
    contact: str | None = None
    registered_by: str | None = None
    special_attention: tuple[str, ...] = ()
    consent_given_by: str | None = None
    consent_share_upstream: bool = False
    life: bool = False


_RECEIPT_FIELDS = tuple(f.name for f in fields(Receipt) if f.name not in ("kind", "id", "created_at"))


def receipt(store: Store, kind: str, record_id: str, key: str) -> Receipt | None:
    """The submission ``record_id`` of ``kind``, when it is the one stored under ``key``."""
    model: Any = RECORDS.get(kind)
    if model is None:
        return None

    def query(session: Session) -> Receipt | None:
        seen = session.get(IdempotencyKey, key)
        if seen is None or seen.kind != kind or seen.record_id != record_id:
            return None
        row = session.exec(select(model).where(model.id == record_id)).first()
        if row is None:
            return None
        found = {name: getattr(row, name) for name in _RECEIPT_FIELDS if hasattr(row, name)}
        if "special_attention" in found:
            found["special_attention"] = tuple(found["special_attention"])
        return Receipt(kind=kind, id=row.id, created_at=row.created_at, **found)

    return store.read(query)
