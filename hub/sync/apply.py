"""Applying what arrives from upstream: the hub's inbox, announcements, federation peers' events.

Each message is validated here (``hub.sync.envelope``) and applied through the services
(``hub.services.received``) in one transaction of the single writer. A ``ValidationError``
escapes to the link, which parks the message as a dead letter; a peer's event whose envelope
is sound but whose content is refused is parked by the service itself, in the same transaction
that records its ``seq`` as handled (see ``hub.sync.federation``).
"""

from __future__ import annotations

import logging

from hub.domain.cap import AnnouncementDraft, to_announcement
from hub.errors import ValidationError
from hub.services import inbound, received
from hub.services.store import Store
from hub.sync.client import Received
from hub.sync.envelope import (
    AnnouncementMessage,
    Envelope,
    InboxPayload,
    NeedStatusChange,
    OfferStatusChange,
    json_key,
    looks_like_xml,
    parse_cap,
    parse_data,
    parse_json,
)
from hub.sync.federation import PeerFollower

log = logging.getLogger(__name__)


class InboundApplier:
    def __init__(self, store: Store, follower: PeerFollower, languages: list[str]) -> None:
        self.store = store
        self.follower = follower
        self.languages = languages

    def inbox(self, message: Received) -> None:
        payload = parse_json(message.payload, InboxPayload)
        received.inbox_message(
            self.store,
            external_id=payload.id,
            sender=payload.sender,
            subject=payload.subject,
            body=payload.body,
            sent_at=payload.sent_at,
            topic=message.topic,
        )

    def announcement(self, message: Received) -> None:
        draft: AnnouncementDraft | None
        if looks_like_xml(message.payload):
            alert = parse_cap(message.payload)
            draft = to_announcement(alert, self.languages)
            if draft is None:  # a test or system alert: nothing for residents
                return
        else:
            announcement = parse_json(message.payload, AnnouncementMessage)
            draft = AnnouncementDraft(
                external_id=json_key(announcement),
                title=announcement.title,
                body=announcement.body,
                priority=announcement.priority,
                send_mesh=announcement.send_mesh,
                expires_at=announcement.expires_at,
                translations=announcement.translations,
                drill=announcement.drill,
            )
        received.official_announcement(self.store, draft, topic=message.topic)

    def peer_event(self, peer: str, message: Received) -> str:
        """Apply a federation peer's event; its outcome (``inbound.PeerOutcome``, or "waiting")."""
        envelope = parse_json(message.payload, Envelope)
        if envelope.hub != peer:
            raise ValidationError(f"event of hub {envelope.hub!r} on the topic of {peer!r}")
        if self.follower.should_wait(peer, envelope.seq, envelope.type):
            log.info("sync: %s's %s (seq %d) waits for earlier events", peer, envelope.type, envelope.seq)
            return "waiting"
        status, problem = self.peer_status(envelope)
        event = inbound.PeerEvent(
            envelope.id, peer, envelope.seq, envelope.type, envelope.data, message.topic, message.payload
        )
        contiguous = self.follower.contiguous_after(peer, envelope.seq)
        outcome = received.peer_event(
            self.store, event, contiguous=contiguous, status=status, problem=problem
        )
        self.follower.handled(peer, envelope.seq)
        if outcome == "rejected":
            log.warning(
                "sync: dead letter from %s seq %d: %s", peer, envelope.seq, problem or "unknown record"
            )
        return outcome

    @staticmethod
    def peer_status(envelope: Envelope) -> tuple[inbound.StatusChange | None, str | None]:
        """A peer's status change checked on the wire, or the problem with it."""
        if not inbound.is_known_event(envelope.type):
            return None, f"unknown event type {envelope.type!r}"
        kind, _, action = envelope.type.partition(".")
        if action != "status" or kind not in inbound.MIRRORED_KINDS:
            return None, None
        try:
            if kind == "need":
                need = parse_data(envelope.data, NeedStatusChange)
                return inbound.StatusChange("need", need.id, need.status, need.duplicate_of), None
            offer = parse_data(envelope.data, OfferStatusChange)
            return inbound.StatusChange("offer", offer.id, offer.status), None
        except ValidationError as exc:
            return None, str(exc)
