"""The persistent queue of texts for the radio (survives restarts).

Services put texts here in the same transaction as the change that caused them; the mesh
link sends them by priority, charges their airtime, and marks them acknowledged or failed.
With no radio the rows simply wait (a coordinator can print tasks instead).

One row is one packet: a text longer than a packet is split into numbered parts
("1/2 ...", "2/2 ...") here, so that the link never has to cut anything.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import and_, func, not_, or_, update
from sqlmodel import Session, col, select

from hub.db import after_commit
from hub.domain import messages
from hub.domain.airtime import Priority
from hub.domain.text import DEFAULT_LIMIT, split_message
from hub.models import MeshOutbound, Need
from hub.models.base import as_utc, utcnow
from hub.services.context import HubContext

BROADCAST = "^all"

# One priority scale for the whole hub: the airtime budget's. Lower goes first; SOS and
# LIFE (life-threatening needs) are never held back by the budget.
SendPriority = Priority


def enqueue_text(
    session: Session,
    ctx: HubContext,
    dest: str,
    text: str,
    priority: Priority,
    *,
    task_id: str | None = None,
    want_ack: bool | None = None,
    question: str | None = None,
) -> list[MeshOutbound]:
    """Queue ``text`` for ``dest`` (a ``!xxxxxxxx`` node id, or ``BROADCAST`` for the channel).

    Returns one row per packet, in sending order. Direct messages want an ACK by default;
    broadcasts do not (an implicit ACK only proves that a neighbour relayed it). ``question``
    marks a reply as the answer to that question (see ``answered_recently``).
    """
    rows = [
        MeshOutbound(
            dest=dest,
            text=part,
            priority=int(priority),
            task_id=task_id,
            want_ack=(dest != BROADCAST) if want_ack is None else want_ack,
            question=question,
        )
        for part in split_message(text, DEFAULT_LIMIT)
    ]
    session.add_all(rows)
    session.flush()
    for wake in ctx.mesh_wakers:
        after_commit(session, wake)
    return rows


def enqueue_reaction(
    session: Session, ctx: HubContext, dest: str, reply_id: int, emoji: str, priority: Priority
) -> MeshOutbound:
    """Queue a reaction (tapback) ``emoji`` on the handset's packet ``reply_id``, without an ACK:
    the handset sends the same command again if it sees no confirmation."""
    row = MeshOutbound(
        dest=dest, text=emoji, priority=int(priority), want_ack=False, reply_id=reply_id & 0xFFFFFFFF
    )
    session.add(row)
    session.flush()
    for wake in ctx.mesh_wakers:
        after_commit(session, wake)
    return row


# An answer sent without an ACK may have been lost without anyone knowing: a repeat of its
# question more than this long after it was queued is answered again.
UNACKED_ANSWER_SECONDS = 60.0


def answered_recently(
    session: Session, dest: str, question: str, within_seconds: float, now: datetime | None = None
) -> bool:
    """Was ``question`` from ``dest`` answered within the last ``within_seconds``?

    An answer counts while it is queued, on its way or delivered; one that failed or was
    dropped does not, so a handset that never heard the answer gets it when it asks again.
    An answer sent without an ACK counts while queued and for ``UNACKED_ANSWER_SECONDS``.
    """
    if within_seconds <= 0:
        return False
    moment = now or utcnow()
    since = moment - timedelta(seconds=within_seconds)
    unacked_since = moment - timedelta(seconds=min(within_seconds, UNACKED_ANSWER_SECONDS))
    found = session.exec(
        select(MeshOutbound.pk)
        .where(
            MeshOutbound.dest == dest,
            MeshOutbound.question == question,
            col(MeshOutbound.created_at) >= since,
            col(MeshOutbound.status).not_in(("failed", "dropped")),
            or_(
                col(MeshOutbound.want_ack).is_(True),
                col(MeshOutbound.status) == "queued",
                col(MeshOutbound.created_at) >= unacked_since,
            ),
        )
        .limit(1)
    ).first()
    return found is not None


def relay_life_need(session: Session, ctx: HubContext, need: Need) -> list[MeshOutbound]:
    """Broadcast a life-threatening need to every handset at once, as one packet."""
    text = messages.life_alert(need.category, need.address, need.description, drill=need.drill)
    return enqueue_text(session, ctx, BROADCAST, text, SendPriority.LIFE)


def enqueue_announcement(
    session: Session,
    ctx: HubContext,
    title: str,
    body: str,
    priority: str = "info",
    *,
    drill: bool = False,
    announcement_id: str | None = None,
) -> list[MeshOutbound]:
    """An announcement for the channel, in numbered parts when it is long (``OEFENING`` first in a drill)."""
    rows: list[MeshOutbound] = []
    for part in messages.announcement(title, body, priority, drill=drill):
        rows += enqueue_text(session, ctx, BROADCAST, part, SendPriority.ANNOUNCEMENT)
    for row in rows:
        row.announcement_id = announcement_id
        session.add(row)
    return rows


# -- the link's side: what to send next and what became of it ---------------------------
#
#   queued ──send──▶ sent ──ACK──▶ acked          (direct messages)
#     ▲               │
#     └──NAK/timeout──┤ (attempts left: retry after not_before)
#                     └──▶ failed                 (no attempts left; a task gets flagged)
#   queued ──send──▶ sent                         (broadcasts: no ACK to wait for)
#   queued ──over budget──▶ dropped               (superseded or stale summaries)


def sendable(
    session: Session,
    now: datetime | None = None,
    limit: int = 50,
    *,
    skip_replies: bool = False,
    skip_replies_to: Collection[str] = (),
) -> list[MeshOutbound]:
    """Queued rows whose ``not_before`` has passed, by priority then ``pk``.

    Replies that cannot go anyway (``skip_replies``: none; ``skip_replies_to``: those to these
    handsets) are left out, so that a flood of them does not hide the rows behind it.
    """
    moment = now or utcnow()
    query = select(MeshOutbound).where(MeshOutbound.status == "queued")
    if skip_replies:
        query = query.where(MeshOutbound.priority != int(Priority.REPLY))
    elif skip_replies_to:
        query = query.where(
            not_(
                and_(
                    col(MeshOutbound.priority) == int(Priority.REPLY),
                    col(MeshOutbound.dest).in_(sorted(skip_replies_to)),
                )
            )
        )
    rows = session.exec(
        query.order_by(col(MeshOutbound.priority), col(MeshOutbound.pk)).limit(limit * 4)
    ).all()
    ready = [r for r in rows if r.not_before is None or as_utc(r.not_before) <= moment]
    return ready[:limit]


class Spent(NamedTuple):
    seconds_ago: float
    airtime: float
    priority: Priority
    dest: str


def airtime_spent(session: Session, window_seconds: float, now: datetime | None = None) -> list[Spent]:
    """What the hub transmitted within the window, from the queue's own records: the budget
    (and each handset's share of it) survives a restart. A time in the future (the clock was
    set back) counts as now, which errs on the side of the handsets' air."""
    moment = now or utcnow()
    since = moment - timedelta(seconds=window_seconds)
    rows = session.exec(
        select(MeshOutbound.sent_at, MeshOutbound.airtime, MeshOutbound.priority, MeshOutbound.dest).where(
            col(MeshOutbound.sent_at) >= since, MeshOutbound.airtime > 0
        )
    ).all()
    return [
        Spent(max((moment - as_utc(sent)).total_seconds(), 0.0), airtime, Priority(priority), dest)
        for sent, airtime, priority, dest in rows
        if sent
    ]


