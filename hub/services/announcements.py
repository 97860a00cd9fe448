"""Announcements: written by coordinators or received from upstream, read by everyone."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, or_, select

from hub.domain import messages
from hub.errors import Conflict
from hub.models import Announcement, MeshOutbound
from hub.models.base import as_utc, utcnow
from hub.schemas import AnnouncementCreate
from hub.services import mesh_queue
from hub.services.audit import record
from hub.services.context import HubContext
from hub.services.outbox import append_event
from hub.services.records import get_by_id
from hub.services.state import is_drill

# Sources of announcements from upstream: over MQTT, or the region channel's LoRa copy.
FROM_REGION = ("upstream", "region_lora")


def create_announcement(
    session: Session,
    ctx: HubContext,
    data: AnnouncementCreate,
    *,
    actor: str,
    source: str = "local",
    external_id: str | None = None,
    drill: bool | None = None,
) -> Announcement:
    """Store and send an announcement. ``drill`` says whether it is an exercise; ``None`` means
    "whatever the hub's mode is" (a coordinator's announcement during a drill is a drill one). An
    upstream alert says it itself: a real alert arriving during a drill stays real."""
    if external_id:
        existing = session.exec(select(Announcement).where(Announcement.external_id == external_id)).first()
        if existing:
            return existing
    announcement = Announcement(
        title=data.title,
        body=data.body,
        priority=data.priority,
        send_mesh=data.send_mesh,
        send_upstream=data.send_upstream and source == "local",
        translations=data.translations,
        expires_at=data.expires_at,
        source=source,
        external_id=external_id,
        created_by=actor,
        drill=is_drill(session) if drill is None else drill,
    )
    session.add(announcement)
    session.flush()
    if announcement.send_mesh:
        _on_mesh(session, ctx, announcement)
    if source == "upstream" and external_id:  # the region sees it arrived
        append_event(session, ctx, "announcement.arrived", _receipt(announcement, announcement.created_at))
    if source == "local":
        record(session, actor, "announcement.create", announcement.id, title=data.title)
    if announcement.send_upstream:
        append_event(
            session,
            ctx,
            "announcement.created",
            {
                "id": announcement.id,
                "title": announcement.title,
                "body": announcement.body,
                "priority": announcement.priority,
                "expires_at": announcement.expires_at.isoformat() if announcement.expires_at else None,
                "drill": announcement.drill,
            },
        )
    return announcement


def adopt_upstream_copy(
    session: Session,
    ctx: HubContext,
    announcement: Announcement,
    data: AnnouncementCreate,
    *,
    external_id: str,
    drill: bool,
) -> Announcement:
    """The region's MQTT copy of an announcement its LoRa copy put on the portal already: the
    one portal item takes the MQTT copy's words and identity, and the receipts the region
    waits for go now (``arrived`` when the LoRa copy arrived, ``shown`` if the portal showed
    it); it goes on the mesh channel only now, once, if the message asks for that (a LoRa copy
    never does)."""
    announcement.title, announcement.body = data.title, data.body
    announcement.priority, announcement.translations = data.priority, data.translations
    announcement.expires_at = data.expires_at
    announcement.source, announcement.external_id, announcement.drill = "upstream", external_id, drill
    session.add(announcement)
    if data.send_mesh and not announcement.send_mesh:
        announcement.send_mesh = True
        _on_mesh(session, ctx, announcement)
    append_event(session, ctx, "announcement.arrived", _receipt(announcement, announcement.created_at))
    if announcement.shown_at is not None:
        append_event(session, ctx, "announcement.shown", _receipt(announcement, announcement.shown_at))
    return announcement


def _receipt(announcement: Announcement, at: datetime) -> dict[str, str]:
    """A delivery receipt's data: the id the sender gave the announcement, and when."""
    return {"external_id": announcement.external_id or "", "at": as_utc(at).isoformat()}


def mark_shown(session: Session, ctx: HubContext, announcement_ids: list[str]) -> int:
    """The portal showed these announcements: the first time, an upstream one's receipt goes
    upstream (``announcement.shown``); a LoRa copy from the region keeps the moment for its MQTT
    copy to report (``adopt_upstream_copy``). Returns how many were shown for the first time."""
    if not announcement_ids:
        return 0
    rows = session.exec(
        select(Announcement).where(
            col(Announcement.id).in_(announcement_ids),
            col(Announcement.source).in_(FROM_REGION),
            col(Announcement.shown_at).is_(None),
        )
    ).all()
    now = utcnow()
    for row in rows:
        row.shown_at = now
        session.add(row)
        if row.source == "upstream" and row.external_id:
            append_event(session, ctx, "announcement.shown", _receipt(row, now))
    return len(rows)


def mark_meshed(session: Session, ctx: HubContext, announcement_id: str) -> bool:
    """A part of the announcement went on the air: once none is left queued, an upstream one's
    receipt goes upstream (``announcement.meshed``). True when that happened now."""
    row = session.exec(select(Announcement).where(Announcement.id == announcement_id)).first()
    if row is None or row.meshed_at is not None:
        return False
    waiting = session.exec(
        select(MeshOutbound.pk).where(
            MeshOutbound.announcement_id == announcement_id, MeshOutbound.status == "queued"
        )
    ).first()
    if waiting is not None:
        return False
    now = utcnow()
    row.meshed_at = now
    session.add(row)
    if row.source == "upstream" and row.external_id:
        append_event(session, ctx, "announcement.meshed", _receipt(row, now))
    return True


def active_announcements(
    session: Session, now: datetime | None = None, limit: int = 50
) -> list[Announcement]:
    """Not expired, newest first; urgent ones first among those."""
    moment = now or utcnow()
    rows = session.exec(
        select(Announcement)
        .where(or_(col(Announcement.expires_at).is_(None), col(Announcement.expires_at) > moment))
        .order_by(col(Announcement.pk).desc())
        .limit(limit)
    ).all()
    rank = {"urgent": 0, "warning": 1, "info": 2}
    return sorted(rows, key=lambda a: (rank.get(a.priority, 3), -(a.pk or 0)))


def is_active(announcement: Announcement, now: datetime | None = None) -> bool:
    return announcement.expires_at is None or as_utc(announcement.expires_at) > (now or utcnow())


def withdraw_announcement(
    session: Session, ctx: HubContext, announcement_id: str, *, actor: str
) -> Announcement:
    """Stop showing an announcement, now. Its radio parts not yet sent are dropped; when a part
    already went on the air, the channel hears ``INGETROKKEN: <title>``. Upstream (and the peers)
    hear ``announcement.withdrawn`` when they had heard of it. ``Conflict`` when it no longer shows."""
    announcement = get_by_id(session, Announcement, announcement_id)
    if not is_active(announcement):
        raise Conflict(f"announcement {announcement_id} is no longer shown")
    now = utcnow()
    announcement.expires_at = now
    session.add(announcement)
    if announcement.send_mesh:
        parts = messages.announcement(
            announcement.title, announcement.body, announcement.priority, drill=announcement.drill
        )
        unsent = session.exec(
            select(MeshOutbound).where(
                MeshOutbound.dest == mesh_queue.BROADCAST,
                MeshOutbound.status == "queued",
                col(MeshOutbound.text).in_(parts),
            )
        ).all()
        for row in unsent:
            row.status, row.error = "dropped", "announcement withdrawn"
            session.add(row)
        if len(unsent) < len(parts):  # some of it was heard: say it no longer holds
            text = messages.announcement_withdrawn(announcement.title, drill=announcement.drill)
            mesh_queue.enqueue_text(
                session, ctx, mesh_queue.BROADCAST, text, mesh_queue.SendPriority.ANNOUNCEMENT
            )
    record(session, actor, "announcement.withdraw", announcement.id, title=announcement.title)
    if announcement.send_upstream:
        append_event(
            session, ctx, "announcement.withdrawn", {"id": announcement.id, "withdrawn_at": now.isoformat()}
        )
    return announcement


def _on_mesh(session: Session, ctx: HubContext, announcement: Announcement) -> None:
    """Queue the announcement for the neighbourhood's mesh channel."""
    mesh_queue.enqueue_announcement(
        session,
        ctx,
        announcement.title,
        announcement.body,
        announcement.priority,
        drill=announcement.drill,
        announcement_id=announcement.id,
    )
