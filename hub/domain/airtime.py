"""LoRa time on air and the hub's airtime budget (pure: no clock reads, no I/O).

Time on air follows Semtech's formula (SX127x/SX126x datasheets) with Meshtastic's
radio settings: preamble 16 symbols, explicit header, CRC on, low-data-rate
optimisation when a symbol lasts longer than 16 ms.

Presets allowed in EU_868, as defined in the Meshtastic firmware
(``RadioInterface::applyModemConfig``): most use coding rate 4/5; LONG_MODERATE and
LONG_SLOW use 4/8 (which is what gives LONG_MODERATE its 0.34 kbit/s).

The budget is a rolling one-hour window over charged transmissions. The caller passes
``now`` (monotonic seconds) into every call, so the rules are testable without a clock.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from enum import IntEnum

PREAMBLE_SYMBOLS = 16
MESH_HEADER_BYTES = 16
DATA_OVERHEAD_BYTES = 7
ROUTING_ACK_PHY_BYTES = MESH_HEADER_BYTES + 12
WINDOW_SECONDS = 3600.0
EU_868_DUTY_CYCLE = 0.10


@dataclass(frozen=True)
class ModemPreset:
    """LoRa modulation of one Meshtastic modem preset."""

    name: str
    spreading_factor: int
    bandwidth_hz: int
    coding_rate_denominator: int  # 5 means 4/5, 8 means 4/8

    @property
    def symbol_seconds(self) -> float:
        return float(2**self.spreading_factor) / self.bandwidth_hz

    @property
    def low_data_rate_optimisation(self) -> bool:
        return self.symbol_seconds > 0.016


EU_868_PRESETS: dict[str, ModemPreset] = {
    p.name: p
    for p in (
        ModemPreset("SHORT_FAST", 7, 250_000, 5),
        ModemPreset("SHORT_SLOW", 8, 250_000, 5),
        ModemPreset("MEDIUM_FAST", 9, 250_000, 5),
        ModemPreset("MEDIUM_SLOW", 10, 250_000, 5),
        ModemPreset("LONG_FAST", 11, 250_000, 5),
        ModemPreset("LONG_MODERATE", 11, 125_000, 8),
        ModemPreset("LONG_SLOW", 12, 125_000, 8),
    )
}


def preset_by_name(name: str) -> ModemPreset:
    """Return the EU_868 preset called ``name`` (case-insensitive); KeyError if unknown."""
    return EU_868_PRESETS[name.strip().upper()]


def time_on_air(preset: ModemPreset | str, phy_payload_bytes: int) -> float:
    """Seconds one LoRa packet of ``phy_payload_bytes`` occupies the air."""
    if isinstance(preset, str):
        preset = preset_by_name(preset)
    if phy_payload_bytes < 0:
        raise ValueError("payload length must not be negative")
    sf = preset.spreading_factor
    t_sym = preset.symbol_seconds
    de = 1 if preset.low_data_rate_optimisation else 0
    implicit_header = 0
    t_preamble = (PREAMBLE_SYMBOLS + 4.25) * t_sym
    numerator = 8 * phy_payload_bytes - 4 * sf + 28 + 16 - 20 * implicit_header
    payload_symbols = 8 + max(math.ceil(numerator / (4 * (sf - 2 * de))) * preset.coding_rate_denominator, 0)
    return t_preamble + payload_symbols * t_sym


def text_phy_bytes(text: str) -> int:
    """PHY payload of a text packet: mesh header + encoded Data around the UTF-8 text."""
    return MESH_HEADER_BYTES + len(text.encode("utf-8")) + DATA_OVERHEAD_BYTES


def text_packet_airtime(preset: ModemPreset | str, text: str) -> float:
    """Seconds on air for one text message packet."""
    return time_on_air(preset, text_phy_bytes(text))


def ack_airtime(preset: ModemPreset | str) -> float:
    """Seconds on air for one routing ACK."""
    return time_on_air(preset, ROUTING_ACK_PHY_BYTES)


class Priority(IntEnum):
    """Send priority of a packet the hub transmits; lower values go first.

    The one priority scale of the hub (``hub.services.mesh_queue.SendPriority`` is this enum).
    """

    SOS = 0  # a volunteer in danger
    LIFE = 1  # life-threatening needs
    TASK = 2
    REPLY = 3
    ANNOUNCEMENT = 4
    SUMMARY = 5


NEVER_HELD = frozenset({Priority.SOS, Priority.LIFE})


def default_budget_seconds(duty_cycle: float = EU_868_DUTY_CYCLE, share: float = 0.5) -> float:
    """The hub's own share of the region's hourly duty cycle (default 180 s)."""
    return share * duty_cycle * WINDOW_SECONDS


@dataclass
class AirtimeBudget:
    """Rolling one-hour airtime budget.

    SOS and LIFE are never held back; SUMMARY is held once the window is
    ``summary_fraction`` full; everything else is held when it would exceed the budget.
    """

    budget_seconds: float = field(default_factory=default_budget_seconds)
    summary_fraction: float = 0.8
    window_seconds: float = WINDOW_SECONDS
    _charges: deque[tuple[float, float]] = field(default_factory=deque, repr=False)

    def _expire(self, now: float) -> None:
        while self._charges and self._charges[0][0] <= now - self.window_seconds:
            self._charges.popleft()

    def used(self, now: float) -> float:
        """Seconds of airtime charged within the window ending at ``now``."""
        self._expire(now)
        return sum(seconds for _, seconds in self._charges)

    def remaining(self, now: float) -> float:
        return self.budget_seconds - self.used(now)

    def can_send(self, priority: Priority, airtime: float, now: float) -> bool:
        if priority in NEVER_HELD:
            return True
        used = self.used(now)
        if priority is Priority.SUMMARY:
            return used + airtime <= self.summary_fraction * self.budget_seconds
        return used + airtime <= self.budget_seconds

    def charge(self, airtime: float, now: float) -> None:
        if airtime < 0:
            raise ValueError("airtime must not be negative")
        self._expire(now)
        self._charges.append((now, airtime))

    def seconds_until_room(self, airtime: float, now: float, limit: float | None = None) -> float:
        """How long until ``airtime`` fits under ``limit`` (default the budget); 0 if now."""
        cap = self.budget_seconds if limit is None else limit
        if airtime > cap:
            return math.inf
        used = self.used(now)
        if used + airtime <= cap:
            return 0.0
        for at, seconds in self._charges:
            used -= seconds
            if used + airtime <= cap:
                return max(0.0, at + self.window_seconds - now)
        return math.inf  # pragma: no cover - unreachable: used reaches 0
