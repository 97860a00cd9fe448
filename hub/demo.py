"""Sample data for ``hub serve --demo``: the contaminated-water evening of SCENARIOS.md."""

from __future__ import annotations

import logging
import os
import secrets
from datetime import datetime, timedelta
from pathlib import Path

from sqlmodel import Session, func, select

from hub.config import Settings
from hub.models import Announcement, Household, Volunteer
from hub.models.base import utcnow
from hub.runtime import Hub
from hub.schemas import (
    AnnouncementCreate,
    CheckInCreate,
    Consent,
    HouseholdCreate,
    NeedCreate,
    OfferCreate,
    SelfCheckCreate,
    VolunteerOfferCreate,
)
from hub.services import address_register, announcements, residents

log = logging.getLogger(__name__)

HOUSEHOLDS: list[tuple[str, list[str], str, bool]] = [
    ("Kerkstraat 5", ["alone_75plus"], "mevr. J (84, alleen)", True),
    ("Kerkstraat 12", ["pregnant"], "zwanger, alleen", False),
    ("Kerkstraat 17", ["mobility"], "rolstoel", True),
    ("Dorpsstraat 3", ["small_children"], "twee kinderen", True),
    ("Dorpsstraat 8", ["hearing_sight", "alone_75plus"], "dhr. (87), hoort slecht", False),
    ("Dorpsstraat 21", ["medical_device"], "zuurstofapparaat", True),
    ("Molenweg 2", ["no_phone"], "geen telefoon", True),
    ("Molenweg 9", ["language"], "spreekt Pools", True),
    ("Molenweg 14", ["alone_75plus"], "mevr. (79)", True),
    ("Schoolplein 1", ["mobility", "alone_75plus"], "rollator", True),
    ("Schoolplein 6", ["small_children"], "drieling", False),
]
CHECKED_IN = [
    "Kerkstraat 5",
    "Kerkstraat 17",
    "Dorpsstraat 3",
    "Dorpsstraat 21",
    "Molenweg 2",
    "Molenweg 9",
    "Molenweg 14",
    "Schoolplein 1",
]
OTHER_OK = [
    "Kerkstraat 1",
    "Kerkstraat 2",
    "Kerkstraat 9",
    "Dorpsstraat 10",
    "Molenweg 4",
    "Molenweg 6",
    "Schoolplein 3",
]


def seed(session: Session, hub: Hub) -> None:
    ctx = hub.ctx
    announcements.create_announcement(
        session,
        ctx,
        AnnouncementCreate(
            title="Kook leidingwater drie minuten",
            body="Het kraanwater in de wijk is besmet. Kook water drie minuten voor u het drinkt "
            "of gebruikt. Flessen water: buurthuis, Kerkstraat 1, tot 22 uur.",
            priority="urgent",
            expires_at=utcnow() + timedelta(days=3),
            translations={
                "en": {
                    "title": "Boil tap water for three minutes",
                    "body": "Tap water in the neighbourhood is contaminated. Boil it for three "
                    "minutes before drinking or using it. Bottled water: community centre, "
                    "Kerkstraat 1, until 10 pm.",
                }
            },
        ),
        actor="demo",
        source="upstream",
        external_id="demo:boil-water",
    )
    announcements.create_announcement(
        session,
        ctx,
        AnnouncementCreate(
            title="Buurthuis open",
            body="Het buurthuis is open van 9 tot 21 uur. U kunt hier uw telefoon opladen.",
            priority="info",
        ),
        actor="demo",
    )
    for address, flags, note, consent in HOUSEHOLDS:
        residents.register_household(
            session,
            ctx,
            HouseholdCreate(
                address=address,
                special_attention=flags,
                note=note,
                registered_by="neighbour" if "no_phone" in flags else "self",
                consent=Consent(given_by="bewoner", share_upstream=consent),
            ),
        )
    for address in CHECKED_IN + OTHER_OK:
        residents.create_checkin(session, ctx, CheckInCreate(address=address, status="ok", people=2))
    for address, text in [
        ("Dorpsstraat 3", "twee kinderen, geen auto"),
        ("Molenweg 4", "flessen water voor 3 personen"),
        ("Schoolplein 3", "water voor de buren"),
    ]:
        residents.create_need(
            session, ctx, NeedCreate(address=address, category="water", urgency="urgent", description=text)
        )
    residents.create_offer(
        session,
        ctx,
        OfferCreate(
            category="car", description="Ik kan water halen bij het uitgiftepunt", address="Molenweg 6"
        ),
    )
    seed_volunteers(session, hub)
    sample = address_register.parse_or_refuse(SAMPLE_REGISTER.read_bytes())
    address_register.replace_register(session, sample.addresses, actor="demo")
    seed_board(session)


