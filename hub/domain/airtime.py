"""LoRa time on air and the hub's airtime budget (pure: no clock reads, no I/O).

Time on air follows Semtech's formula (SX127x/SX126x datasheets) with Meshtastic's
radio settings: preamble 16 symbols, explicit header, CRC on, low-data-rate
optimisation when a symbol lasts longer than 16 ms.

Presets allowed in EU_868, as defined in the Meshtastic firmware
(``RadioInterface::applyModemConfig``): most use coding rate 4/5; LONG_MODERATE and
LONG_SLOW use 4/8 (which is what gives LONG_MODERATE its 0.34 kbit/s).

The budget is a rolling one-hour window over charged transmissions. The caller passes
``now`` (monotonic seconds) into every call, so the rules are testable without a clock.

Fair shares (``ReplyShares``): replies to handsets together may use only part of the
budget, so tasks and SOS always find air; and the replies to one handset only a smaller
part, so one handset asking again and again cannot take the air of the others.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from enum import Enum, IntEnum
from typing import NamedTuple

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


# The LoRa config's bandwidth field is in kHz; a few values stand for fractional bandwidths.
_SPECIAL_BANDWIDTHS_HZ = {31: 31_250, 62: 62_500, 200: 203_125, 400: 406_250, 800: 812_500, 1600: 1_625_000}


def modem_from_lora(
    *, use_preset: bool, preset_name: str, bandwidth_khz: int, spread_factor: int, coding_rate: int
) -> ModemPreset | None:
    """The modulation a radio's LoRa config describes, or None when the hub cannot tell.

    With ``use_preset`` the named preset (None if it is no EU_868 preset we know); without
    it the radio's own bandwidth, spreading factor and coding rate (``CUSTOM``).
    """
    if use_preset:
        return EU_868_PRESETS.get(preset_name.strip().upper())
    bandwidth_hz = _SPECIAL_BANDWIDTHS_HZ.get(bandwidth_khz, bandwidth_khz * 1000)
    if not (7 <= spread_factor <= 12 and bandwidth_hz > 0 and 5 <= coding_rate <= 8):
        return None
    return ModemPreset("CUSTOM", spread_factor, bandwidth_hz, coding_rate)


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


# A reaction (tapback) carries ``Data.reply_id`` and ``Data.emoji`` besides its text: two
# fixed32 fields with their tags.
REACTION_EXTRA_BYTES = 10


def reaction_packet_airtime(preset: ModemPreset | str, emoji: str) -> float:
    """Seconds on air for one reaction to a packet (``emoji`` on the packet it answers)."""
    return time_on_air(preset, text_phy_bytes(emoji) + REACTION_EXTRA_BYTES)


def packet_airtime(preset: ModemPreset | str, text: str, *, reaction: bool = False) -> float:
    """Seconds on air for one packet the hub sends: a text, or a reaction carrying ``text``."""
    return reaction_packet_airtime(preset, text) if reaction else text_packet_airtime(preset, text)


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


@dataclass(frozen=True)
class ReplyShares:
    """How much of the budget replies to handsets may use (fractions of the budget).

    ``replies``: all replies together; the rest is kept for tasks (SOS and life alerts are
    never held anyway). ``handset``: the replies to any one handset.
    """

    replies: float = 0.5
    handset: float = 0.1

    def __post_init__(self) -> None:
        if not (0 < self.handset <= self.replies <= 1):
            raise ValueError("shares must satisfy 0 < handset <= replies <= 1")


class Verdict(Enum):
    """Whether a packet may go now, and if not, what holds it."""

    SEND = "send"
    BUDGET = "budget"  # over the budget (or a summary over its part): lower priorities wait too
    REPLIES = "replies"  # the replies' share is used up: tasks and announcements may still go
    HANDSET = "handset"  # this handset's share of replies is used up: other handsets may go


class Charge(NamedTuple):
    at: float
    seconds: float
    priority: Priority | None = None
    dest: str | None = None


@dataclass
class AirtimeBudget:
    """Rolling one-hour airtime budget.

    SOS and LIFE are never held back; SUMMARY is held once the window is
    ``summary_fraction`` full; REPLY is held when the replies' or its handset's share
    (``shares``) is used up; everything else is held when it would exceed the budget.
    """

    budget_seconds: float = field(default_factory=default_budget_seconds)
    summary_fraction: float = 0.8
    window_seconds: float = WINDOW_SECONDS
    shares: ReplyShares = field(default_factory=ReplyShares)
    _charges: deque[Charge] = field(default_factory=deque, repr=False)

    def _expire(self, now: float) -> None:
        while self._charges and self._charges[0].at <= now - self.window_seconds:
            self._charges.popleft()

    def used(self, now: float) -> float:
        """Seconds of airtime charged within the window ending at ``now``."""
        self._expire(now)
        return sum(c.seconds for c in self._charges)

    def replies_used(self, now: float, dest: str | None = None) -> float:
        """Seconds of replies within the window (to ``dest`` only, when given)."""
        self._expire(now)
        return sum(
            c.seconds
            for c in self._charges
            if c.priority is Priority.REPLY and (dest is None or c.dest == dest)
        )

    def remaining(self, now: float) -> float:
        return self.budget_seconds - self.used(now)

    def verdict(self, priority: Priority, airtime: float, now: float, dest: str | None = None) -> Verdict:
        """May a packet of ``airtime`` seconds at ``priority`` (to ``dest``) go now?"""
        if priority in NEVER_HELD:
            return Verdict.SEND
        used = self.used(now)
        limit = self.summary_fraction if priority is Priority.SUMMARY else 1.0
        if used + airtime > limit * self.budget_seconds:
            return Verdict.BUDGET
        if priority is Priority.REPLY:
            if self.replies_used(now) + airtime > self.shares.replies * self.budget_seconds:
                return Verdict.REPLIES
            if dest is not None and self.replies_used(now, dest) + airtime > self.handset_limit:
                return Verdict.HANDSET
        return Verdict.SEND

    def can_send(self, priority: Priority, airtime: float, now: float, dest: str | None = None) -> bool:
        return self.verdict(priority, airtime, now, dest) is Verdict.SEND

    @property
    def handset_limit(self) -> float:
        """Seconds of replies one handset may get per window."""
        return self.shares.handset * self.budget_seconds

    def handsets_over(self, now: float, margin: float) -> frozenset[str]:
        """Handsets whose share has no room left for even ``margin`` more seconds of replies."""
        self._expire(now)
        per_dest: dict[str, float] = {}
        for c in self._charges:
            if c.priority is Priority.REPLY and c.dest is not None:
                per_dest[c.dest] = per_dest.get(c.dest, 0.0) + c.seconds
        return frozenset(d for d, seconds in per_dest.items() if seconds + margin > self.handset_limit)

    def charge(
        self, airtime: float, now: float, priority: Priority | None = None, dest: str | None = None
    ) -> None:
        if airtime < 0:
            raise ValueError("airtime must not be negative")
        self._expire(now)
        self._charges.append(Charge(now, airtime, priority, dest))

    def seconds_until_room(self, airtime: float, now: float, limit: float | None = None) -> float:
        """How long until ``airtime`` fits under ``limit`` (default the budget); 0 if now."""
        cap = self.budget_seconds if limit is None else limit
        if airtime > cap:
            return math.inf
        used = self.used(now)
        if used + airtime <= cap:
            return 0.0
        for c in self._charges:
            used -= c.seconds
            if used + airtime <= cap:
                return max(0.0, c.at + self.window_seconds - now)
        return math.inf  # pragma: no cover - unreachable: used reaches 0
