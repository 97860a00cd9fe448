"""Scheduled jobs, run by APScheduler as the hub link named ``scheduler``.

- escalation of overdue check-ins (every 5 minutes; more often for a wait under an hour): door-knock
  tasks for silent households;
- re-offer of unaccepted tasks (every minute; more often for a short accept window) after
  ``HUB_TASK_ACCEPT_MINUTES``, at most ``HUB_TASK_MAX_OFFERS`` offers, then back to the
  coordinator ("nobody accepted");
- a neighbourhood status summary on the mesh channel (hourly, crisis/drill only, lowest
  priority; a summary still waiting in the queue is replaced, not added to), and the same
  figures upstream as a ``figures.summary`` event;
- the hub's status upstream (every ``HUB_STATUS_MINUTES``): a ``hub.status`` event with its
  name, position, mode, clock, links and figures, for the region's overview;
- a nightly SQLite backup (03:30 local time) with rotation;
- retention (hourly): records past their ``HUB_RETAIN_*_DAYS`` are deleted in small batches,
  each a writer job of its own, with their ``*.deleted`` events.

Announcement expiry needs no job: every read filters on ``expires_at``.
Each job is a plain function of the hub, so tests call them directly. Jobs hand their writes to
the writer like everybody else.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler  # type: ignore[import-untyped]

from hub import logs
from hub.domain.clock import utcnow
from hub.runtime import Hub
from hub.services import backup, retention, scheduled
from hub.services.mesh_traffic import QueuedText
from hub.services.scheduled import TaskMoved

log = logging.getLogger(__name__)


def escalation_job(hub: Hub, hours: float | None = None, mono: float | None = None) -> list[TaskMoved]:
    """``mono``: the monotonic clock's reading to use (tests move it; the wall clock is not used)."""
    limit = hub.settings.escalation_hours if hours is None else hours
    return scheduled.escalate_overdue(hub.store, limit, mono=mono)


def reoffer_job(hub: Hub, minutes: float | None = None, mono: float | None = None) -> list[TaskMoved]:
    """``mono``: the monotonic clock's reading to use (tests move it; the wall clock is not used)."""
    limit = hub.settings.task_accept_minutes if minutes is None else minutes
    return scheduled.reoffer_unaccepted(hub.store, limit, mono=mono, max_offers=hub.settings.task_max_offers)


def summary_job(hub: Hub) -> QueuedText | None:
    return scheduled.hourly_summary(hub.store)


def status_job(hub: Hub) -> dict[str, object]:
    """The ``hub.status`` event: what the region's overview shows of this hub."""
    settings = hub.settings
    facts = scheduled.HubFacts(
        name=settings.name,
        latitude=settings.latitude,
        longitude=settings.longitude,
        clock_trusted=hub.ctx.clock.state().verified,
        links={name: bool(link.status().get("connected")) for name, link in hub.links.items()},
    )
    return scheduled.hub_status(hub.store, facts)


def backup_job(hub: Hub) -> None:
    try:
        backup.make_backup(hub.settings)
    except Exception:
        log.exception("nightly backup failed")


def retention_job(hub: Hub, now: datetime | None = None, batch: int = retention.BATCH) -> dict[str, int]:
    return scheduled.purge_expired(hub.store, hub.settings, now, batch)


def escalation_every(hub: Hub) -> float:
    """Seconds between escalation runs: every 5 minutes, or a twelfth of a shorter wait (drills, tests)."""
    return max(1.0, min(300.0, hub.settings.escalation_hours * 300))


def reoffer_every(hub: Hub) -> float:
    """Seconds between re-offer runs: every minute, or a third of a shorter accept window."""
    return max(1.0, min(60.0, hub.settings.task_accept_minutes * 20))


class Scheduler:
    """The hub link that runs the jobs above on a background thread."""

    name = "scheduler"

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        logs.scheduler_routine_to_debug()
        self._scheduler = BackgroundScheduler(job_defaults={"coalesce": True, "max_instances": 1})
        self._errors = 0
        self._last_run: dict[str, str] = {}

    def _guard(self, name: str, fn: Any) -> Any:
        def run() -> None:
            try:
                fn(self.hub)
                self._last_run[name] = utcnow().isoformat()
            except Exception:
                self._errors += 1
                log.exception("job %s failed", name)

        return run

    def start(self) -> None:
        s = self._scheduler
        s.add_job(
            self._guard("escalation", escalation_job),
            "interval",
            seconds=escalation_every(self.hub),
            id="escalation",
        )
        s.add_job(
            self._guard("reoffer", reoffer_job), "interval", seconds=reoffer_every(self.hub), id="reoffer"
        )
        s.add_job(self._guard("summary", summary_job), "interval", minutes=60, id="summary")
        if self.hub.settings.status_minutes > 0:
            s.add_job(
                self._guard("status", status_job),
                "interval",
                minutes=self.hub.settings.status_minutes,
                id="status",
            )
        s.add_job(self._guard("backup", backup_job), "cron", hour=3, minute=30, id="backup")
        soon = datetime.now().astimezone() + timedelta(minutes=5)  # also when the Pi restarts often
        s.add_job(
            self._guard("retention", retention_job), "interval", hours=1, id="retention", next_run_time=soon
        )
        s.start()

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def status(self) -> dict[str, Any]:
        return {
            "state": "running" if self._scheduler.running else "stopped",
            "connected": self._scheduler.running,
            "errors": self._errors,
            "last_run": dict(self._last_run),
        }