def seed_board(session: Session) -> None:
    """The board of normal times: a coming activity and a drill, a few self-checks, an offer."""
    from hub.domain.preparedness import read_activity
    from hub.services import board

    today = datetime.now().astimezone()
    for kind, title, days, hour, place, text in (
        ("activity", "Koffie en noodpakket", 3, "19:30", "Buurthuis, Kerkstraat 1",
         "We kijken samen wat er in een noodpakket hoort. Neem uw lijst mee."),
        ("drill", "Oefening: stroomuitval in de buurt", 10, "10:00", "Hele buurt",
         "Vrijwilligers bellen aan bij wie extra zorg nodig heeft. U hoeft niets te doen."),
    ):  # fmt: skip
        when = f"{(today + timedelta(days=days)).date().isoformat()}T{hour}"
        board.post(session, read_activity(kind, title, when, place, text), actor="demo")
    for address, items in (
        ("Kerkstraat 4", ["water", "food", "torch", "radio", "first_aid"]),
        ("Kerkstraat 8", ["water", "torch"]),
        ("Molenweg 10", ["water", "food", "power_bank", "medicines", "cash"]),
        (None, ["torch", "cash"]),
    ):
        data = SelfCheckCreate(items=items, check_on=address is not None, address=address)
        board.record_self_check(session, data)
    board.record_volunteer_offer(
        session,
        VolunteerOfferCreate(
            name="Samira El Amrani", address="Molenweg 12", contact="06 00000000",
            skills="EHBO, Arabisch", has_handset=True,
        ),
    )  # fmt: skip


PAPER_VOLUNTEER = "Dirk (papier)"  # no handset: his tasks go on paper
ANSWERS_SEED = 868  # the simulated volunteers answer the same way in every demo
LOGIN_FILE = "demo-password"


# Without the simulated radio (a real one, or none) the buddies carry made-up handsets: their
# tasks wait in the radio queue, as a real volunteer's do while out of range.
UNSIMULATED = [("Anouk", "!a1b2c3d4"), ("Bram", "!b2c3d4e5"), ("Claire", "!c3d4e5f6")]


def demo_handsets(hub: Hub) -> list[tuple[str, str]]:
    """(name, node id) of every simulated handset, or :data:`UNSIMULATED`."""
    simulator = getattr(hub.links.get("mesh"), "simulator", None)
    if simulator is None:
        return list(UNSIMULATED)
    return [(h.long_name.removesuffix(" (vrijwilliger)"), h.node_id) for h in simulator.handsets]


# The generated, fictitious register of Buurtdorp (hub.domain.sample_addresses).
SAMPLE_REGISTER = Path(__file__).parent / "data" / "sample-addresses.csv"


def seed_volunteers(session: Session, hub: Hub) -> None:
    """The simulated handsets' volunteers (the households' buddies) and one volunteer on paper."""
    from hub.services import volunteers

    buddies = [
        volunteers.register(session, hub.ctx, name, node, actor="demo") for name, node in demo_handsets(hub)
    ]
    volunteers.register(session, hub.ctx, PAPER_VOLUNTEER, None, actor="demo")
    for household in session.exec(select(Household).order_by(Household.pk)).all():  # type: ignore[arg-type]
        household.buddy_volunteer_id = buddies[(household.pk or 0) % len(buddies)].id
        session.add(household)


def demo_password(settings: Settings) -> str:
    """The demo coordinator's password: made on the first run, kept in the data dir (0600)."""
    path = settings.data_dir / LOGIN_FILE
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(9)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(password + "\n")
    return password


def with_demo_coordinator(hub: Hub) -> None:
    """A coordinator ``demo`` whose password (kept in the data dir) the start-up banner shows."""
    from hub.models import User
    from hub.services import accounts

    password = demo_password(hub.settings)
    hub.ctx.metrics.setdefault("banner", []).append(
        f"demo login: demo / {password}   (kept in {hub.settings.data_dir / LOGIN_FILE})"
    )

    def job(session: Session) -> None:
        user = session.exec(select(User).where(User.name == "demo")).first()
        if user is None:
            accounts.create_user(session, "demo", password, actor="demo")
        else:
            user.password_hash = accounts.hash_password(password)
            session.add(user)

    hub.on_start.append(lambda h: h.db.writer.run_sync(job))


def seed_if_empty(hub: Hub) -> None:
    """Seed a fresh database; leave one that has data alone."""

    def job(session: Session) -> bool:
        households = session.exec(select(func.count()).select_from(Household)).one()
        notices = session.exec(select(func.count()).select_from(Announcement)).one()
        if households or notices:
            return False
        seed(session, hub)
        return True

    if hub.db.writer.run_sync(job):
        log.info("demo data seeded")


def register_sim_volunteers(hub: Hub) -> None:
    """Make the simulated radio's handsets demo volunteers (unless their node ids are known),
    each under a name no other volunteer has, and let them answer their tasks by themselves."""
    simulator = getattr(hub.links.get("mesh"), "simulator", None)
    if simulator is None:
        return
    if simulator.volunteers is None:  # a test may have set faster volunteers already
        from hub.mesh.sim import Behaviour

        simulator.answer_like_volunteers(Behaviour(seed=ANSWERS_SEED))
    handsets = demo_handsets(hub)

    def job(session: Session) -> int:
        known = set(session.exec(select(Volunteer.node_id)).all())
        names = set(session.exec(select(Volunteer.name)).all())
        added = []
        for name, node in handsets:
            if node in known:
                continue
            unique = name if name not in names else f"{name} ({node})"
            names.add(unique)
            added.append(Volunteer(name=unique, node_id=node))
        session.add_all(added)
        return len(added)

    if added := hub.db.writer.run_sync(job):
        log.info("demo: %d simulated handsets registered as volunteers", added)
