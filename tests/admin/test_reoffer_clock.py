"""The re-offer wait of a task runs on the monotonic clock, like escalation (loops 5 and 9).

After a power cut the Pi's wall clock restarts hours behind and jumps when network time
returns: a task whose handset acknowledged it "seven hours ago" by the wall clock, a minute
ago in fact, must not be handed on.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlmodel import select

from hub.config import Settings
from hub.jobs import escalation_every, reoffer_job
from hub.models import Task
from hub.models.base import utcnow
from hub.runtime import Hub
from hub.services import drills, run_clock, task_flow
from hub.services.drills import MODE_CLOCK
from hub.services.state import get_state, put_state
from tests.admin.test_task_services import new_task, volunteer


def test_a_seven_hour_wall_clock_jump_moves_no_waiting_task_on(hub: Hub) -> None:
    anna = volunteer(hub, "Anna", "!a1b2c3d4")
    bram = volunteer(hub, "Bram", "!b2c3d4e5")
    task = new_task(hub, "Kerkstraat 9", volunteer_id=anna.id)
    start = time.monotonic()
    jumped = utcnow() - timedelta(hours=7)  # the wall clock: acknowledged seven hours ago
    hub.db.writer.run_sync(lambda s: task_flow.mark_delivered(s, task.id, jumped))

    assert reoffer_job(hub, minutes=15) == []
    assert reoffer_job(hub, minutes=15, mono=start + 14 * 60) == []  # 14 minutes of real waiting
    with hub.db.read() as session:
        waiting = session.exec(select(Task)).one()
    assert (waiting.status, waiting.volunteer_id) == ("sent", anna.id)

    moved = reoffer_job(hub, minutes=15, mono=start + 16 * 60)  # 16: now it is handed on
    assert [(t.id, t.volunteer_id) for t in moved] == [(task.id, bram.id)]
    with hub.db.read() as session:
        assert task.id not in get_state(session, run_clock.TASK_WAITS)


def test_the_wait_goes_on_across_a_mode_switch_and_a_reboot(hub: Hub) -> None:
    anna = volunteer(hub, "Anna", "!a1b2c3d4")
    volunteer(hub, "Bram", "!b2c3d4e5")
    task = new_task(hub, "Kerkstraat 9", volunteer_id=anna.id)
    start = time.monotonic()
    hub.db.writer.run_sync(lambda s: task_flow.mark_delivered(s, task.id))
    assert reoffer_job(hub, minutes=15, mono=start + 10 * 60) == []
    # Crisis mode starts (the mode's clock starts at 0); the task's wait does not start again.
    hub.db.writer.run_sync(lambda s: drills.set_mode(s, hub.ctx, "crisis", actor="marije"))
    with hub.db.read() as session:
        assert get_state(session, MODE_CLOCK)
    # A reboot: the monotonic clock restarts near 0; the saved figure carries on.
    saved = hub.db.writer.run_sync(lambda s: run_clock.running_seconds(s, start + 10 * 60))
    hub.db.writer.run_sync(
        lambda s: put_state(
            s, run_clock.RUN_CLOCK, {"boot_id": "an-earlier-boot", "mono": 1e9, "elapsed": saved}
        )
    )
    assert reoffer_job(hub, minutes=15, mono=4 * 60) == []  # 10 + 4 minutes since boot: 14
    assert len(reoffer_job(hub, minutes=15, mono=6 * 60)) == 1  # 10 + 6: 16, handed on


def test_the_jobs_run_often_enough_for_their_waits(settings: Settings) -> None:
    """Every 5 minutes for a 6-hour escalation, every second for a drill-short one."""
    assert escalation_every(Hub.from_settings(settings)) == 300.0
    short = settings.model_copy(update={"escalation_hours": 0.003})
    assert escalation_every(Hub.from_settings(short)) == pytest.approx(1.0)
    assert escalation_every(Hub.from_settings(settings.model_copy(update={"escalation_hours": 0.5}))) == 150.0
