"""Whether the hub's clock can be trusted, and how long the hub has been in its mode.

A Pi has no real-time clock: after a power cut without network time its clock restarts
from the last time it saved, hours or days behind, and jumps when time is synced. So:

- the clock counts as *verified* only once a trusted source agreed with it since start
  (network time, a time the radio put on a handset's packet, a coordinator confirming
  the time shown in their browser); a reference that disagrees leaves it unverified;
- time in a mode (what escalation waits on) is counted on the monotonic clock, which a
  jump of the wall clock does not move. A monotonic clock restarts at boot: across a
  reboot the count goes on from the last figure the hub saved, plus the time since boot
  (at least that much has passed; the time the power was off is not counted).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


def utcnow() -> datetime:
    """Aware UTC now; SQLite stores it as naive UTC, read back through ``as_utc``."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """``value`` as aware UTC (a naive value read back from SQLite is UTC)."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# How far a reference may differ from the hub's clock and still confirm it (seconds).
TOLERANCE_SECONDS = 120.0


def agrees(reference_epoch: float, hub_epoch: float, tolerance: float = TOLERANCE_SECONDS) -> bool:
    """True when a trusted reference time and the hub's clock are within ``tolerance``."""
    return abs(reference_epoch - hub_epoch) <= tolerance


def offset_words(seconds: float) -> str:
    """``+3 h 12 min`` / ``-5 min``: how far the hub's clock is off (reference minus hub)."""
    sign = "-" if seconds < 0 else "+"
    minutes = round(abs(seconds) / 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [f"{days} d"] if days else []
    if hours:
        parts.append(f"{hours} h")
    if minutes or not parts:
        parts.append(f"{minutes} min")
    return sign + " ".join(parts)


@dataclass(frozen=True)
class ModeClock:
    """What the hub saved about its time in the current mode.

    ``elapsed`` seconds had passed in the mode when the monotonic clock of boot ``boot_id``
    read ``mono``.
    """

    boot_id: str
    mono: float
    elapsed: float = 0.0

    def to_state(self) -> dict[str, Any]:
        return {"boot_id": self.boot_id, "mono": self.mono, "elapsed": self.elapsed}

    @classmethod
    def from_state(cls, value: dict[str, Any]) -> ModeClock | None:
        try:
            return cls(str(value["boot_id"]), float(value["mono"]), float(value.get("elapsed", 0.0)))
        except (KeyError, TypeError, ValueError):
            return None


def elapsed_in_mode(saved: ModeClock, boot_id: str, mono_now: float) -> float:
    """Seconds in the mode now, from the saved figure and the monotonic clock (never negative)."""
    if saved.boot_id == boot_id and mono_now >= saved.mono:
        return saved.elapsed + (mono_now - saved.mono)
    return saved.elapsed + max(mono_now, 0.0)  # another boot: at least the time since boot


def carried(saved: ModeClock, boot_id: str, mono_now: float) -> ModeClock:
    """The figure to save now, so that the count survives the next reboot."""
    return ModeClock(boot_id, mono_now, elapsed_in_mode(saved, boot_id, mono_now))
