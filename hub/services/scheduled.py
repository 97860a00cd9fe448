"""The scheduler's use cases (``hub.jobs``): escalation, re-offers, the hourly summary and
retention. Each owns its reads and writer jobs and answers with plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, func, select

from hub.config import Settings
from hub.domain.clock import utcnow
from hub.domain.figures import Figures
from hub.domain.messages import status_broadcast
from hub.models import Address, MeshOutbound, Task
from hub.services import alerts, escalation, retention, tasks
from hub.services.figures import FIGURES_EVENT, current_figures
from hub.services.mesh_queue import BROADCAST, SendPriority, enqueue_text
from hub.services.mesh_traffic import QueuedText
from hub.services.outbox import append_event, depth
from hub.services.state import get_mode, mode_since
from hub.services.store import Store


@dataclass(frozen=True)
class TaskMoved:
    """A task a job created or handed on."""

    id: str
    number: int
    kind: str
    address: str
    status: str
    volunteer_id: str | None
    household_id: str | None
    automatic: bool

    @classmethod
    def from_row(cls, task: Task) -> TaskMoved:
        return cls(
            id=task.id,
            number=task.number,
            kind=task.kind,
            address=task.address,
            status=task.status,
            volunteer_id=task.volunteer_id,
            household_id=task.household_id,
            automatic=task.automatic,
        )


def escalate_overdue(store: Store, hours: float, *, mono: float | None = None) -> list[TaskMoved]:
    """Door-knock tasks for special-attention households silent for ``hours`` in a crisis.

    Which households are overdue is read beside the writer; in normal mode that is the end."""
    plan = store.read(lambda session: escalation.plan_escalation(session, hours, mono=mono))
    if plan is None:
        return []

    def job(session: Session) -> list[TaskMoved]:
        return [TaskMoved.from_row(t) for t in escalation.apply_escalation(session, store.ctx, plan)]

    return store.write(job)


def reoffer_unaccepted(
    store: Store, minutes: float, *, mono: float | None = None, max_offers: int
) -> list[TaskMoved]:
    """Tasks nobody accepted within ``minutes``: to the next volunteer, or back to a coordinator."""

    def job(session: Session) -> list[TaskMoved]:
        moved = tasks.reoffer_unaccepted(session, store.ctx, minutes, mono, max_offers=max_offers)
        return [TaskMoved.from_row(t) for t in moved]

    return store.write(job)


def summary_text(figures: Figures) -> str:
    """The hourly summary on the channel: the neighbourhood's figures (``hub.services.figures``)."""
    return status_broadcast(
        datetime.now().astimezone().strftime("%H:%M"),
        figures.households_checked_in,
        figures.households_help,
        figures.open_needs,
        figures.special_attention_not_reached,
        drill=figures.drill,
    )


def hourly_summary(store: Store) -> QueuedText | None:
    """In a crisis or drill: the figures on the mesh channel (a summary still waiting is replaced,
    not added to) and upstream as a ``figures.summary`` event. None in normal mode."""

    def job(session: Session) -> QueuedText | None:
        if get_mode(session) == "normal":
            return None
        figures = current_figures(session)
        text = summary_text(figures)
        append_event(session, store.ctx, FIGURES_EVENT, figures.summary())  # the same figures upstream
        waiting = session.exec(
            select(MeshOutbound).where(
                MeshOutbound.priority == int(SendPriority.SUMMARY), MeshOutbound.status == "queued"
            )
        ).first()
        if waiting is not None:  # merge: the newest figures replace the ones not yet sent
            waiting.text = text
            waiting.created_at = utcnow()
            session.add(waiting)
            row = waiting
        else:
            (row,) = enqueue_text(session, store.ctx, BROADCAST, text, SendPriority.SUMMARY)  # one packet
        return QueuedText.of(row)

    return store.write(job)


def purge_expired(
    store: Store, settings: Settings, now: datetime | None = None, batch: int = retention.BATCH
) -> dict[str, int]:
    """Records past their ``HUB_RETAIN_*_DAYS``, in small batches, each a writer job of its own."""
    return retention.purge_expired(store.write, store.ctx, settings, now, batch)


STATUS_EVENT = "hub.status"


@dataclass(frozen=True)
class HubFacts:
    """What the running hub knows outside its database, for the ``hub.status`` event."""

    name: str
    latitude: float | None
    longitude: float | None
    clock_trusted: bool
    links: dict[str, bool]  # link name (radio, sync, scheduler) → connected


def hub_status(store: Store, facts: HubFacts) -> dict[str, object]:
    """Write the ``hub.status`` event: who and where the hub is, its mode, clock and links, and
    its figures (counts only, as ``figures.summary``; nothing that names a person or an address).
    The region's overview reads the latest one per hub. Answers the event's data."""

    def job(session: Session) -> dict[str, object]:
        data = _status_data(session, facts)
        append_event(session, store.ctx, "hub.status", data)
        return data

    return store.write(job)


def _status_data(session: Session, facts: HubFacts) -> dict[str, object]:
    figures = current_figures(session)
    registered, lat, lon = session.exec(
        select(func.count(), func.avg(Address.lat), func.avg(Address.lon)).select_from(Address)
    ).one()
    latitude, longitude = facts.latitude, facts.longitude
    if (latitude is None or longitude is None) and registered:  # the middle of the address register
        latitude, longitude = round(float(lat), 5), round(float(lon), 5)
    mode_started = mode_since(session)
    return {
        "name": facts.name,
        "lat": latitude,
        "lon": longitude,
        "mode": get_mode(session),
        "mode_since": mode_started.isoformat() if mode_started else None,
        "clock_trusted": facts.clock_trusted,
        "links": dict(sorted(facts.links.items())),
        "outbox": depth(session),
        "open_alerts": alerts.open_count(session),
        "addresses_known": int(registered),
        "figures": figures.summary(),
    }
