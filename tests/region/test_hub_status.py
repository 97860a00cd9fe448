"""The hub's side of the region's overview: the ``hub.status`` event and its schedule."""

from __future__ import annotations

from sqlmodel import Session, col, select

from hub import jobs
from hub.models import Address, OutboxEvent
from hub.runtime import Hub


def _events(hub: Hub, event_type: str) -> list[dict[str, object]]:
    with hub.db.read() as session:
        rows = session.exec(
            select(OutboxEvent).where(OutboxEvent.type == event_type).order_by(col(OutboxEvent.seq))
        ).all()
        return [dict(row.data) for row in rows]


def test_status_event_carries_counts_only_and_the_register_centre(hub: Hub) -> None:
    def addresses(session: Session) -> None:
        for n, (lat, lon) in enumerate([(52.0, 5.0), (52.2, 5.2)], start=1):
            session.add(
                Address(
                    street="Kerkstraat",
                    number=n,
                    postcode="3511AB",
                    place="Utrecht",
                    address_key=f"kerkstraat {n}",
                    street_key="kerkstraat",
                    lat=lat,
                    lon=lon,
                )
            )

    hub.db.writer.run_sync(addresses)
    data = jobs.status_job(hub)
    assert _events(hub, "hub.status") == [data]
    assert (data["lat"], data["lon"], data["addresses_known"]) == (52.1, 5.1, 2)  # no HUB_LATITUDE
    assert data["mode"] == "normal" and data["clock_trusted"] is False and data["open_alerts"] == 0
    assert set(data["figures"]) >= {"households_ok", "open_needs_by_urgency", "special_attention_not_reached"}  # type: ignore[arg-type]
    assert "Kerkstraat" not in str(data)  # counts, never an address


def test_status_job_runs_only_when_asked(hub: Hub) -> None:
    hub.settings = hub.settings.model_copy(update={"status_minutes": 0})
    scheduler = jobs.Scheduler(hub)
    scheduler.start()
    try:
        assert scheduler._scheduler.get_job("status") is None
    finally:
        scheduler.stop()
    hub.settings = hub.settings.model_copy(update={"status_minutes": 15})
    scheduler = jobs.Scheduler(hub)
    scheduler.start()
    try:
        assert scheduler._scheduler.get_job("status") is not None
    finally:
        scheduler.stop()
