"""systemd's notify protocol: READY when serving, WATCHDOG while healthy.

The unit (``deploy/buurtbaken.service.j2``) runs the hub as ``Type=notify`` with ``WatchdogSec``:
systemd restarts a hub that stops answering. The watchdog is fed only while the database
writer still commits, so a hub whose storage hangs is restarted rather than kept half alive.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from typing import Any

from hub.runtime import Hub

log = logging.getLogger(__name__)


def notify(message: str) -> bool:
    """Send ``message`` to systemd; ``False`` when not started by systemd."""
    address = os.environ.get("NOTIFY_SOCKET", "")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.connect(address)
            sock.sendall(message.encode())
    except OSError as exc:
        log.warning("sd_notify failed: %s", exc)
        return False
    return True


def watchdog_interval() -> float | None:
    """Half the watchdog timeout systemd gave us, in seconds, or ``None``."""
    usec = os.environ.get("WATCHDOG_USEC", "")
    pid = os.environ.get("WATCHDOG_PID", "")
    if not usec.isdigit() or (pid and pid != str(os.getpid())):
        return None
    return int(usec) / 2_000_000


class Watchdog:
    """A hub link that feeds systemd's watchdog while the writer still commits."""

    name = "watchdog"

    def __init__(self, hub: Hub, interval: float) -> None:
        self.hub = hub
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.fed = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="hub-watchdog", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)

    def status(self) -> dict[str, Any]:
        return {"state": "on", "connected": True, "interval_s": self.interval, "fed": self.fed}

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.hub.db.writer.run_sync(lambda _session: None, timeout=self.interval)
            except Exception as exc:
                log.error("watchdog not fed: the database writer did not answer: %s", exc)
                continue
            if notify("WATCHDOG=1"):
                self.fed += 1
