"""Coordinators close, cancel or reopen needs, mark one a duplicate of another, and give offers
a status. Every change of a need's status, wherever it happens (here, or a delivery task done
in ``tasks``), goes out as a ``need.status`` event; offers as ``offer.status``.

Event data (the contract the federated peers apply):

- ``need.status``: ``{"id", "status": "open"|"resolved"|"cancelled"|"duplicate",
  "duplicate_of": <need id or null>}``
- ``offer.status``: ``{"id", "status": "available"|"used"|"withdrawn"}``

Both are shaped by the same share rules as ``need.created`` / ``offer.created``.
"""

from __future__ import annotations

from sqlmodel import Session, select

from hub.domain.lifecycle import NEED_MOVES, OFFER_MOVES, offer_status, refused_move
from hub.domain.vocab import NEED_STATUSES, OFFER_STATUSES
from hub.errors import Conflict, NotFound, ValidationError
from hub.models import Need, Offer
from hub.models.base import utcnow
from hub.services.audit import record
from hub.services.context import HubContext
from hub.services.door import writes
from hub.services.outbox import append_event
from hub.services.record_views import NeedView, OfferView, returning


def get_need(session: Session, need_id: str) -> Need:
    need = session.exec(select(Need).where(Need.id == need_id)).first()
    if need is None:
        raise NotFound(f"no need {need_id}")
    return need


def get_offer(session: Session, offer_id: str) -> Offer:
    offer = session.exec(select(Offer).where(Offer.id == offer_id)).first()
    if offer is None:
        raise NotFound(f"no offer {offer_id}")
    return offer


def emit_need_status(session: Session, ctx: HubContext, need: Need) -> None:
    """The ``need.status`` event for the need as it now is."""
    data = {"id": need.id, "status": need.status, "duplicate_of": need.duplicate_of}
    append_event(session, ctx, "need.status", data, shape="need")


def close_need(session: Session, ctx: HubContext, need: Need, status: str) -> None:
    """Close an open need (``resolved`` by a task done, for example) and say so upstream."""
    need.status = status
    need.resolved_at = utcnow()
    session.add(need)
    emit_need_status(session, ctx, need)


def set_need_status(
    session: Session,
    ctx: HubContext,
    need_id: str,
    status: str,
    *,
    actor: str,
    duplicate_of: str | None = None,
) -> Need:
    """A coordinator's change; repeating the current status changes nothing."""
    if status not in NEED_STATUSES:
        raise ValidationError(f"status must be one of {', '.join(NEED_STATUSES)}", "status")
    duplicate_of = (duplicate_of or "").strip() or None
    if duplicate_of and status != "duplicate":
        raise ValidationError("duplicate_of goes only with status duplicate", "duplicate_of")
    need = get_need(session, need_id)
    if need.origin_hub:
        raise Conflict(f"need {need.id} belongs to hub {need.origin_hub}; only that hub can change it")
    if status == "duplicate":
        _check_original(session, need, duplicate_of)
        if need.status == "duplicate" and need.duplicate_of != duplicate_of:
            raise Conflict(f"need {need.id} is already a duplicate of {need.duplicate_of}; open it first")
    if need.status == status:
        return need
    if reason := refused_move(NEED_MOVES, need.status, status):
        raise Conflict(f"need {need.id} cannot become {status}: {reason}")
    previous = need.status
    if status == "open":
        need.status, need.resolved_at, need.duplicate_of = "open", None, None
        session.add(need)
        emit_need_status(session, ctx, need)
    else:
        need.duplicate_of = duplicate_of
        close_need(session, ctx, need, status)
    record(
        session, actor, "need.status", need.id, status=status, previous=previous, duplicate_of=duplicate_of
    )
    return need


def _check_original(session: Session, need: Need, duplicate_of: str | None) -> None:
    if not duplicate_of:
        raise ValidationError("name the need this one duplicates", "duplicate_of")
    if duplicate_of == need.id:
        raise ValidationError("a need cannot duplicate itself", "duplicate_of")
    original = session.exec(select(Need).where(Need.id == duplicate_of)).first()
    if original is None:
        raise ValidationError(f"no need {duplicate_of}", "duplicate_of")
    if original.status == "duplicate":
        raise ValidationError(
            f"need {duplicate_of} is itself a duplicate (of {original.duplicate_of}); name that one",
            "duplicate_of",
        )


def set_offer_status(session: Session, ctx: HubContext, offer_id: str, status: str, *, actor: str) -> Offer:
    if status not in OFFER_STATUSES:
        raise ValidationError(f"status must be one of {', '.join(OFFER_STATUSES)}", "status")
    offer = get_offer(session, offer_id)
    if offer.origin_hub:
        raise Conflict(f"offer {offer.id} belongs to hub {offer.origin_hub}; only that hub can change it")
    current = offer_status(offer.status)
    if current == status:
        return offer
    if reason := refused_move(OFFER_MOVES, current, status):
        raise Conflict(f"offer {offer.id} cannot become {status}: {reason}")
    offer.status = status
    session.add(offer)
    record(session, actor, "offer.status", offer.id, status=status, previous=current)
    append_event(session, ctx, "offer.status", {"id": offer.id, "status": status}, shape="offer")
    return offer


# The use cases callers outside the services name (see ``hub.services.door``).
change_need_status = writes(returning(NeedView, set_need_status))
change_offer_status = writes(returning(OfferView, set_offer_status))
