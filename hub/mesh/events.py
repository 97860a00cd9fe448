"""Moved to :mod:`hub.domain.radio_events`; this name stays for code written against it."""

from hub.domain.radio_events import (
    BROADCAST_NUM,
    AckReceived,
    ConnectionLost,
    NakReceived,
    NodeUpdated,
    RadioEvent,
    TextReceived,
    node_id,
    node_num,
)

__all__ = [
    "BROADCAST_NUM",
    "AckReceived",
    "ConnectionLost",
    "NakReceived",
    "NodeUpdated",
    "RadioEvent",
    "TextReceived",
    "node_id",
    "node_num",
]
