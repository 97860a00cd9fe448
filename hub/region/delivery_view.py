"""Reading where region messages stand per hub, for the region's pages and ``hub region``.

    states(store_or_url, message_id)        -> list[HubDelivery]        (one per hub, by hub)
    recent(store_or_url, limit=20, hub=None) -> list[MessageDeliveries]  (newest first)

``store_or_url`` is a :class:`~hub.region.store.RegionStore` (kept open) or a database URL (a
store opened and closed for the call). The values are plain frozen dataclasses of
:mod:`hub.region.deliveries`; ``HubDelivery.state`` is the furthest state reached.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from hub.errors import NotFound
from hub.region.deliveries import STATES, HubDelivery, MessageDeliveries, per_hub
from hub.region.store import DeliveryRows, RegionStore

__all__ = ["STATES", "HubDelivery", "MessageDeliveries", "message", "recent", "states"]

T = TypeVar("T")


@contextmanager
def _opened(store_or_url: RegionStore | str) -> Iterator[RegionStore]:
    if isinstance(store_or_url, RegionStore):
        yield store_or_url
        return
    store = RegionStore(store_or_url)
    try:
        yield store
    finally:
        store.dispose()


def _with(store_or_url: RegionStore | str, read: Callable[[RegionStore], T]) -> T:
    with _opened(store_or_url) as store:
        return read(store)


def _fold(rows: DeliveryRows) -> list[MessageDeliveries]:
    return [
        MessageDeliveries(
            m.id,
            m.kind,
            m.title,
            m.key,
            m.everyone,
            m.mesh,
            m.drill,
            m.created_at,
            per_hub(rows.targets.get(m.id, {}), rows.sent, rows.receipts.get(m.id, []), m.broadcast),
        )
        for m in rows.messages
    ]


def message(store_or_url: RegionStore | str, message_id: str) -> MessageDeliveries:
    """One message and its per-hub states; ``NotFound`` when the region sent no such message."""
    found = _with(store_or_url, lambda store: _fold(store.delivery_rows([message_id])))
    if not found:
        raise NotFound(f"the region sent no message {message_id!r}")
    return found[0]


def states(store_or_url: RegionStore | str, message_id: str) -> list[HubDelivery]:
    """Per hub (sorted by hub id), where message ``message_id`` stands; ``NotFound`` if unknown."""
    return message(store_or_url, message_id).hubs


def recent(
    store_or_url: RegionStore | str, limit: int = 20, hub: str | None = None
) -> list[MessageDeliveries]:
    """The last ``limit`` messages (those to ``hub``, when given; then each lists that hub only),
    newest first, each with its per-hub states."""

    def read(store: RegionStore) -> list[MessageDeliveries]:
        ids = store.recent_messages(limit, hub)
        folded = {m.id: m for m in _fold(store.delivery_rows(ids))}
        return [folded[i] for i in ids if i in folded]

    found = _with(store_or_url, read)
    if hub is None:
        return found
    return [
        MessageDeliveries(
            m.id,
            m.kind,
            m.title,
            m.key,
            m.everyone,
            m.mesh,
            m.drill,
            m.created_at,
            [h for h in m.hubs if h.hub == hub] or [HubDelivery(hub, targeted=m.everyone)],
        )
        for m in found
    ]
