"""Fixtures: a seeded simulator and the real meshtastic library connected to it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import meshtastic.tcp_interface
import pytest
from pubsub import pub

from hub.mesh.sim import Simulator


class Events:
    """Collects pubsub messages of one interface; listeners are named and kept alive.

    pypubsub holds listeners weakly and fixes a topic's argument spec with its first
    listener, so every listener here is a named ``(packet, interface)`` function.
    """

    def __init__(self) -> None:
        self.iface: Any = None
        self._cond = threading.Condition()
        self.items: list[tuple[str, dict[str, Any]]] = []
        self._listeners: list[tuple[Callable[..., None], str]] = []

    def listen(self, topic: str, name: str) -> None:
        def on_packet(packet: dict[str, Any], interface: Any) -> None:
            if self.iface is None or interface is self.iface:
                with self._cond:
                    self.items.append((name, packet))
                    self._cond.notify_all()

        pub.subscribe(on_packet, topic)
        self._listeners.append((on_packet, topic))

    def listen_lost(self) -> None:
        def on_lost(interface: Any, topic: Any = pub.AUTO_TOPIC) -> None:
            if interface is self.iface:
                with self._cond:
                    self.items.append(("lost", {}))
                    self._cond.notify_all()

        pub.subscribe(on_lost, "meshtastic.connection.lost")
        self._listeners.append((on_lost, "meshtastic.connection.lost"))

    def wait(
        self,
        name: str,
        predicate: Callable[[dict[str, Any]], bool],
        timeout: float = 5.0,
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for kind, packet in self.items:
                    if kind == name and predicate(packet):
                        return packet
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no {name} event matched; got {self.kinds()}")
                self._cond.wait(remaining)

    def all(self, name: str) -> list[dict[str, Any]]:
        with self._cond:
            return [p for kind, p in self.items if kind == name]

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.items]

    def close(self) -> None:
        for listener, topic in self._listeners:
            pub.unsubscribe(listener, topic)


@pytest.fixture
def sim() -> Iterator[Simulator]:
    simulator = Simulator(handsets=4, preset="MEDIUM_FAST", seed=42)
    try:
        yield simulator
    finally:
        simulator.stop()


@pytest.fixture
def port(sim: Simulator) -> int:
    return sim.start_tcp("127.0.0.1", 0)


@pytest.fixture
def events() -> Iterator[Events]:
    collector = Events()
    collector.listen("meshtastic.receive.routing", "routing")
    collector.listen("meshtastic.receive.text", "text")
    collector.listen_lost()
    try:
        yield collector
    finally:
        collector.close()


@pytest.fixture
def iface(sim: Simulator, port: int, events: Events) -> Iterator[Any]:
    interface = meshtastic.tcp_interface.TCPInterface(hostname="127.0.0.1", portNumber=port, timeout=10)
    events.iface = interface
    try:
        yield interface
    finally:
        interface.close()
