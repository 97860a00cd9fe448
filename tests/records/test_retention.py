"""The retention job keeps the privacy page's promise: old records go, young ones stay."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, col, select, update

from hub.config import load_settings
from hub.errors import ConfigError
from hub.jobs import retention_job
from hub.models import (
    Alert,
    AuditEntry,
    CheckIn,
    Household,
    MeshOutbound,
    Need,
    Offer,
    OutboxEvent,
    Signal,
    Task,
)
from hub.models.base import utcnow
from hub.runtime import Hub
from hub.schemas import Consent, HouseholdCreate, SignalCreate
from hub.services import coordination, drills, signals, tasks
from tests.records.conftest import checkin, events, exists, need, offer


def _age(hub: Hub, model: Any, record_id: str, days: float, column: str = "created_at") -> None:
    """Set the clock back for one record, as if it was made ``days`` ago."""
    moment = utcnow() - timedelta(days=days)
    hub.db.writer.run_sync(
        lambda s: s.exec(update(model).where(col(model.id) == record_id).values({column: moment}))
    )


def test_records_older_than_their_limit_are_deleted_in_batches_and_younger_ones_stay(hub: Hub) -> None:
    old_checkins = [checkin(hub, f"Kerkstraat {n}", status="ok") for n in range(5)]
    for record_id in old_checkins:
        _age(hub, CheckIn, record_id, 366)
    young_checkin = checkin(hub, "Kerkstraat 99", status="ok")
    _age(hub, CheckIn, young_checkin, 364)
    old_need, young_need, old_offer = need(hub), need(hub, "Molenweg 4"), offer(hub)
    _age(hub, Need, old_need.id, 400)
    _age(hub, Offer, old_offer.id, 366)
    task = hub.db.writer.run_sync(
        lambda s: tasks.create_task(s, hub.ctx, kind="delivery", need_id=old_need.id, actor="coord")
    )
    data = HouseholdCreate(
        address="Dorpsstraat 21", special_attention=["mobility"], consent=Consent(given_by="z")
    )
    home = hub.db.writer.run_sync(lambda s: coordination.register_household(s, hub.ctx, data, actor="coord"))
    _age(hub, Household, home.id, 366, "consent_at")

    counts = retention_job(hub, batch=2)  # 5 old check-ins: three batches

    assert counts == {"checkins": 5, "needs": 1, "offers": 1, "households": 1}
    assert not any(exists(hub, CheckIn, record_id) for record_id in old_checkins)
    assert exists(hub, CheckIn, young_checkin) and exists(hub, Need, young_need.id)
    assert not exists(hub, Need, old_need.id) and not exists(hub, Offer, old_offer.id)
    assert sorted(e["id"] for e in events(hub, "checkin.deleted")) == sorted(old_checkins)
    assert events(hub, "need.deleted") == [{"id": old_need.id}]
    assert events(hub, "offer.deleted") == [{"id": old_offer.id}]
    assert events(hub, "household.deleted") == [{"id": home.id}]
    with hub.db.read() as session:
        kept = session.exec(select(Task).where(Task.id == task.id)).one()
        (entry,) = session.exec(select(AuditEntry).where(AuditEntry.action == "retention.purge")).all()
    assert kept.need_id is None  # the young task stays, without the deleted need
    assert (entry.actor, entry.detail) == ("retention", counts)
    assert retention_job(hub) == {}  # nothing left to do; no audit row for nothing


def test_confirmed_outbox_events_and_the_radio_queue_go_too_but_never_the_newest_event(hub: Hub) -> None:
    for n in range(4):
        checkin(hub, f"Kerkstraat {n}", status="ok")
    old = utcnow() - timedelta(days=366)

    def age_outbox(session: Session) -> None:
        session.exec(update(OutboxEvent).values(at=old, confirmed_at=old))
        session.exec(update(OutboxEvent).where(col(OutboxEvent.seq) == 2).values(confirmed_at=None))
        session.add(MeshOutbound(dest="^all", text="SPOED Molenweg 2", priority=0, created_at=old))
        session.add(Alert(node_id="!a1b2c3d4", text="enkel", raised_at=old))

    hub.db.writer.run_sync(age_outbox)
    assert retention_job(hub) == {"radio_queue": 1, "alerts": 1, "outbox": 2}
    with hub.db.read() as session:
        left = session.exec(select(OutboxEvent.seq).order_by(col(OutboxEvent.seq))).all()
        assert session.exec(select(MeshOutbound)).all() == []
    assert list(left)[:2] == [2, 4]  # unconfirmed 2 and the newest (4) stay; the audit row follows


def test_drill_records_go_sooner(settings: Any) -> None:
    the_hub = Hub.from_settings(settings.model_copy(update={"retain_drill_days": 7}))
    the_hub.start()
    try:
        the_hub.db.writer.run_sync(lambda s: drills.set_mode(s, the_hub.ctx, "drill", actor="coord"))
        drill_old, drill_young = checkin(the_hub, "Oefenstraat 1"), checkin(the_hub, "Oefenstraat 2")
        drill_need = need(the_hub, "Oefenstraat 3")
        the_hub.db.writer.run_sync(lambda s: drills.set_mode(s, the_hub.ctx, "normal", actor="coord"))
        real = checkin(the_hub, "Kerkstraat 1")
        for record_id in (drill_old, real):
            _age(the_hub, CheckIn, record_id, 8)
        _age(the_hub, Need, drill_need.id, 30)
        assert retention_job(the_hub) == {"drill_checkins": 1, "drill_needs": 1}
        assert exists(the_hub, CheckIn, real) and exists(the_hub, CheckIn, drill_young)
        assert not exists(the_hub, CheckIn, drill_old)
        assert events(the_hub, "need.deleted") == [{"id": drill_need.id}]
    finally:
        the_hub.stop()


@pytest.mark.parametrize("value", ["0", "366"])
def test_a_retention_longer_than_the_promise_stops_start_up(value: str, monkeypatch: Any) -> None:
    monkeypatch.setenv("HUB_RETAIN_CHECKINS_DAYS", value)
    with pytest.raises(ConfigError, match="HUB_RETAIN_CHECKINS_DAYS"):
        load_settings()


def test_the_scheduler_runs_retention(hub: Hub) -> None:
    from hub.jobs import Scheduler

    scheduler = Scheduler(hub)
    scheduler.start()
    try:
        job = scheduler._scheduler.get_job("retention")
        assert job is not None and job.trigger.interval == timedelta(hours=1)
    finally:
        scheduler.stop()


def test_signals_go_after_the_needs_period_and_with_a_drill(hub: Hub) -> None:
    def report(text: str) -> str:
        data = SignalCreate(category="not_seen", description=text, address="Molenweg 12")
        return hub.db.writer.run_sync(lambda s: signals.create_signal(s, hub.ctx, data)).id

    old, young = report("oud"), report("jong")
    _age(hub, Signal, old, hub.settings.retain_needs_days + 1)
    assert retention_job(hub) == {"signals": 1}
    assert not exists(hub, Signal, old) and exists(hub, Signal, young)
    hub.db.writer.run_sync(lambda s: drills.set_mode(s, hub.ctx, "drill", actor="coord"))
    practice = report("oefening")
    counts = hub.db.writer.run_sync(lambda s: drills.wipe_drill_data(s, hub.ctx, actor="coord"))
    assert counts["signals"] == 1
    assert not exists(hub, Signal, practice) and exists(hub, Signal, young)
