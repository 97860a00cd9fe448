"""A hub with something of everything on the admin pages, made through the services.

The demo's neighbourhood in crisis mode, plus: an SOS from an unknown handset, a life-threatening
need for a medical device, a call for help nobody handled, an offer of a car, an announcement,
a task nobody accepted (offered to every handset in turn, the clock moved on), signals in every
status, a message from a volunteer's handset, and a partner organisation (home care) with an
account (``thuiszorg``), a household sharing with it, a task routed to it, a household it reached,
and an offer that enrolled a volunteer without a handset.
"""

from __future__ import annotations

import time

from sqlmodel import select

from hub.demo import seed_if_empty
from hub.domain.radio_events import TextReceived
from hub.jobs import reoffer_job
from hub.models import Household, Offer
from hub.runtime import Hub
from hub.schemas import AnnouncementCreate, CheckInCreate, NeedCreate, OfferCreate, SignalCreate
from hub.services import (
    announcements,
    drills,
    mesh_inbound,
    partners,
    residents,
    signals,
    task_flow,
    tasks,
    volunteers,
)

PARTNER_LOGIN = "thuiszorg"
PARTNER_PASSWORD = "correct horse battery"


def fill(hub: Hub) -> None:
    seed_if_empty(hub)
    write = hub.db.writer.run_sync
    write(lambda s: drills.set_mode(s, hub.ctx, "crisis", actor="test"))
    write(
        lambda s: residents.create_need(
            s,
            hub.ctx,
            NeedCreate(
                address="Molenweg 9", category="medical_device", urgency="life", description="zuurstof"
            ),
        )
    )
    write(
        lambda s: residents.create_need(
            s,
            hub.ctx,
            NeedCreate(address="Kerkstraat 3", category="water", urgency="urgent", description="2 kratten"),
        )
    )
    write(
        lambda s: residents.create_checkin(
            s, hub.ctx, CheckInCreate(address="Dorpsstraat 21", status="help", note="accu bijna leeg")
        )
    )
    car = OfferCreate(category="car", description="Auto, zaterdag")
    write(lambda s: residents.create_offer(s, hub.ctx, car))
    write(
        lambda s: announcements.create_announcement(
            s,
            hub.ctx,
            AnnouncementCreate(title="Stroomstoring", body="Laad uw telefoon op.", priority="info"),
            actor="test",
        )
    )
    packet = TextReceived(0xBEEF, "!0000beef", 4242, "SOS brand in de schuur", 0, True, False, None)
    write(lambda s: mesh_inbound.handle_text(s, hub.ctx, packet, allow_unknown=False))
    unaccepted(hub)
    signals_of_every_kind(hub)
    said = TextReceived(0xFACE, "!0000face", 4343, "brug bij de Molenweg is dicht", 0, True, False, None)
    write(lambda s: mesh_inbound.handle_text(s, hub.ctx, said, allow_unknown=False))  # a handset's own words
    with_partner(hub)


def with_partner(hub: Hub) -> None:
    """A home-care team with an account, two households sharing with it (one with its contact),
    one of them reached by the partner, a task routed to it; an offer enrolled on paper."""
    write = hub.db.writer.run_sync
    partner = write(lambda s: partners.create_partner(s, "Thuiszorg West", "home_care", actor="test"))
    write(lambda s: partners.create_account(s, partner.id, PARTNER_LOGIN, PARTNER_PASSWORD, actor="test"))
    with hub.db.read() as session:
        shown = session.exec(select(Household.id).order_by(Household.pk)).all()[:2]
        offer = session.exec(select(Offer.id)).first()
    for index, household_id in enumerate(shown):
        write(
            lambda s, h=household_id, i=index: partners.change_consents(
                s, h, {partner.id: i == 0}, given_by="zelf", actor="test"
            )
        )
    write(lambda s: partners.confirm_reached(s, hub.ctx, partner.id, shown[0], actor=PARTNER_LOGIN))
    task = write(lambda s: tasks.create_task(s, hub.ctx, kind="check", address="Molenweg 6", actor="test"))
    write(lambda s: partners.route_task(s, hub.ctx, task.id, partner.id, actor="test"))
    if offer is not None:
        write(lambda s: volunteers.enrol_from_offer(s, hub.ctx, offer, "Kees de Vries", actor="test"))


def signals_of_every_kind(hub: Hub) -> None:
    """Signals in every status and of every kind, with each step a coordinator can take."""
    write = hub.db.writer.run_sync

    def new(category: str, address: str | None, text: str, life: bool = False) -> str:
        data = SignalCreate(category=category, address=address, description=text, life=life)  # type: ignore[arg-type]
        return write(lambda s: signals.create_signal(s, hub.ctx, data)).id

    new("street_danger", None, "gaslucht bij de speeltuin", life=True)
    looked = new("not_seen", "Molenweg 12", "buurvrouw niet gezien")
    write(lambda s: signals.look(s, hub.ctx, looked, actor="test"))
    twice = new("not_seen", "Molenweg 12", "nummer 12 doet niet open")
    write(lambda s: signals.merge(s, hub.ctx, twice, into=looked, actor="test"))
    for action, category in (
        ("task", "care"),
        ("need", "building"),
        ("door_knock", "other"),
        ("partner", "care"),
    ):
        acted = new(category, "Kerkstraat 3", f"zorg nummer {len(action)}")
        write(
            lambda s, i=acted, a=action: signals.act(
                s, hub.ctx, i, actor="test", action=a, routed_to="Thuiszorg"
            )
        )
    closed = new("building", "Flat B", "lift kapot")
    write(lambda s: signals.close(s, hub.ctx, closed, actor="test"))
    write(lambda s: signals.reopen(s, hub.ctx, closed, actor="test"))
    write(lambda s: signals.close(s, hub.ctx, closed, actor="test"))


def unaccepted(hub: Hub) -> None:
    """A task offered to one handset after another until nobody is left: back to the coordinator."""
    write = hub.db.writer.run_sync
    first = write(lambda s: volunteers.register(s, hub.ctx, "Zeno", "!0000face", actor="test"))
    task = write(
        lambda s: tasks.create_task(
            s, hub.ctx, kind="delivery", address="Molenweg 4", volunteer_id=first.id, actor="test"
        )
    )
    moment = time.monotonic()
    for _ in range(12):
        write(lambda s: task_flow.mark_delivered(s, task.id))
        moment += 16 * 60
        reoffer_job(hub, minutes=15, mono=moment)
        with hub.db.read() as session:
            if tasks.nobody_accepted(session):
                return
    raise AssertionError("the task never came back to the coordinators")
