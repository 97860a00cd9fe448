"""The safety loops through the services and the writer, on a real database."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from hub.clock import ClockWatch, boot_id
from hub.config import Settings
from hub.domain.clock import ModeClock
from hub.domain.radio_events import TextReceived
from hub.errors import Conflict, NotFound
from hub.jobs import escalation_job, reoffer_job
from hub.models import Alert, AuditEntry, MeshOutbound, OutboxEvent, Task, TaskOffer
from hub.models.base import utcnow
from hub.runtime import Hub
from hub.services import alerts, drills, exports, inbound, mesh_inbound, task_flow
from hub.services.drills import MODE_CLOCK
from hub.services.state import put_state
from hub.web.admin.alerts import right_time
from tests.admin.test_task_services import household, new_task, volunteer


def sos(hub: Hub, node: str, text: str = "SOS hulp") -> mesh_inbound.Handled:
    packet = TextReceived(
        int(node[1:], 16), node, int(time.monotonic_ns() % 2**31), text, 0, True, False, None
    )
    return hub.db.writer.run_sync(lambda s: mesh_inbound.handle_text(s, hub.ctx, packet, allow_unknown=False))


def counts(session: Session) -> tuple[int, int, int]:
    return (
        len(session.exec(select(OutboxEvent)).all()),
        len(session.exec(select(AuditEntry)).all()),
        len(session.exec(select(MeshOutbound)).all()),
    )


def test_an_acknowledgement_happens_once_and_bad_ids_change_nothing(hub: Hub) -> None:
    volunteer(hub, "Anna", "!a1b2c3d4")
    assert sos(hub, "!a1b2c3d4").kind == "sos"
    assert sos(hub, "!0000beef", "SOS brand").kind == "sos"  # not a volunteer, held back otherwise
    with hub.db.read() as session:
        waiting = alerts.open_alerts(session)
        before = counts(session)
    assert [(a.volunteer_name, a.unknown_node) for a in waiting] == [("Anna", False), (None, True)]
    with pytest.raises(NotFound):
        hub.db.writer.run_sync(lambda s: alerts.acknowledge(s, hub.ctx, "01NOSUCHALERT", actor="marije"))
    first = waiting[0].id
    hub.db.writer.run_sync(lambda s: alerts.acknowledge(s, hub.ctx, first, actor="marije"))
    with hub.db.read() as session:
        after_one = counts(session)
    with pytest.raises(Conflict):
        hub.db.writer.run_sync(lambda s: alerts.acknowledge(s, hub.ctx, first, actor="kees"))
    with hub.db.read() as session:
        assert counts(session) == after_one  # the second acknowledgement changed nothing
        assert after_one == (before[0] + 1, before[1] + 1, before[2] + 1)
        acked = session.exec(select(Alert).where(Alert.id == first)).one()
        assert acked.acknowledged_by == "marije"
        assert alerts.open_count(session) == 1
        told = session.exec(select(MeshOutbound).order_by(col(MeshOutbound.pk).desc())).first()
        assert told is not None and told.dest == "!a1b2c3d4" and "marije" in told.text


def test_the_export_for_coordinators_holds_alerts_and_offers(hub: Hub) -> None:
    anna = volunteer(hub, "Anna", "!a1b2c3d4")
    sos(hub, "!a1b2c3d4", "SOS enkel")
    new_task(hub, "Kerkstraat 9", volunteer_id=anna.id)
    with hub.db.read() as session:
        records = json.loads(exports.export_json(session, "buurtbaken-1", "full"))["records"]
    assert [a["text"] for a in records["alerts"]] == ["enkel"]
    assert [o["volunteer_name"] for o in records["task_offers"]] == ["Anna"]


def test_only_commands_are_stored_as_handled(hub: Hub) -> None:
    volunteer(hub, "Anna", "!a1b2c3d4")
    sos(hub, "!a1b2c3d4", "brug dicht bij de Molenweg")
    sos(hub, "!a1b2c3d4", "STATUS")
    with hub.db.read() as session:
        assert alerts.unhandled_messages(session) == 1


def test_a_silent_volunteer_is_skipped_and_the_task_comes_back_when_nobody_is_left(hub: Hub) -> None:
    anna = volunteer(hub, "Anna", "!a1b2c3d4")
    bram = volunteer(hub, "Bram", "!b2c3d4e5")
    task = new_task(hub, "Kerkstraat 9", volunteer_id=anna.id)
    later = time.monotonic() + 16 * 60
    hub.db.writer.run_sync(lambda s: task_flow.mark_delivered(s, task.id))
    assert [t.volunteer_id for t in reoffer_job(hub, minutes=15, mono=later)] == [bram.id]
    hub.db.writer.run_sync(lambda s: task_flow.mark_delivered(s, task.id))
    # Bram is silent too; Anna is free but did not answer before: back to the coordinator.
    assert reoffer_job(hub, minutes=15, mono=later + 16 * 60) == []
    with hub.db.read() as session:
        back = session.exec(select(Task)).one()
        offers = session.exec(select(TaskOffer).order_by(col(TaskOffer.pk))).all()
        events = [e.type for e in session.exec(select(OutboxEvent)).all()]
    assert (back.nobody_accepted, back.flagged, back.volunteer_id) == (True, True, bram.id)
    assert [(o.volunteer_name, o.outcome) for o in offers] == [("Anna", "no_answer"), ("Bram", "no_answer")]
    assert "task.nobody_accepted" in events
    assert reoffer_job(hub, minutes=15, mono=later + 2 * 3600) == []  # it stays put


def test_the_offer_limit_is_a_setting(settings: Settings) -> None:
    hub = Hub.from_settings(settings.model_copy(update={"task_max_offers": 2}))
    hub.start()
    try:
        people = [volunteer(hub, name, f"!0000000{n}") for n, name in enumerate("ABCDE", start=1)]
        task = new_task(hub, "Kerkstraat 9", volunteer_id=people[0].id)
        moment = time.monotonic()
        for _ in range(6):
            hub.db.writer.run_sync(lambda s: task_flow.mark_delivered(s, task.id))
            moment += 16 * 60
            reoffer_job(hub, minutes=15, mono=moment)
        with hub.db.read() as session:
            offers = session.exec(select(TaskOffer)).all()
            assert len(offers) == 2
            assert session.exec(select(Task)).one().nobody_accepted is True
    finally:
        hub.stop()


def test_escalation_does_not_jump_with_the_wall_clock(hub: Hub) -> None:
    household(hub, "Dorpsstraat 8")
    hub.db.writer.run_sync(lambda s: drills.set_mode(s, hub.ctx, "crisis", actor="coord"))
    # Network time returns: the wall clock jumps 7 hours ahead of when crisis mode started.
    jumped = {"mode": "crisis", "since": (utcnow() - timedelta(hours=7)).isoformat(), "by": "coord"}
    hub.db.writer.run_sync(lambda s: put_state(s, "mode", jumped))
    assert escalation_job(hub, hours=6) == []  # only minutes passed on the monotonic clock
    assert len(escalation_job(hub, hours=6, mono=time.monotonic() + 6 * 3600 + 60)) == 1


def test_time_in_mode_carries_over_a_reboot(hub: Hub) -> None:
    household(hub, "Dorpsstraat 8")
    hub.db.writer.run_sync(lambda s: drills.set_mode(s, hub.ctx, "crisis", actor="coord"))
    before_cut = ModeClock("another-boot", 99_999.0, elapsed=6 * 3600 - 100).to_state()
    hub.db.writer.run_sync(lambda s: put_state(s, MODE_CLOCK, before_cut))
    assert escalation_job(hub, hours=6, mono=50.0) == []  # 50 s since this boot: not yet
    assert len(escalation_job(hub, hours=6, mono=120.0)) == 1
    assert boot_id()  # Linux names its boot


def test_the_clock_is_verified_by_network_time_the_radio_or_a_coordinator(tmp_path: Path) -> None:
    flag = tmp_path / "synchronized"
    watch = ClockWatch(str(flag))
    assert watch.state().verified is False
    flag.touch()
    assert watch.state().verified is False  # asked at most every 30 s
    assert ClockWatch(str(flag)).state().source == "network"

    radio = ClockWatch("off")
    assert radio.reference(time.time() - 3 * 3600, "radio") is False
    assert radio.state().disagreement == "-3 h"
    assert radio.reference(time.time() + 5, "radio") is True
    assert (radio.state().verified, radio.state().source) == (True, "radio")
    assert radio.reference(time.time() - 3 * 3600, "coordinator") is False
    assert radio.state().verified is True  # once verified since start, it stays so


def test_federated_peers_accept_the_new_event_types() -> None:
    """A peer hub that mirrors this hub must not park its alerts as unknown (dead letters)."""
    for event_type in ("alert.raised", "alert.acknowledged", "task.nobody_accepted"):
        assert inbound.is_known_event(event_type), event_type


def test_theright_time_a_coordinator_types_is_read_on_the_nearest_day() -> None:
    shown = datetime(2026, 11, 30, 23, 50).astimezone()
    assert right_time("00:10", shown) == datetime(2026, 12, 1, 0, 10).astimezone()
    assert right_time("2350", shown) == shown
    assert right_time("14.32", shown) == datetime(2026, 11, 30, 14, 32).astimezone()
    assert right_time("2026-11-29 08:00", shown) == datetime(2026, 11, 29, 8, 0, tzinfo=shown.tzinfo)
    assert right_time("25:99", shown) is None
    assert right_time("straks", shown) is None
