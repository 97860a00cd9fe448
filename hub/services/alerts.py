"""SOS alerts: raised by a handset, open until a coordinator acknowledges them.

    raised (alert.raised upstream; the sender hears "no coordinator has seen it yet")
      └──a coordinator acknowledges──▶ acknowledged (alert.acknowledged upstream, audited;
                                        the sender hears who has seen it)

An SOS from a node that is no registered volunteer is an SOS all the same, marked as from an
unknown node. Acknowledging twice, or an alert that does not exist, changes nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from hub.domain import messages
from hub.errors import Conflict, NotFound
from hub.models import Alert, MeshMessage, Volunteer
from hub.models.base import utcnow
from hub.services.audit import record
from hub.services.context import HubContext
from hub.services.door import reads, writes
from hub.services.mesh_queue import SendPriority, enqueue_text
from hub.services.outbox import append_event
from hub.services.record_views import AlertView, returning


def alert_data(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.id,
        "kind": alert.kind,
        "node_id": alert.node_id,
        "volunteer_id": alert.volunteer_id,
        "name": alert.volunteer_name,
        "text": alert.text,
        "unknown_node": alert.unknown_node,
        "verified": alert.verified,
        "drill": alert.drill,
        "raised_at": alert.raised_at.isoformat(),
    }


def raise_sos(
    session: Session,
    ctx: HubContext,
    message: MeshMessage,
    volunteer: Volunteer | None,
    note: str,
) -> Alert:
    """Store an SOS as an open alert and answer the sender at SOS priority."""
    alert = Alert(
        kind="sos",
        message_id=message.id,
        node_id=message.node_id,
        volunteer_id=volunteer.id if volunteer else None,
        volunteer_name=volunteer.name if volunteer else None,
        text=note[:500],
        unknown_node=volunteer is None,
        verified=message.pki,
        drill=message.drill,
    )
    session.add(alert)
    session.flush()
    append_event(session, ctx, "alert.raised", alert_data(alert))
    enqueue_text(session, ctx, message.node_id, messages.sos_received(), SendPriority.SOS)
    return alert


def acknowledge(session: Session, ctx: HubContext, alert_id: str, *, actor: str) -> Alert:
    """A coordinator has seen the alert: audited, upstream, and the sender is told by whom.

    ``NotFound`` for an unknown id, ``Conflict`` when it was acknowledged before; either way
    nothing changes.
    """
    alert = session.exec(select(Alert).where(Alert.id == alert_id)).first()
    if alert is None:
        raise NotFound(f"no alert {alert_id}")
    if alert.acknowledged_at is not None:
        raise Conflict(f"alert already acknowledged by {alert.acknowledged_by}")
    alert.acknowledged_at = utcnow()
    alert.acknowledged_by = actor
    session.add(alert)
    if alert.message_id:
        message = session.exec(select(MeshMessage).where(MeshMessage.id == alert.message_id)).first()
        if message is not None and not message.handled:
            message.handled = True
            session.add(message)
    record(session, actor, "alert.acknowledge", alert.id, node=alert.node_id, kind=alert.kind)
    append_event(
        session,
        ctx,
        "alert.acknowledged",
        {"id": alert.id, "kind": alert.kind, "by": actor, "at": alert.acknowledged_at.isoformat()},
    )
    enqueue_text(session, ctx, alert.node_id, messages.sos_seen(actor), SendPriority.SOS)
    return alert


def open_alerts(session: Session) -> list[Alert]:
    """Alerts nobody has acknowledged yet, oldest first (the one waiting longest on top)."""
    return list(
        session.exec(select(Alert).where(col(Alert.acknowledged_at).is_(None)).order_by(col(Alert.pk))).all()
    )


def open_count(session: Session) -> int:
    return int(
        session.exec(
            select(func.count()).select_from(Alert).where(col(Alert.acknowledged_at).is_(None))
        ).one()
    )


def unhandled_messages(session: Session) -> int:
    """Free text and held messages from handsets that no coordinator has marked as handled."""
    return int(
        session.exec(
            select(func.count())
            .select_from(MeshMessage)
            .where(col(MeshMessage.handled).is_(False), col(MeshMessage.kind).in_(("free_text", "held")))
        ).one()
    )


# The use cases callers outside the services name (see ``hub.services.door``).
acknowledge_alert = writes(returning(AlertView, acknowledge))
open_alert_count = reads(open_count)
