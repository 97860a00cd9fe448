"""What the portal, the resident API and the operators read of the hub's state, and the storage
health probe: each a use case with its own read session (or writer job), answered in plain values."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlmodel import Session

from hub.domain.figures import Figures
from hub.domain.vocab import Mode
from hub.errors import StorageUnavailable
from hub.models import Announcement
from hub.schemas import AnnouncementPublic
from hub.services import alerts, announcements, mesh_queue, tasks
from hub.services.figures import current_figures
from hub.services.outbox import depth
from hub.services.state import get_mode, put_state
from hub.services.store import Store

log = logging.getLogger(__name__)

# After the storage refused a write, the probe writes this much: a small probe fits in the space
# a failed write left behind, and would answer "healthy" while every real write is refused.
RECOVERY_PROBE_BYTES = 64 * 1024


def mode(store: Store) -> Mode:
    """The hub's mode (every portal page shows the crisis and drill banners)."""
    return store.read(get_mode)


def active_announcements(store: Store, limit: int = 50, *, shown: bool = False) -> list[AnnouncementPublic]:
    """Not expired, urgent first, newest first. ``shown``: the portal shows them to a person
    (an upstream announcement shown for the first time sends its receipt upstream)."""

    def query(session: Session) -> tuple[list[AnnouncementPublic], list[str]]:
        rows = announcements.active_announcements(session, limit=limit)
        return (
            [AnnouncementPublic.model_validate(row, from_attributes=True) for row in rows],
            _first_shown(rows),
        )

    public, first = store.read(query)
    if shown:
        _note_shown(store, first)
    return public


def _note_shown(store: Store, first: list[str]) -> None:
    """Mark them shown; a storage that refuses the write does not keep the page from a person
    (the receipt follows at the next showing)."""
    if not first:
        return
    try:
        store.write(lambda session: announcements.mark_shown(session, store.ctx, first))
    except StorageUnavailable:
        log.warning("portal: could not note %d announcements as shown", len(first))


def _first_shown(rows: list[Announcement]) -> list[str]:
    """Upstream announcements among ``rows`` the portal has not shown before."""
    return [row.id for row in rows if row.source == "upstream" and row.shown_at is None]


@dataclass(frozen=True)
class FrontPage:
    """The portal's home page: the latest announcements and the neighbourhood's figures."""

    announcements: list[AnnouncementPublic]
    figures: Figures


def front_page(store: Store, limit: int = 5) -> FrontPage:
    """What the portal's home page shows (an upstream announcement shown there for the first
    time sends its receipt upstream)."""

    def query(session: Session) -> tuple[FrontPage, list[str]]:
        rows = announcements.active_announcements(session, limit=limit)
        page = FrontPage(
            [AnnouncementPublic.model_validate(row, from_attributes=True) for row in rows],
            current_figures(session),
        )
        return page, _first_shown(rows)

    page, first = store.read(query)
    _note_shown(store, first)
    return page


@dataclass(frozen=True)
class HubState:
    """``/api/v1/status``'s part from the database."""

    mode: Mode
    open_alerts: int
    figures: Figures


def hub_state(store: Store) -> HubState:
    def query(session: Session) -> HubState:
        return HubState(get_mode(session), alerts.open_count(session), current_figures(session))

    return store.read(query)


@dataclass(frozen=True)
class Gauges:
    """The hub's state as ``/metrics`` shows it."""

    outbox: dict[str, int]  # unsent, unconfirmed
    open_alerts: int
    unhandled_messages: int
    nobody_accepted: int
    mesh_queue: dict[str, int]  # rows by status


def gauges(store: Store) -> Gauges:
    def query(session: Session) -> Gauges:
        return Gauges(
            outbox=depth(session),
            open_alerts=alerts.open_count(session),
            unhandled_messages=alerts.unhandled_messages(session),
            nobody_accepted=tasks.nobody_accepted_count(session),
            mesh_queue=mesh_queue.counts(session),
        )

    return store.read(query)


async def storage_problem(store: Store) -> str | None:
    """Writes a health probe through the writer; None when it reached the disk, else why not.

    After a refused write the probe is as large as a real write (``RECOVERY_PROBE_BYTES``), and
    only a probe that large marks the storage as recovered."""
    failures = store.storage_failures
    reserve = "0" * RECOVERY_PROBE_BYTES if store.storage_failing else ""

    def probe(session: Session) -> None:
        put_state(session, "health", {"ok": True, "reserve": reserve})

    try:
        await store.write_async(probe)
    except StorageUnavailable as exc:
        return str(exc)
    if reserve:
        store.storage_recovered(failures)
        if store.storage_failing:  # refused again while the probe ran
            return "the storage refused a write"
    return None
