"""What the radio tells the hub, as typed events (no library type crosses this line).

The mesh adapter makes them from the radio library's packets; the services read them. They live in
the domain so that the services depend on no part of the mesh link.
"""

from __future__ import annotations

from dataclasses import dataclass

BROADCAST_NUM = 0xFFFFFFFF


def node_id(num: int) -> str:
    """``!xxxxxxxx`` form of a node number."""
    return f"!{num & 0xFFFFFFFF:08x}"


def node_num(text: str) -> int:
    """Node number of a ``!xxxxxxxx`` id."""
    return int(text.strip().removeprefix("!"), 16)


@dataclass(frozen=True)
class TextReceived:
    from_num: int
    node_id: str
    packet_id: int
    text: str
    channel: int
    direct: bool
    pki: bool  # the sender's identity is authenticated only when True
    rx_snr: float | None
    rx_time: float | None = None  # epoch seconds the hub's radio stamped on it (None: it has no time)
    # The handset asked for an ACK: on a direct message the hub's radio gave it, and the
    # handset shows the message delivered (``hub.domain.replies``).
    want_ack: bool = False


@dataclass(frozen=True)
class AckReceived:
    request_id: int
    from_num: int  # our own node for an implicit ACK (a neighbour relayed it)


@dataclass(frozen=True)
class NakReceived:
    request_id: int
    reason: str


@dataclass(frozen=True)
class NodeUpdated:
    node_id: str
    battery: int | None
    snr: float | None
    last_heard: float | None  # epoch seconds as the radio reports them


@dataclass(frozen=True)
class ChannelReport:
    """The hub's own radio on the air it hears and uses (its device metrics telemetry)."""

    channel_utilization: float | None  # % of the last minute the channel was busy (every node)
    air_util_tx: float | None  # % of the last hour the radio itself transmitted
    at: float  # epoch seconds


@dataclass(frozen=True)
class ConnectionLost:
    reason: str = ""


@dataclass(frozen=True)
class DataReceived:
    """A binary packet (``PRIVATE_APP``): on the region channel, a frame of
    ``hub.domain.region_radio``. Its content is untrusted until the frame's tag checks out."""

    from_num: int
    packet_id: int
    channel: int
    payload: bytes


RadioEvent = (
    TextReceived | AckReceived | NakReceived | NodeUpdated | ChannelReport | ConnectionLost | DataReceived
)
