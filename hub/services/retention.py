"""Keeping the privacy page's promise: records are deleted after their retention period.

Each kind of record has its own period (``HUB_RETAIN_<KIND>_DAYS``, at most 365: "deleted after
12 months at the latest"); records made during a drill go sooner (``HUB_RETAIN_DRILL_DAYS``).
The scheduler deletes in small batches, one writer job each, so that no batch holds the
single writer for long; every batch sends the ``*.deleted`` events with it. The hub's radio
queue and volunteers' SOS alerts go with the handsets' messages; outbox events the region has
confirmed go after the longest period (the newest event always stays: it carries the ``seq``
the next one follows).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from hub.config import Settings
from hub.models.base import utcnow
from hub.services import outbox
from hub.services.audit import record
from hub.services.context import HubContext
from hub.services.erasure import KINDS, erase

BATCH = 200
MAX_BATCHES = 500  # per kind and run: 100,000 records; the rest waits for the next run
DRILL_KINDS = (
    "checkins",
    "needs",
    "offers",
    "households",
    "tasks",
    "messages",
    "announcements",
    "alerts",
    "signals",
)


def retention_days(settings: Settings) -> dict[str, int]:
    """Days each kind of real record is kept."""
    return {
        "checkins": settings.retain_checkins_days,
        "needs": settings.retain_needs_days,
        "offers": settings.retain_offers_days,
        "households": settings.retain_households_days,
        "tasks": settings.retain_tasks_days,
        "messages": settings.retain_messages_days,
        "radio_queue": settings.retain_messages_days,
        "alerts": settings.retain_messages_days,
        "signals": settings.retain_needs_days,  # a neighbour's concern: kept as long as a need
        "self_checks": settings.retain_checkins_days,  # a self-check is a check-in of sorts
        "volunteer_offers": settings.retain_offers_days,
    }


def purge_batch(
    session: Session,
    ctx: HubContext,
    kind_name: str,
    cutoff: datetime,
    *,
    drill_only: bool = False,
    limit: int = BATCH,
) -> int:
    """Delete up to ``limit`` records of one kind made before ``cutoff`` (oldest first)."""
    kind = KINDS[kind_name]
    query = select(kind.model.id).where(col(getattr(kind.model, kind.age)) < cutoff)
    if drill_only:
        query = query.where(col(kind.model.drill).is_(True))
    ids = list(session.exec(query.order_by(col(kind.model.pk)).limit(limit)).all())
    return erase(session, ctx, kind, ids)


Run = Callable[[Callable[[Session], int]], int]


def purge_expired(
    run: Run, ctx: HubContext, settings: Settings, now: datetime | None = None, batch: int = BATCH
) -> dict[str, int]:
    """Every expired record, batch by batch through ``run`` (the writer); counts per kind."""
    moment = now or utcnow()
    plan: list[tuple[str, str, datetime, bool]] = [
        (kind, kind, moment - timedelta(days=days), False) for kind, days in retention_days(settings).items()
    ]
    drill_cutoff = moment - timedelta(days=settings.retain_drill_days)
    plan += [(f"drill_{kind}", kind, drill_cutoff, True) for kind in DRILL_KINDS]
    counts: dict[str, int] = {}
    for label, kind, cutoff, drill_only in plan:

        def job(
            s: Session, kind: str = kind, cutoff: datetime = cutoff, drill_only: bool = drill_only
        ) -> int:
            return purge_batch(s, ctx, kind, cutoff, drill_only=drill_only, limit=batch)

        _in_batches(run, job, label, counts, batch)
    outbox_cutoff = moment - timedelta(days=max(retention_days(settings).values()))
    _in_batches(run, lambda s: outbox.prune(s, outbox_cutoff, batch), "outbox", counts, batch)
    if counts:
        run(lambda s: _audit(s, counts))
    return counts


def _in_batches(
    run: Run, job: Callable[[Session], int], label: str, counts: dict[str, int], batch: int
) -> None:
    total = 0
    for _ in range(MAX_BATCHES):
        deleted = run(job)
        total += deleted
        if deleted < batch:
            break
    if total:
        counts[label] = total


def _audit(session: Session, counts: dict[str, int]) -> int:
    record(session, "retention", "retention.purge", None, **counts)
    return 0
