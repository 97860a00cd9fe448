"""The board's records keep the privacy page's promise too: self-checks and offers to volunteer
older than their period go with the retention job (no event upstream: they never went there)."""

from __future__ import annotations

from sqlmodel import select

from hub.jobs import retention_job
from hub.models import OutboxEvent, SelfCheck, VolunteerOffer
from hub.runtime import Hub
from hub.schemas import SelfCheckCreate, VolunteerOfferCreate
from hub.services import board
from tests.records.test_retention import _age


def test_old_self_checks_and_offers_are_deleted_young_ones_stay(hub: Hub) -> None:
    def made(data: SelfCheckCreate) -> str:
        return hub.store.write(lambda s: board.record_self_check(s, data)).id

    old = made(SelfCheckCreate(items=["water"], address="Kerkstraat 5"))
    young = made(SelfCheckCreate(items=["cash"]))
    offer = VolunteerOfferCreate(name="Samira", address="Molenweg 12", contact="06 1234", has_handset=False)
    old_offer = hub.store.write(lambda s: board.record_volunteer_offer(s, offer)).id
    _age(hub, SelfCheck, old, 366)
    _age(hub, SelfCheck, young, 300)
    _age(hub, VolunteerOffer, old_offer, 366)
    before = len(hub.store.read(lambda s: s.exec(select(OutboxEvent)).all()))

    assert retention_job(hub) == {"self_checks": 1, "volunteer_offers": 1}
    with hub.db.read() as session:
        assert [r.id for r in session.exec(select(SelfCheck))] == [young]
        assert session.exec(select(VolunteerOffer)).all() == []
        assert len(session.exec(select(OutboxEvent)).all()) == before
