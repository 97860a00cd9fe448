"""The persistent queue of texts for the radio (survives restarts).

Services put texts here in the same transaction as the change that caused them; the mesh
link sends them by priority, charges their airtime, and marks them acknowledged or failed.
With no radio the rows simply wait (a coordinator can print tasks instead).
"""

from __future__ import annotations

from enum import IntEnum

from sqlmodel import Session

from hub.db import after_commit
from hub.models import MeshOutbound
from hub.services.context import HubContext

BROADCAST = "^all"


class SendPriority(IntEnum):
    """Lower goes first. SOS and life-threatening needs are never held back."""

    SOS = 0
    LIFE = 1
    TASK = 2
    REPLY = 3
    ANNOUNCEMENT = 4
    SUMMARY = 5


def enqueue_text(
    session: Session,
    ctx: HubContext,
    dest: str,
    text: str,
    priority: SendPriority,
    *,
    task_id: str | None = None,
    want_ack: bool | None = None,
) -> MeshOutbound:
    """Queue ``text`` for ``dest`` (a ``!xxxxxxxx`` node id, or ``BROADCAST`` for the channel)."""
    row = MeshOutbound(
        dest=dest,
        text=text,
        priority=int(priority),
        task_id=task_id,
        want_ack=(dest != BROADCAST) if want_ack is None else want_ack,
    )
    session.add(row)
    session.flush()
    for wake in ctx.mesh_wakers:
        after_commit(session, wake)
    return row
