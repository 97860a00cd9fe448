"""The hub's running clock, on the same monotonic basis as the time in a mode.

Waits that must not move when the wall clock jumps — a task waiting for its ``JA`` — are
measured here: seconds the hub has been running, counted on the monotonic clock and saved
(``hub.domain.clock.ModeClock``), so that a clock set right by network time after a power
cut moves nothing, and a reboot goes on from the last saved figure plus the time since boot.
Unlike the time in a mode it never starts again, so a wait begun in one mode ends in the next.

A task's wait starts when its handset acknowledged the dispatch (``started``); the re-offer job
asks how long it has waited (``waited``) and forgets it once the task has moved (``forget``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from sqlmodel import Session

from hub.clock import boot_id
from hub.domain.clock import ModeClock, carried
from hub.services.state import get_state, put_state

RUN_CLOCK = "run_clock"
TASK_WAITS = "task_waits"


def running_seconds(session: Session, mono: float | None = None) -> float:
    """Seconds on the hub's running clock now; the figure is saved so that it survives a reboot.

    A reading behind the saved one in the same boot (a caller with an older reading) moves nothing.
    """
    now_mono = time.monotonic() if mono is None else mono
    boot = boot_id()
    saved = ModeClock.from_state(get_state(session, RUN_CLOCK))
    if saved is None:
        current = ModeClock(boot, now_mono, 0.0)
    elif saved.boot_id == boot and now_mono <= saved.mono:
        return saved.elapsed
    else:
        current = carried(saved, boot, now_mono)
    put_state(session, RUN_CLOCK, current.to_state())
    return current.elapsed


def started(session: Session, task_id: str, mono: float | None = None) -> None:
    """The wait of ``task_id`` starts now (its dispatch reached the handset)."""
    waits = get_state(session, TASK_WAITS)
    waits[task_id] = running_seconds(session, mono)
    put_state(session, TASK_WAITS, waits)


def waited(session: Session, task_id: str, mono: float | None = None) -> float:
    """Seconds ``task_id`` has waited; a wait nobody started (an older hub) starts now."""
    now = running_seconds(session, mono)
    waits = get_state(session, TASK_WAITS)
    since = waits.get(task_id)
    if not isinstance(since, int | float):
        waits[task_id] = now
        put_state(session, TASK_WAITS, waits)
        return 0.0
    return max(now - float(since), 0.0)


def forget(session: Session, task_ids: Iterable[str]) -> None:
    """These tasks wait no more."""
    waits = get_state(session, TASK_WAITS)
    gone = [task_id for task_id in task_ids if task_id in waits]
    if gone:
        put_state(session, TASK_WAITS, {k: v for k, v in waits.items() if k not in gone})


def keep_only(session: Session, task_ids: Iterable[str]) -> None:
    """Forget the waits of every task not in ``task_ids`` (those that still wait)."""
    waits = get_state(session, TASK_WAITS)
    keep = set(task_ids)
    forget(session, [task_id for task_id in waits if task_id not in keep])
