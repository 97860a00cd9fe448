"""What the hub knows of its own power: the Linux power-supply class (``/sys/class/power_supply``).

A Pi on a UPS HAT or a power bank that reports to the kernel shows a ``Battery`` supply with a
``capacity`` (percent) and a ``Mains``/``USB``/``UPS`` supply with ``online`` (1 or 0). A Pi on a
plain adapter shows neither: then both stay unknown, and the region is told "unknown", never
"on mains".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SYSFS = Path("/sys/class/power_supply")
_LINE_TYPES = {"Mains", "USB", "UPS", "USB_C", "USB_PD"}


@dataclass(frozen=True)
class PowerState:
    battery_percent: int | None = None  # None: no battery the kernel knows of
    on_mains: bool | None = None  # None: no supply reports whether it is online


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return None


def read_power(root: Path = SYSFS) -> PowerState:
    """The hub's power as the kernel reports it; unknown parts stay None (never an error)."""
    batteries: list[int] = []
    online: list[bool] = []
    try:
        supplies = sorted(root.iterdir())
    except OSError:
        return PowerState()
    for supply in supplies:
        kind = _read(supply / "type")
        if kind == "Battery":
            capacity = _read(supply / "capacity")
            if capacity is not None and capacity.isdigit():
                batteries.append(max(0, min(100, int(capacity))))
        elif kind in _LINE_TYPES:
            state = _read(supply / "online")
            if state in ("0", "1"):
                online.append(state == "1")
    return PowerState(
        battery_percent=min(batteries) if batteries else None,
        on_mains=any(online) if online else None,
    )
