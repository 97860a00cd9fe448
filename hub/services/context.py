from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from hub.clock import ClockWatch
from hub.domain.vocab import ShareLevel

if TYPE_CHECKING:
    from hub.services.store import Store


@dataclass
class HubContext:
    """What services need to know about the hub they run in."""

    hub_id: str
    share: ShareLevel = "aggregate"
    # A handset's repeat of the same question within this many seconds is not answered again.
    mesh_repeat_seconds: float = 300.0
    metrics: dict[str, Any] = field(default_factory=dict)
    # Called after a commit that queued texts for the radio / events for upstream.
    mesh_wakers: list[Callable[[], None]] = field(default_factory=list)
    sync_wakers: list[Callable[[], None]] = field(default_factory=list)
    # Whether the wall clock was verified since start (network time, radio, a coordinator).
    clock: ClockWatch = field(default_factory=ClockWatch)


class Door(Protocol):
    """What a caller hands a use case: something holding the hub's :class:`Store` (``hub.runtime.Hub``
    is one). The caller never opens a session on it: the use case does (see ``hub.services.door``)."""

    @property
    def store(self) -> Store: ...
