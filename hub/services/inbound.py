"""What arrives from upstream, applied once: announcements, inbox messages, peers' events.

Every function takes a message already validated by ``hub.sync.envelope`` and applies it
idempotently by its id (``InboundApplied``): a redelivery, a replay or the same alert from
two senders' retries changes nothing. Mirrored needs and offers of federation peers carry
``origin_hub`` and are never written to our own outbox (no echo between hubs); the peer's
``need.status`` / ``offer.status`` events close, cancel or mark duplicate their mirrors, and
its ``need.deleted`` / ``offer.deleted`` events remove them. Per
peer, the highest contiguous ``seq`` handled is kept in ``hub_state`` (``federation``), so
that a hub that missed events can ask the peer to replay from there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlmodel import Session, select

from hub.domain.addresses import address_key
from hub.domain.cap import AnnouncementDraft
from hub.domain.region_radio import announcement_id
from hub.domain.vocab import NEED_CATEGORIES, OFFER_CATEGORIES, URGENCIES
from hub.models import Announcement, DeadLetter, InboundApplied, InboxMessage, Need, Offer, Task
from hub.models.base import utcnow
from hub.schemas import AnnouncementCreate
from hub.services.announcements import adopt_upstream_copy, create_announcement
from hub.services.context import HubContext
from hub.services.state import get_state, put_state

MIRRORED_KINDS = ("need", "offer")
# Peers' event types we understand but do not mirror (their residents' private matters).
KNOWN_KINDS = (
    "checkin",
    "household",
    "announcement",
    "task",
    "volunteer",
    "drill",
    "mode",
    "message",
    "alert",
    "figures",
    "signal",
    "supply",
)


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
    data = AnnouncementCreate(
        title=draft.title,
        body=draft.body,
        priority=draft.priority,
        send_mesh=draft.send_mesh,
        send_upstream=False,
        expires_at=draft.expires_at,
        translations=draft.translations,
    )
    lora_id = announcement_id(draft.external_id)
    lora_copy = session.exec(
        select(Announcement).where(
            Announcement.region_lora_id == lora_id, Announcement.source == "region_lora"
        )
    ).first()
    if lora_copy is not None:  # its LoRa copy came first: the same announcement, shown once
        announcement = adopt_upstream_copy(
            session, ctx, lora_copy, data, external_id=draft.external_id, drill=draft.drill
        )
    else:
        announcement = create_announcement(
            session,
            ctx,
            data,
            actor="upstream",
            source="upstream",
            external_id=draft.external_id,
            drill=draft.drill,  # an exercise is marked; an Actual alert is real, drill mode or not
        )
        if announcement.region_lora_id is None:
            announcement.region_lora_id = lora_id  # a LoRa copy coming second is known by it
            session.add(announcement)
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


@dataclass(frozen=True)
class PeerEvent:
    """A federation peer's event, its envelope already validated."""

    event_id: str
    peer: str
    seq: int
    event_type: str
    data: dict[str, Any]
    topic: str
    payload: bytes


@dataclass(frozen=True)
class StatusChange:
    """``need.status`` / ``offer.status`` data, validated on the wire (``hub.sync.envelope``)."""

    kind: str  # "need" | "offer"
    record_id: str
    status: str
    duplicate_of: str | None = None


PeerOutcome = Literal["applied", "ignored", "duplicate", "rejected"]
FEDERATION_STATE = "federation"


def apply_peer_event(
    session: Session, event: PeerEvent, *, status: StatusChange | None = None, problem: str | None = None
) -> PeerOutcome:
    """Mirror a peer's need or offer, or its status (read-only copies, ``origin_hub=peer``).

    Applied once by event id. ``problem`` (found on the wire) or a status for a record the peer
    does not own here parks the event as a dead letter; it still counts as handled, so a
    replay does not park it again and the peer's ``seq`` moves on.
    """
    if already_applied(session, event.event_id):
        return "duplicate"
    outcome: PeerOutcome = "ignored"
    if problem is None and status is not None:
        problem = _mirror_status(session, event.peer, status)
        outcome = "applied"
    elif problem is None:
        kind, _, action = event.event_type.partition(".")
        if kind in MIRRORED_KINDS and action == "created" and isinstance(event.data.get("id"), str):
            outcome = "applied" if _mirror_created(session, kind, event.peer, event.data) else "ignored"
        elif kind in MIRRORED_KINDS and action == "deleted" and isinstance(event.data.get("id"), str):
            outcome = "applied" if _mirror_deleted(session, kind, event.peer, event.data["id"]) else "ignored"
    if problem is not None:
        park(
            session,
            topic=event.topic,
            reason=f"{event.peer} seq {event.seq}: {problem}",
            payload=event.payload,
        )
        outcome = "rejected"
    _remember(session, event.event_id, event.topic)
    return outcome


def load_peer_marks(session: Session) -> dict[str, int]:
    """Per federation peer, the highest ``seq`` up to which every event was handled."""
    marks = get_state(session, FEDERATION_STATE).get("contiguous", {})
    return {str(peer): int(seq) for peer, seq in marks.items() if isinstance(seq, int)}


def save_peer_mark(session: Session, peer: str, contiguous: int) -> None:
    state = get_state(session, FEDERATION_STATE)
    marks = dict(state.get("contiguous", {}))
    if marks.get(peer) == contiguous:
        return
    marks[peer] = contiguous
    put_state(session, FEDERATION_STATE, {**state, "contiguous": marks})


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
        offer_address = _text(data, "address", "street", limit=120) or None
        session.add(
            Offer(
                id=record_id,
                category=str(category),
                description=_text(data, "description", limit=500) or str(category),
                address=offer_address,
                address_key=address_key(offer_address) if offer_address else None,
                contact=_text(data, "contact", limit=80) or None,
                status=status,
                origin_hub=peer,
                drill=drill,
            )
        )
    return True


def _mirror_deleted(session: Session, kind: str, peer: str, record_id: str) -> bool:
    """The origin deleted a resident's record: its mirror goes too (never mirrored: nothing)."""
    row: Need | Offer | None
    if kind == "need":
        row = session.exec(select(Need).where(Need.id == record_id)).first()
    else:
        row = session.exec(select(Offer).where(Offer.id == record_id)).first()
    if row is None or row.origin_hub != peer:
        return False
    if isinstance(row, Need):  # a task made here for it keeps its own address and note
        for task in session.exec(select(Task).where(Task.need_id == row.id)).all():
            task.need_id = None
            session.add(task)
        session.flush()
    session.delete(row)
    return True


def _mirror_status(session: Session, peer: str, change: StatusChange) -> str | None:
    """Set a mirror's status; the reason it cannot be set, or None."""
    row: Need | Offer | None
    if change.kind == "need":
        row = session.exec(select(Need).where(Need.id == change.record_id)).first()
    else:
        row = session.exec(select(Offer).where(Offer.id == change.record_id)).first()
    if row is None:
        return f"unknown {change.kind} id {change.record_id!r}"
    if row.origin_hub != peer:  # only a record's own hub may change it
        return f"{change.kind} {change.record_id!r} is not {peer}'s"
    row.status = change.status
    if isinstance(row, Need):
        row.resolved_at = None if change.status == "open" else utcnow()
        row.duplicate_of = change.duplicate_of if change.status == "duplicate" else None
    session.add(row)
    return None
