"""The supervisor with a twin radio (the RadioLink protocol): watchdog and backoff."""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator

import pytest

from hub.domain.radio_events import RadioEvent
from hub.errors import LinkError
from hub.mesh.adapter import RadioInfo
from hub.mesh.link import MeshLink
from hub.mesh.timings import LinkTimings
from hub.runtime import Hub

from .hubmesh import wait_until

pytestmark = pytest.mark.timeout(60)


class SilentRadio:
    """Connects, then never hears anything again; counts heartbeats."""

    def __init__(self, refuse: bool = False) -> None:
        self.events: queue.Queue[RadioEvent] = queue.Queue()
        self.refuse = refuse
        self.heartbeats = 0
        self.closed = False
        self._connected_at = 0.0

    def connect(self) -> RadioInfo:
        if self.refuse:
            raise LinkError("refused")
        self._connected_at = time.monotonic()
        return RadioInfo(node_num=1, node_id="!00000001", firmware="2.5.0-twin", nodes=1)

    def close(self) -> None:
        self.closed = True

    def send_text(self, dest: int | None, text: str, want_ack: bool) -> int:
        return 1

    def send_data(self, dest: int | None, payload: bytes, channel: int) -> int:
        return 1

    def heartbeat(self) -> None:
        self.heartbeats += 1

    def last_activity(self) -> float:
        return self._connected_at


@pytest.fixture
def radios() -> list[SilentRadio]:
    return []


@pytest.fixture
def link(hub: Hub, radios: list[SilentRadio]) -> Iterator[MeshLink]:
    def factory() -> SilentRadio:
        radio = SilentRadio(refuse=len(radios) in (1, 2))  # the 2nd and 3rd attempts fail
        radios.append(radio)
        return radio

    timings = LinkTimings(watchdog=0.6, poll=0.02, backoff_initial=0.1, backoff_max=0.2)
    the_link = MeshLink(hub.store, radio_url="tcp://twin:4403", timings=timings, radio_factory=factory)
    the_link.start()
    try:
        yield the_link
    finally:
        the_link.stop()


def test_silent_radio_gets_a_heartbeat_then_a_new_interface(
    link: MeshLink, radios: list[SilentRadio]
) -> None:
    wait_until(lambda: link.connections >= 2, 10, "reconnected")
    first = radios[0]
    assert first.heartbeats == 1  # asked once at half the watchdog time
    assert first.closed
    assert link.failed_connects == 2  # backed off twice, then connected again
    assert link.status()["firmware"] == "2.5.0-twin"
