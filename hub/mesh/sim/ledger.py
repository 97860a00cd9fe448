"""``AirLedger``: every packet the simulated mesh puts on the air, with its real size.

The bytes are the PHY payload a real radio would send: the 16-byte mesh header plus the
encoded ``Data`` protobuf (text, reaction fields, routing payload), so a reaction counts
its ``reply_id`` and ``emoji`` fields and an ACK its ``Routing`` message. Airtime is the
Semtech formula at the radio's preset (``hub.domain.airtime.time_on_air``).

    kind            who sends it
    hub             the radio, for its API client (the hub): one transmission
    hub_retry       the radio's own retransmissions of a direct message that never arrived
                    (the firmware tries 3 times before NAK MAX_RETRANSMIT)
    ack             a handset acknowledging one of the hub's direct messages
    handset         a handset's text (or reaction) to the radio
    radio_ack       the radio acknowledging a handset's direct message (firmware level,
                    whatever its client does), or another radio's on the region channel
    heard           another radio's transmission on the region channel, heard by this one
                    (``region.py``; counts towards channel utilisation, not the radio's own)
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Literal

from hub.domain.airtime import EU_868_PRESETS, time_on_air

MESH_HEADER_BYTES = 16
FIRMWARE_TRANSMISSIONS = 3  # a direct message with want_ack: the first try and two retries

AirKind = Literal["hub", "hub_retry", "ack", "handset", "radio_ack", "heard"]


@dataclass(frozen=True)
class OnAir:
    kind: AirKind
    phy_bytes: int
    airtime: float  # seconds
    at: float  # time.monotonic()


class AirLedger:
    """Thread-safe list of transmissions; ``mark()`` and ``since(mark)`` cut out a stretch."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[OnAir] = []

    def add(self, kind: AirKind, data_bytes: int, preset: str) -> None:
        modem = EU_868_PRESETS.get(preset)
        phy = MESH_HEADER_BYTES + data_bytes
        airtime = time_on_air(modem, phy) if modem is not None else 0.0
        with self._lock:
            self._entries.append(OnAir(kind, phy, airtime, time.monotonic()))

    def mark(self) -> int:
        with self._lock:
            return len(self._entries)

    def since(self, mark: int = 0) -> list[OnAir]:
        with self._lock:
            return self._entries[mark:]

    def airtime_within(self, seconds: float, kinds: frozenset[AirKind] | None = None) -> float:
        """Seconds on air in the last ``seconds`` (of ``kinds``; None: all)."""
        since = time.monotonic() - seconds
        with self._lock:
            return sum(
                e.airtime for e in self._entries if e.at >= since and (kinds is None or e.kind in kinds)
            )
