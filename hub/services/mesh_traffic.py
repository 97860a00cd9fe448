"""The mesh traffic, as the radio link's use cases: what it sends next and what became of it
(the send queue, ``MeshOutbound``), and what it heard (texts and node news from handsets).

``hub.mesh`` calls these with the hub's :class:`~hub.services.store.Store`, on its own threads;
each waits for its commit. The rows stay here: the link sees :class:`QueuedText`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from hub.domain.radio_events import NodeUpdated, TextReceived
from hub.models import MeshOutbound
from hub.services import announcements, mesh_inbound, mesh_queue, task_flow
from hub.services.mesh_queue import BROADCAST, Spent
from hub.services.store import Store

__all__ = ["BROADCAST", "QueuedText", "Spent"]


@dataclass(frozen=True)
class QueuedText:
    """One queued text for the radio, as the sender needs it."""

    pk: int
    dest: str  # a node id, or ``BROADCAST``
    text: str
    priority: int
    want_ack: bool
    attempts: int
    created_at: datetime
    reply_id: int | None = None  # a reaction (tapback) to this handset packet; ``text`` is the emoji

    @classmethod
    def of(cls, row: MeshOutbound) -> QueuedText:
        return cls(
            pk=row.pk or 0,
            dest=row.dest,
            text=row.text,
            priority=row.priority,
            want_ack=row.want_ack,
            attempts=row.attempts,
            created_at=row.created_at,
            reply_id=row.reply_id,
        )


def requeue_unacked(store: Store) -> int:
    """After a restart nobody waits for the ACKs of rows sent before: send them again."""
    return store.write(mesh_queue.requeue_unacked)


def queue_counts(store: Store) -> dict[str, int]:
    """``queued``, ``unacked`` and ``failed`` rows, for the status page."""
    return store.read(mesh_queue.counts)


def airtime_spent(store: Store, window_seconds: float) -> list[Spent]:
    """What the hub transmitted within the window (the budget survives a restart)."""
    return store.read(lambda session: mesh_queue.airtime_spent(session, window_seconds))


def sendable(
    store: Store, *, skip_replies: bool = False, skip_replies_to: Collection[str] = ()
) -> list[QueuedText]:
    """Queued texts whose time has come, by priority then ``pk`` (see ``mesh_queue.sendable``)."""

    def query(session: Session) -> list[QueuedText]:
        rows = mesh_queue.sendable(session, skip_replies=skip_replies, skip_replies_to=skip_replies_to)
        return [QueuedText.of(row) for row in rows]

    return store.read(query)


def sent(store: Store, pk: int, packet_id: int, airtime: float) -> None:
    """One transmission of the text; broadcasts end here, direct messages wait for the ACK."""

    def job(session: Session) -> None:
        announcement_id = mesh_queue.mark_sent(session, pk, packet_id, airtime)
        if announcement_id is not None:
            announcements.mark_meshed(session, store.ctx, announcement_id)

    store.write(job)


def acknowledged(store: Store, pk: int) -> None:
    """The handset acknowledged the text; a task's dispatch counts as delivered."""

    def job(session: Session) -> None:
        task_id = mesh_queue.mark_acked(session, pk)
        if task_id is not None:
            task_flow.mark_delivered(session, task_id, outbound_pk=pk)

    store.write(job)


def failed(store: Store, pk: int, reason: str) -> None:
    """No attempts left; a task's dispatch is flagged for the coordinators."""

    def job(session: Session) -> None:
        task_id = mesh_queue.mark_failed(session, pk, reason)
        if task_id is not None:
            task_flow.flag_undeliverable(session, task_id, reason, outbound_pk=pk)

    store.write(job)


def retry_later(store: Store, pk: int, delay_seconds: float, reason: str) -> None:
    store.write(lambda session: mesh_queue.schedule_retry(session, pk, delay_seconds, reason))


def dropped(store: Store, pks: list[int], reason: str) -> None:
    """Queued texts that will not be sent (stale or superseded summaries)."""
    store.write(lambda session: mesh_queue.mark_dropped(session, pks, reason))


def node_heard(store: Store, node: NodeUpdated) -> bool:
    """Battery, SNR and last-heard of a volunteer's handset; False when it is nobody's."""
    return store.write(lambda session: mesh_inbound.update_node(session, node))


def text_received(store: Store, text: TextReceived, *, allow_unknown: bool) -> mesh_inbound.Handled:
    """Apply one text from a handset (a command, a reply to a task, free text)."""
    return store.write(
        lambda session: mesh_inbound.handle_text(session, store.ctx, text, allow_unknown=allow_unknown)
    )