def mark_sent(session: Session, pk: int, packet_id: int, airtime: float) -> str | None:
    """One transmission of the row; broadcasts end here, direct messages wait for the ACK.
    Returns the announcement the row is a part of, if any."""
    row = session.get(MeshOutbound, pk)
    if row is None:
        return None
    row.attempts += 1
    row.packet_id = packet_id
    row.airtime += airtime
    row.sent_at = utcnow()
    if row.status == "queued":  # an ACK may have overtaken this write
        row.status = "sent"
    session.add(row)
    return row.announcement_id


def mark_acked(session: Session, pk: int) -> str | None:
    """The destination acknowledged; returns the row's task id (its dispatch arrived)."""
    row = session.get(MeshOutbound, pk)
    if row is None:
        return None
    row.status = "acked"
    row.error = None
    session.add(row)
    return row.task_id


def schedule_retry(session: Session, pk: int, delay_seconds: float, error: str) -> None:
    row = session.get(MeshOutbound, pk)
    if row is None or row.status == "acked":
        return
    row.status = "queued"
    row.error = error[:40]
    row.not_before = utcnow() + timedelta(seconds=delay_seconds)
    session.add(row)


def mark_failed(session: Session, pk: int, error: str) -> str | None:
    """No attempts left; returns the row's task id so the task can be flagged."""
    row = session.get(MeshOutbound, pk)
    if row is None or row.status == "acked":
        return None
    row.status = "failed"
    row.error = error[:40]
    session.add(row)
    return row.task_id


def mark_dropped(session: Session, pks: list[int], reason: str) -> None:
    for pk in pks:
        row = session.get(MeshOutbound, pk)
        if row is not None and row.status == "queued":
            row.status = "dropped"
            row.error = reason[:40]
            session.add(row)


def requeue_unacked(session: Session) -> int:
    """After a restart nobody waits for the ACKs of rows sent before: send them again."""
    result = session.execute(
        update(MeshOutbound)
        .where(col(MeshOutbound.status) == "sent", col(MeshOutbound.want_ack).is_(True))
        .values(status="queued", not_before=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def counts(session: Session) -> dict[str, int]:
    """``queued``, ``unacked`` and ``failed`` rows, for the status page."""
    rows = session.exec(
        select(MeshOutbound.status, MeshOutbound.want_ack, func.count()).group_by(
            col(MeshOutbound.status), col(MeshOutbound.want_ack)
        )
    ).all()
    out = {"queued": 0, "unacked": 0, "failed": 0}
    for status, want_ack, n in rows:
        if status == "queued":
            out["queued"] += n
        elif status == "sent" and want_ack:
            out["unacked"] += n
        elif status == "failed":
            out["failed"] += n
    return out
