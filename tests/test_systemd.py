"""Under systemd: READY=1 once serving, WATCHDOG=1 while the database still commits."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import free_port


def test_hub_tells_systemd_it_is_ready_and_feeds_the_watchdog(tmp_path: Path) -> None:
    address = str(tmp_path / "notify.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(address)
    listener.settimeout(30)
    env = {
        **os.environ,
        "HUB_DATA_DIR": str(tmp_path / "data"),
        "NOTIFY_SOCKET": address,
        "WATCHDOG_USEC": "1000000",
    }
    hub = subprocess.Popen(
        [sys.executable, "-m", "hub", "serve", "--host", "127.0.0.1", "--port", str(free_port())],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    messages: list[str] = []
    try:
        deadline = time.monotonic() + 30
        while messages.count("WATCHDOG=1") < 2 and time.monotonic() < deadline:
            messages.append(listener.recv(256).decode())
        assert messages[0] == "READY=1"
        assert messages.count("WATCHDOG=1") >= 2
        hub.terminate()
        assert listener.recv(256).decode() in ("STOPPING=1", "WATCHDOG=1")
    finally:
        hub.kill()
        hub.wait()
        listener.close()
