"""Every delay of the radio link (``MeshLink`` and its ``MeshSender``), in one place."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LinkTimings:
    """Every delay of the link, in seconds (tests shrink them)."""

    ack_timeout: float | None = None  # None: ack_timeout_for(preset)
    max_attempts: int = 3
    retry_delay: float = 10.0  # first retry after a NAK or timeout; doubles each time
    backoff_initial: float = 1.0
    backoff_max: float = 60.0
    watchdog: float = 300.0
    poll: float = 0.25
    summary_max_age: float = 900.0  # an unsent summary older than this is dropped
    connect_timeout: int = 30
    region_tick: float = 1.0  # how often the region link looks what is due
