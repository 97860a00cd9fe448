"""The hub's own knowledge of its clock since it started (kept in memory, on purpose).

After every start the clock is *not verified* until one of these agrees with it:

- the system's network time (``HUB_CLOCK_SYNC_CHECK``: ``timedatectl`` asks systemd
  whether the kernel clock is synchronised, which chrony reports; a file path such as
  ``/run/systemd/timesync/synchronized`` counts when the file exists; ``off`` never asks);
- the time the radio put on a handset's packet (``rxTime``);
- a coordinator confirming the time the admin page showed them, or entering the right one.

A reference that disagrees by more than the tolerance leaves the clock unverified and is
shown ("a coordinator says the clock is +3 h off"). Also the monotonic-clock helpers for
time in a mode (``hub.domain.clock``) read the boot id and the monotonic clock here.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hub.domain.clock import agrees, offset_words

PROBE_EVERY = 30.0  # seconds between two asks of the system while unverified
BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def boot_id() -> str:
    try:
        return BOOT_ID.read_text().strip()
    except OSError:
        return ""


def timedatectl_synchronized() -> bool:
    try:
        result = subprocess.run(
            ["timedatectl", "show", "-p", "NTPSynchronized", "--value"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return result.returncode == 0 and result.stdout.strip() == "yes"


def system_check(setting: str) -> Callable[[], bool] | None:
    """The probe for ``HUB_CLOCK_SYNC_CHECK`` (``None``: never ask the system)."""
    if setting == "off":
        return None
    if setting == "timedatectl":
        return timedatectl_synchronized
    path = Path(setting)
    return path.exists


@dataclass(frozen=True)
class ClockState:
    verified: bool
    source: str | None = None  # network, radio, coordinator
    by: str | None = None  # the coordinator who confirmed it
    disagreement: str | None = None  # e.g. "+3 h 12 min" (a reference's time minus the hub's)
    disagreement_source: str | None = None


class ClockWatch:
    """Thread-safe: the web, the radio link and the scheduler all report to it."""

    def __init__(
        self,
        setting: str = "off",
        *,
        wall: Callable[[], float] = time.time,
        mono: Callable[[], float] = time.monotonic,
    ) -> None:
        self._probe = system_check(setting)
        self._wall = wall
        self._mono = mono
        self._lock = threading.Lock()
        self._state = ClockState(verified=False)
        self._probed_at: float | None = None

    def state(self) -> ClockState:
        """The current verdict; asks the system (at most every 30 s) while unverified."""
        with self._lock:
            if self._state.verified or self._probe is None:
                return self._state
            now = self._mono()
            if self._probed_at is not None and now - self._probed_at < PROBE_EVERY:
                return self._state
            self._probed_at = now
        synced = self._probe()  # outside the lock: timedatectl may take a moment
        if synced:
            self._set(ClockState(verified=True, source="network"))
        return self.state_now()

    def state_now(self) -> ClockState:
        with self._lock:
            return self._state

    def reference(self, epoch: float, source: str, by: str | None = None) -> bool:
        """A trusted source says it is ``epoch`` now; True when that verified the clock."""
        hub_now = self._wall()
        if agrees(epoch, hub_now):
            with self._lock:
                if not self._state.verified:
                    self._state = ClockState(verified=True, source=source, by=by)
            return True
        with self._lock:
            if not self._state.verified:
                self._state = ClockState(
                    verified=False,
                    disagreement=offset_words(epoch - hub_now),
                    disagreement_source=source,
                    by=by,
                )
        return False

    def _set(self, state: ClockState) -> None:
        with self._lock:
            if not self._state.verified:
                self._state = state
