"""The scheduler's routine lines ("Running job", "executed successfully") are debug lines:
the journal at INFO is not filled with them every few seconds; errors and start-up stay."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED  # type: ignore[import-untyped]
from apscheduler.schedulers.background import BackgroundScheduler  # type: ignore[import-untyped]

from hub.jobs import Scheduler
from hub.runtime import Hub


def run_one_job(fail: bool = False) -> None:
    """A real APScheduler runs one job now, as the hub's scheduler does every few seconds."""
    finished = threading.Event()

    def job() -> None:
        if fail:
            raise RuntimeError("job broke")

    scheduler = BackgroundScheduler()
    scheduler.add_listener(lambda _event: finished.set(), EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    scheduler.add_job(job, "interval", hours=1, next_run_time=datetime.now(UTC))
    scheduler.start()
    try:
        assert finished.wait(10)
    finally:
        scheduler.shutdown(wait=True)


ROUTINE = ("Running job", "executed successfully", "Adding job tentatively", "Added job")


def lines(caplog: pytest.LogCaptureFixture, level: str) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.name.startswith("apscheduler") and r.levelname == level
    ]


def test_routine_lines_are_debug_lines(hub: Hub, caplog: pytest.LogCaptureFixture) -> None:
    Scheduler(hub)  # the hub's scheduler link installs the filter
    caplog.set_level(logging.INFO)
    run_one_job()
    info = lines(caplog, "INFO")
    assert not [line for line in info if any(word in line for word in ROUTINE)], info
    assert "Scheduler started" in info

    caplog.clear()
    caplog.set_level(logging.DEBUG)
    run_one_job()
    debug = lines(caplog, "DEBUG")
    for word in ("Running job", "executed successfully", "Added job"):
        assert any(word in line for line in debug), (word, debug)


def test_a_failing_job_is_still_an_error(hub: Hub, caplog: pytest.LogCaptureFixture) -> None:
    Scheduler(hub)
    caplog.set_level(logging.INFO)
    run_one_job(fail=True)
    assert any("raised an exception" in line for line in lines(caplog, "ERROR"))
