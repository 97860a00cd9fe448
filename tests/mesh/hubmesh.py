"""A hub with its MeshLink connected to a Simulator through the real meshtastic library."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlmodel import Session, col, select

from hub.config import Settings
from hub.mesh.link import MeshLink
from hub.mesh.sim import Simulator
from hub.mesh.timings import LinkTimings
from hub.models import MeshMessage, MeshOutbound, OutboxEvent, Task, Volunteer
from hub.runtime import Hub
from hub.services import tasks
from hub.services.mesh_queue import BROADCAST

T = TypeVar("T")

FAST = LinkTimings(
    ack_timeout=3.0,
    max_attempts=3,
    retry_delay=0.2,
    backoff_initial=0.5,
    backoff_max=2.0,
    watchdog=60.0,
    poll=0.05,
    connect_timeout=10,
)


def wait_until(predicate: Callable[[], T], timeout: float = 10.0, what: str = "condition") -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not reached within {timeout} s")
        time.sleep(0.05)


class MeshHub:
    """The hub, its link and the simulator, with the helpers tests share."""

    def __init__(
        self,
        settings: Settings,
        sim: Simulator,
        radio_url: str,
        *,
        volunteers: int = 2,
        timings: LinkTimings = FAST,
        preset: str | None = None,
        **link_kwargs: Any,
    ) -> None:
        self.sim = sim
        self.hub = Hub.from_settings(settings)
        self.link = MeshLink(
            self.hub.store,
            radio_url=radio_url,
            preset=preset or sim.preset,
            timings=timings,
            **link_kwargs,
        )
        self.hub.add_link(self.link)
        self.hub.db.start()
        self.volunteer_ids = self.run(lambda s: _register(s, sim, volunteers))

    def start(self) -> MeshHub:
        self.hub.start()
        wait_until(lambda: self.link.status()["connected"], 15, "link connected")
        return self

    def stop(self) -> None:
        self.hub.stop()

    def run(self, job: Callable[[Session], T]) -> T:
        return self.hub.db.writer.run_sync(job)

    def read(self, job: Callable[[Session], T]) -> T:
        with self.hub.db.read() as session:
            return job(session)

    def handset(self, index: int) -> str:
        return self.sim.handsets[index].node_id

    def create_task(
        self,
        number: int,
        volunteer: int = 0,
        address: str = "Kerkstraat 5",
        note: str = "",
        *,
        send_note: bool = False,
    ) -> str:
        volunteer_id = self.volunteer_ids[volunteer]

        def job(session: Session) -> str:
            task = Task(
                number=number,
                kind="door_knock",
                address=address,
                note=note or None,
                note_on_air=send_note and bool(note),
                volunteer_id=volunteer_id,
            )
            session.add(task)
            session.flush()
            tasks.assign(session, self.hub.ctx, task.id, volunteer_id, actor="test", audited=False)
            return task.id

        return self.run(job)

    def task(self, number: int) -> Task:
        found = self.read(lambda s: s.exec(select(Task).where(Task.number == number)).one())
        assert isinstance(found, Task)
        return found

    def wait_task(self, number: int, status: str, timeout: float = 10.0) -> Task:
        wait_until(lambda: self.task(number).status == status, timeout, f"task {number} {status}")
        return self.task(number)

    def events(self, event_type: str) -> list[OutboxEvent]:
        return list(
            self.read(
                lambda s: s.exec(
                    select(OutboxEvent).where(OutboxEvent.type == event_type).order_by(col(OutboxEvent.seq))
                ).all()
            )
        )

    def outbound(self) -> list[MeshOutbound]:
        return list(self.read(lambda s: s.exec(select(MeshOutbound).order_by(col(MeshOutbound.pk))).all()))

    def ask(self, index: int, text: str, expect: Callable[[str], bool], timeout: float = 10.0) -> str:
        """A handset sends ``text``; returns the first new reply matching ``expect``."""
        node = self.handset(index)
        before = len(self.sim.received(node))
        self.sim.send_text(node, text)

        def reply() -> str | None:
            for got in self.sim.received(node)[before:]:
                if expect(got.text):
                    return got.text
            return None

        return wait_until(reply, timeout, f"reply to {text!r}")

    def step(self, index: int, text: str, *, want_ack: bool = True, timeout: float = 10.0) -> Step:
        """A handset sends ``text`` as the stock apps send a direct message (``want_ack``);
        returns once the hub applied it, with what the hub queued for that handset."""
        node = self.handset(index)
        last = max((r.pk or 0 for r in self.outbound()), default=0)
        packet_id = self.sim.send_text(node, text, want_ack=want_ack)

        def applied() -> bool:
            found = self.read(
                lambda s: s.exec(select(MeshMessage.pk).where(MeshMessage.packet_id == packet_id)).first()
            )
            return found is not None

        wait_until(applied, timeout, f"{text!r} applied")
        queued = [r for r in self.outbound() if (r.pk or 0) > last and r.dest in (node, BROADCAST)]
        return Step(packet_id, queued)

    def reaction(self, index: int, packet_id: int, timeout: float = 10.0) -> str:
        """The reaction (tapback) the handset got on its packet ``packet_id``: its emoji."""
        got = self.sim.wait_for_text(
            self.handset(index), lambda t: t.emoji and t.reply_id == packet_id, timeout=timeout
        )
        return got.text

    def delivered(self, index: int, packet_id: int, timeout: float = 5.0) -> bool:
        """The handset shows its packet delivered: the hub's radio acknowledged it."""
        node = self.handset(index)
        return bool(wait_until(lambda: packet_id in self.sim.acknowledged(node), timeout, "radio ACK"))


@dataclass(frozen=True)
class Step:
    """A handset's text and what the hub queued for that handset in answer (texts, reactions)."""

    packet_id: int
    queued: list[MeshOutbound]

    @property
    def texts(self) -> list[str]:
        return [r.text for r in self.queued if r.reply_id is None]


def _register(session: Session, sim: Simulator, count: int) -> list[str]:
    ids = []
    for handset in sim.handsets[:count]:
        volunteer = Volunteer(name=handset.long_name, node_id=handset.node_id)
        session.add(volunteer)
        ids.append(volunteer.id)
    return ids
