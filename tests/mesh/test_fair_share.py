"""One handset cannot take the hub's air: repeats are answered once, replies have shares.

The end-to-end tests run the real meshtastic library against the simulator with a small
budget, so that what would take an hour of air takes seconds.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlmodel import Session, col, func, select

from hub.config import Settings, load_settings
from hub.domain.airtime import (
    AirtimeBudget,
    Priority,
    ReplyShares,
    Verdict,
    preset_by_name,
    text_packet_airtime,
)
from hub.domain.radio_events import TextReceived, node_num
from hub.mesh.sender import MeshSender, ack_timeout_for
from hub.mesh.sim import Simulator
from hub.mesh.timings import LinkTimings
from hub.models import MeshMessage, MeshOutbound, Volunteer
from hub.runtime import Hub
from hub.services import mesh_inbound, mesh_queue

from .hubmesh import FAST, MeshHub, wait_until

# Patient ACKs: on a loaded test machine a late ACK would mean a retry, which muddles the count.
PATIENT = replace(FAST, ack_timeout=20.0)

pytestmark = pytest.mark.timeout(90)

NODE = "!1234abcd"
_packet_ids = itertools.count(1)


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    return load_settings(
        data_dir=tmp_path / "data",
        rate_limit=0,
        secret_key="test-secret-key-0123456789-abcdefghijklmnop",
        **overrides,
    )


def _receive(hub: Hub, text: str, node: str = NODE) -> mesh_inbound.Handled:
    event = TextReceived(
        from_num=node_num(node),
        node_id=node,
        packet_id=next(_packet_ids),
        text=text,
        channel=0,
        direct=True,
        pki=False,
        rx_snr=None,
    )
    return hub.db.writer.run_sync(lambda s: mesh_inbound.handle_text(s, hub.ctx, event, allow_unknown=False))


def _replies(hub: Hub, node: str = NODE) -> list[MeshOutbound]:
    with hub.db.read() as session:
        rows = session.exec(
            select(MeshOutbound).where(MeshOutbound.dest == node).order_by(col(MeshOutbound.pk))
        ).all()
        return list(rows)


@pytest.fixture
def service_hub(tmp_path: Path) -> Iterator[Hub]:
    hub = Hub.from_settings(_settings(tmp_path, mesh_repeat_seconds=300))
    hub.start()
    hub.db.writer.run_sync(lambda s: s.add(Volunteer(name="Vera", node_id=NODE)))
    yield hub
    hub.stop()


def test_a_repeated_question_is_answered_once(service_hub: Hub) -> None:
    hub = service_hub
    kinds = [_receive(hub, "STATUS").kind for _ in range(30)]
    assert kinds == ["command"] + ["repeat"] * 29
    assert [_receive(hub, text).kind for text in ("?", "hulp", "HULP!")] == ["command", "repeat", "repeat"]
    rows = _replies(hub)
    assert [r.question for r in rows] == ["STATUS", "HULP"]
    with hub.db.read() as session:  # every text is still stored for the coordinators
        assert session.exec(select(func.count()).select_from(MeshMessage)).one() == 33


def test_commands_that_change_something_are_always_answered(service_hub: Hub) -> None:
    hub = service_hub
    for _ in range(3):
        assert _receive(hub, "OK").reply is not None
        assert _receive(hub, "CHECKIN Kerkstraat 5 OK").reply is not None
    assert len(_replies(hub)) == 6


def test_a_question_whose_answer_failed_is_answered_again(service_hub: Hub) -> None:
    hub = service_hub
    _receive(hub, "TAKEN")
    (first,) = _replies(hub)
    assert _receive(hub, "TAKEN").kind == "repeat"
    hub.db.writer.run_sync(lambda s: mesh_queue.mark_failed(s, first.pk or 0, "MAX_RETRANSMIT"))
    assert _receive(hub, "TAKEN").kind == "command"
    assert len(_replies(hub)) == 2


def test_repeats_answered_every_time_when_the_interval_is_zero(tmp_path: Path) -> None:
    hub = Hub.from_settings(_settings(tmp_path, mesh_repeat_seconds=0))
    hub.start()
    try:
        hub.db.writer.run_sync(lambda s: s.add(Volunteer(name="Vera", node_id=NODE)))
        for _ in range(3):
            _receive(hub, "STATUS")
        assert len(_replies(hub)) == 3
    finally:
        hub.stop()


# -- end to end: the real library, the simulator, a small budget --------------------------


def _flood(mesh: MeshHub, handset: int, text: str, count: int) -> None:
    node = mesh.handset(handset)
    for _ in range(count):
        mesh.sim.send_text(node, text)

    def heard() -> int:
        number = node_num(node)
        return int(
            mesh.read(
                lambda s: s.exec(
                    select(func.count()).select_from(MeshMessage).where(MeshMessage.from_node == number)
                ).one()
            )
        )

    wait_until(lambda: heard() >= count, 30, f"{count} texts from the flooding handset")


def _settle(mesh: MeshHub, quiet: float = 1.0, timeout: float = 30.0) -> None:
    """Wait until the sender has sent all it will: something, then nothing for ``quiet`` seconds."""
    deadline = time.monotonic() + timeout
    last, since = mesh.link.tx.packets, time.monotonic()
    while last == 0 or time.monotonic() - since < quiet:
        assert time.monotonic() < deadline, "the sender did not settle"
        time.sleep(0.05)
        if mesh.link.tx.packets != last:
            last, since = mesh.link.tx.packets, time.monotonic()


def _sent_to(mesh: MeshHub, node: str, priority: Priority) -> list[MeshOutbound]:
    return [r for r in mesh.outbound() if r.dest == node and r.priority == priority and r.attempts > 0]


@pytest.fixture
def radio() -> Iterator[Simulator]:
    simulator = Simulator(handsets=3, preset="MEDIUM_FAST", seed=11)
    try:
        yield simulator
    finally:
        simulator.stop()


def test_a_status_flood_gets_one_answer_and_the_task_goes_at_once(tmp_path: Path, radio: Simulator) -> None:
    """Without the repeat rule 100 answers take the whole (small) budget and the task waits."""
    port = radio.start_tcp("127.0.0.1", 0)
    settings = _settings(tmp_path, mesh_repeat_seconds=300)
    mesh = MeshHub(settings, radio, f"tcp://127.0.0.1:{port}", timings=PATIENT, budget_seconds=10.0).start()
    try:
        flooder, other = mesh.handset(0), mesh.handset(1)
        _flood(mesh, 0, "STATUS", 100)
        _settle(mesh)
        mesh.create_task(31, volunteer=1, address="Kerkstraat 5")
        radio.wait_for_text(other, lambda t: t.text.startswith("T31"), timeout=5)
        mesh.wait_task(31, "sent", timeout=10)
        (answer,) = {t.text for t in radio.received(flooder)}  # (a retry may repeat the one answer)
        assert answer.startswith("Status")
        assert len([r for r in mesh.outbound() if r.dest == flooder]) == 1
    finally:
        mesh.stop()


def test_each_handset_gets_a_fair_share_and_tasks_keep_theirs(tmp_path: Path, radio: Simulator) -> None:
    """Every STATUS answered (no repeat rule): the flooder gets its share, no more."""
    port = radio.start_tcp("127.0.0.1", 0)
    settings = _settings(tmp_path, mesh_repeat_seconds=0)
    shares = ReplyShares(replies=0.5, handset=0.1)
    mesh = MeshHub(
        settings, radio, f"tcp://127.0.0.1:{port}", timings=PATIENT, budget_seconds=10.0, shares=shares
    ).start()
    try:
        flooder, other = mesh.handset(0), mesh.handset(1)
        _flood(mesh, 0, "STATUS", 80)
        _settle(mesh)
        # another handset's question is still answered, and a task still goes at once
        mesh.ask(1, "TAKEN", lambda text: text == "Geen open taken.", timeout=5)
        mesh.create_task(32, volunteer=1, address="Dorpsstraat 3")
        radio.wait_for_text(other, lambda t: t.text.startswith("T32"), timeout=5)
        mesh.wait_task(32, "sent", timeout=10)

        answered = _sent_to(mesh, flooder, Priority.REPLY)
        reply_air = text_packet_airtime("MEDIUM_FAST", answered[0].text)
        assert 1 <= len(answered) <= int(1.0 / reply_air)  # a tenth of 10 s
        assert sum(r.airtime for r in answered) <= 1.0
        assert len(radio.received(flooder)) == sum(r.attempts for r in answered)
        waiting = [r for r in mesh.outbound() if r.dest == flooder and r.attempts == 0]
        assert len(waiting) == 80 - len(answered)  # they wait for the share, they are not lost
        assert mesh.link.status()["airtime"]["used_s"] < 10.0
    finally:
        mesh.stop()


def test_the_shares_survive_a_restart(service_hub: Hub) -> None:
    """A power cut must not hand a flooding handset a fresh share: the queue remembers."""
    hub = service_hub
    other = "!00000bbb"

    def sent_before(session: Session) -> None:
        for dest, priority, airtime in ((NODE, Priority.REPLY, 9.8), (other, Priority.TASK, 30.0)):
            (row,) = mesh_queue.enqueue_text(session, hub.ctx, dest, "antwoord", priority)
            mesh_queue.mark_sent(session, row.pk or 0, packet_id=1, airtime=airtime)

    hub.db.writer.run_sync(sent_before)
    sender = MeshSender(
        hub.store,
        preset="MEDIUM_FAST",
        budget=AirtimeBudget(budget_seconds=100.0, shares=ReplyShares(replies=0.5, handset=0.1)),
        timings=LinkTimings(),
        stop=threading.Event(),
        is_connected=lambda: False,
    )
    assert sender.restore_budget() == pytest.approx(39.8)
    now = time.monotonic()
    assert sender.budget.handsets_over(now, margin=0.3) == {NODE}
    assert sender.budget.verdict(Priority.REPLY, 0.3, now, NODE) is Verdict.HANDSET
    assert sender.budget.verdict(Priority.REPLY, 0.3, now, other) is Verdict.SEND


def test_the_ack_deadline_follows_the_radio_preset(service_hub: Hub) -> None:
    sender = MeshSender(
        service_hub.store,
        preset="MEDIUM_FAST",
        budget=AirtimeBudget(),
        timings=LinkTimings(),
        stop=threading.Event(),
        is_connected=lambda: False,
    )
    assert sender.ack_timeout == pytest.approx(ack_timeout_for("MEDIUM_FAST"))
    sender.use_preset(preset_by_name("LONG_FAST"))
    assert sender.ack_timeout == pytest.approx(60.0)
