"""What the sync link received, applied: the hub's inbox, official announcements, federation
peers' events and dead letters. Each use case is one writer job that waits for its commit (the
link acknowledges a message to the broker only after it); the link sees no rows."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from hub.domain.cap import AnnouncementDraft
from hub.services import inbound
from hub.services.store import Store


def inbox_message(
    store: Store,
    *,
    external_id: str,
    sender: str,
    subject: str,
    body: str,
    sent_at: datetime | None,
    topic: str,
) -> None:
    """A message to the hub's inbox (applied once by its id)."""
    store.write(
        lambda session: inbound.apply_inbox(
            session,
            external_id=external_id,
            sender=sender,
            subject=subject,
            body=body,
            sent_at=sent_at,
            topic=topic,
        )
    )


def official_announcement(store: Store, draft: AnnouncementDraft, *, topic: str) -> None:
    """An official announcement (applied once by its external id)."""
    store.write(lambda session: inbound.apply_announcement(session, store.ctx, draft, topic=topic))


def peer_event(
    store: Store,
    event: inbound.PeerEvent,
    *,
    contiguous: int,
    status: inbound.StatusChange | None = None,
    problem: str | None = None,
) -> inbound.PeerOutcome:
    """A federation peer's event, and the peer's ``seq`` up to which all is handled, together."""

    def job(session: Session) -> inbound.PeerOutcome:
        outcome = inbound.apply_peer_event(session, event, status=status, problem=problem)
        inbound.save_peer_mark(session, event.peer, contiguous)
        return outcome

    return store.write(job)


def peer_marks(store: Store) -> dict[str, int]:
    """Per federation peer, the highest ``seq`` up to which every event was handled."""
    return store.read(inbound.load_peer_marks)


def dead_letter(store: Store, *, topic: str, reason: str, payload: bytes) -> None:
    """Keep a message that could not be applied, for a coordinator to read."""
    store.write(lambda session: inbound.park(session, topic=topic, reason=reason, payload=payload))
