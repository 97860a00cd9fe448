"""``hub serve`` builds and starts the scheduler a few seconds after the start
(``hub.runtime.LateLink``): not before the first answer, and from then on as it always runs."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from hub import serve
from hub.config import load_settings
from hub.migrate import upgrade
from hub.runtime import LateLink, Link

_START = """
import json, sys
from hub.app import create_app
from hub.config import load_settings
from hub.serve import build_hub
settings = load_settings()
hub = build_hub(settings, defer_scheduler=True)
create_app(settings, hub, defer_admin=True)
hub.start()
state = hub.links["scheduler"].status()["state"]
hub.stop()
loaded = sorted(name for name in sys.modules if name.startswith(("apscheduler", "hub.jobs")))
print(json.dumps({"state": state, "loaded": loaded}))
"""


class Recorded:
    """A link that records what was done to it."""

    name = "recorded"

    def __init__(self) -> None:
        self.calls: list[str] = []

    def start(self) -> None:
        self.calls.append("start")

    def stop(self) -> None:
        self.calls.append("stop")

    def status(self) -> dict[str, Any]:
        return {"state": "running", "connected": True}


def test_the_start_of_hub_serve_loads_no_scheduler(tmp_path: Path) -> None:
    upgrade(f"sqlite:///{tmp_path / 'hub.sqlite3'}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(HUB_DATA_DIR=str(tmp_path), HUB_RADIO="none")
    done = subprocess.run(
        [sys.executable, "-c", _START], env=env, capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(done.stdout.splitlines()[-1]) == {"state": "starting", "loaded": []}


def test_the_scheduler_runs_its_jobs_once_started(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serve, "SCHEDULER_AFTER", 0.2)
    settings = load_settings(data_dir=tmp_path / "data", escalation_hours=1 / 3600)  # every second
    hub = serve.build_hub(settings, defer_scheduler=True)
    hub.start()
    try:
        scheduler = hub.links["scheduler"]
        assert scheduler.status()["state"] == "starting"
        deadline = time.monotonic() + 15
        while "escalation" not in scheduler.status().get("last_run", {}) and time.monotonic() < deadline:
            time.sleep(0.1)
        status = scheduler.status()
        assert status["state"] == "running"
        assert "escalation" in status["last_run"]
        assert status["errors"] == 0
    finally:
        hub.stop()
    assert hub.links["scheduler"].status()["state"] == "stopped"


def test_a_link_stopped_before_its_time_is_never_built() -> None:
    built: list[Link] = []
    late = LateLink("recorded", lambda: built.append(Recorded()) or built[-1], delay=0.1)
    late.start()
    late.stop()
    time.sleep(0.3)
    late.start_now()  # the timer's call, had it not been cancelled

    assert built == []
    assert late.status() == {"state": "stopped", "connected": False}


def test_a_started_link_is_stopped_with_the_hub() -> None:
    link = Recorded()
    late = LateLink("recorded", lambda: link, delay=60)
    late.start()
    late.start_now()
    late.start_now()  # once only

    assert late.status() == {"state": "running", "connected": True}
    late.stop()
    assert link.calls == ["start", "stop"]


def test_a_link_that_cannot_start_says_so(caplog: pytest.LogCaptureFixture) -> None:
    def broken() -> Link:
        raise ImportError("No module named 'apscheduler'")

    late = LateLink("scheduler", broken, delay=60)
    late.start()
    with caplog.at_level(logging.ERROR):
        late.start_now()
    late.stop()

    assert late.status() == {"state": "error", "connected": False, "error": "No module named 'apscheduler'"}
    assert "starting scheduler failed" in caplog.text
