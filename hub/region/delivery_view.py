"""What the region knows of a sent message's way to each hub: one read for the pages.

Today that is the region's outbox: ``queued`` until a regional broker acknowledged the message
(``region_outbox_sent``), then ``sent``. The per-hub states further on — arrived at the hub,
shown on its portal, sent on its mesh, from the hubs' receipts over MQTT — come from the
delivery side of the region when it records them; this function is where they are read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, bindparam, text

# In the order a message moves through them; a later state implies the earlier ones.
STATES = ("queued", "sent", "arrived", "shown", "on_mesh")


@dataclass(frozen=True)
class Delivery:
    """Where one outbox message stands: its state and the brokers that acknowledged it."""

    message: str
    state: str
    brokers: tuple[str, ...] = ()


def deliveries(engine: Engine, message_ids: Iterable[str]) -> dict[str, Delivery]:
    """Per region outbox message id: what is known of its delivery."""
    ids = sorted(set(message_ids))
    if not ids:
        return {}
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT o.id, s.broker FROM region_outbox AS o"
                " LEFT JOIN region_outbox_sent AS s ON s.message = o.id WHERE o.id IN :ids"
            ).bindparams(bindparam("ids", expanding=True)),
            {"ids": ids},
        ).all()
    brokers: dict[str, list[str]] = {}
    for message, broker in rows:
        found = brokers.setdefault(message, [])
        if broker:
            found.append(broker)
    return {
        message: Delivery(message, "sent" if found else "queued", tuple(sorted(found)))
        for message, found in brokers.items()
    }
