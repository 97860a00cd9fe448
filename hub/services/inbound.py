"""What arrives from upstream, applied once: announcements, inbox messages, peers' events.

Every function takes a message already validated by ``hub.sync.envelope`` and applies it
idempotently by its id (``InboundApplied``): a redelivery, a replay or the same alert from
two senders' retries changes nothing. Mirrored needs and offers of federation peers carry
``origin_hub`` and are never written to our own outbox (no echo between hubs).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from hub.domain.addresses import address_key
from hub.domain.cap import AnnouncementDraft
from hub.domain.vocab import NEED_CATEGORIES, OFFER_CATEGORIES, URGENCIES
from hub.models import Announcement, DeadLetter, InboundApplied, InboxMessage, Need, Offer
from hub.schemas import AnnouncementCreate
from hub.services.announcements import create_announcement
from hub.services.context import HubContext

MIRRORED_KINDS = ("need", "offer")
# Peers' event types we understand but do not mirror (their residents' private matters).
KNOWN_KINDS = ("checkin", "household", "announcement", "task", "volunteer", "drill", "mode", "message")


def already_applied(session: Session, message_id: str) -> bool:
    return session.get(InboundApplied, message_id) is not None


def _remember(session: Session, message_id: str, topic: str) -> None:
    session.add(InboundApplied(id=message_id, topic=topic[:200]))


def park(session: Session, *, topic: str, reason: str, payload: bytes) -> DeadLetter:
    """Keep a message that could not be applied, for a coordinator to read."""
    letter = DeadLetter(
        source="mqtt",
        topic=topic[:200],
        reason=reason[:300],
        payload=payload[:4000].decode("utf-8", errors="replace")[:4000],
    )
    session.add(letter)
    return letter


def apply_announcement(
    session: Session, ctx: HubContext, draft: AnnouncementDraft, *, topic: str
) -> Announcement | None:
    """An official announcement; on the mesh channel too when ``draft.send_mesh``."""
    if already_applied(session, draft.external_id):
        return None
    announcement = create_announcement(
        session,
        ctx,
        AnnouncementCreate(
            title=draft.title,
            body=draft.body,
            priority=draft.priority,
            send_mesh=draft.send_mesh,
            send_upstream=False,
            expires_at=draft.expires_at,
            translations=draft.translations,
        ),
        actor="upstream",
        source="upstream",
        external_id=draft.external_id,
        drill=draft.drill,  # an exercise is marked; an Actual alert is real, drill mode or not
    )
    _remember(session, draft.external_id, topic)
    return announcement


def apply_inbox(
    session: Session,
    *,
    external_id: str,
    sender: str,
    subject: str,
    body: str,
    sent_at: datetime | None,
    topic: str,
) -> InboxMessage | None:
    key = f"inbox:{external_id}"
    if already_applied(session, key):
        return None
    message = InboxMessage(
        external_id=external_id, sender=sender, subject=subject, body=body, sent_at=sent_at
    )
    session.add(message)
    _remember(session, key, topic)
    return message


def is_known_event(event_type: str) -> bool:
    return event_type.split(".", 1)[0] in (*MIRRORED_KINDS, *KNOWN_KINDS)


def apply_peer_event(
    session: Session, *, event_id: str, peer: str, event_type: str, data: dict[str, Any], topic: str
) -> bool:
    """Mirror a peer's need or offer (read-only, ``origin_hub=peer``); True when something changed."""
    if already_applied(session, event_id):
        return False
    changed = False
    kind, _, action = event_type.partition(".")
    if kind in MIRRORED_KINDS and isinstance(data.get("id"), str):
        if action == "created":
            changed = _mirror_created(session, kind, peer, data)
        elif isinstance(data.get("status"), str):
            changed = _mirror_status(session, kind, peer, data["id"], str(data["status"]))
    _remember(session, event_id, topic)
    return changed


def _text(data: dict[str, Any], *names: str, limit: int) -> str:
    for name in names:
        value = data.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()[:limit]
    return ""


def _mirror_created(session: Session, kind: str, peer: str, data: dict[str, Any]) -> bool:
    record_id = str(data["id"])[:26]
    model: type[Need] | type[Offer] = Need if kind == "need" else Offer
    if session.exec(select(model).where(model.id == record_id)).first() is not None:
        return False
    drill = bool(data.get("drill", False))
    status = _text(data, "status", limit=12) or "open"
    if kind == "need":
        address = _text(data, "address", "street", limit=120) or f"({peer})"
        category = data.get("category") if data.get("category") in NEED_CATEGORIES else "other"
        urgency = data.get("urgency") if data.get("urgency") in URGENCIES else "normal"
        session.add(
            Need(
                id=record_id,
                address=address,
                address_key=address_key(address),
                category=str(category),
                urgency=str(urgency),
                description=_text(data, "description", limit=500) or str(category),
                status=status,
                source="federation",
                origin_hub=peer,
                drill=drill,
            )
        )
    else:
        category = data.get("category") if data.get("category") in OFFER_CATEGORIES else "other"
        session.add(
            Offer(
                id=record_id,
                category=str(category),
                description=_text(data, "description", limit=500) or str(category),
                address=_text(data, "address", "street", limit=120) or None,
                contact=_text(data, "contact", limit=80) or None,
                status=status,
                origin_hub=peer,
                drill=drill,
            )
        )
    return True


def _mirror_status(session: Session, kind: str, peer: str, record_id: str, status: str) -> bool:
    row: Need | Offer | None
    if kind == "need":
        row = session.exec(select(Need).where(Need.id == record_id)).first()
    else:
        row = session.exec(select(Offer).where(Offer.id == record_id)).first()
    if row is None or row.origin_hub != peer:  # only a record's own hub may change it
        return False
    row.status = status[:12]
    session.add(row)
    return True
