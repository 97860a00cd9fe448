"""One definition of each figure: the service against a known data set, and every view showing it.

The data set (crisis mode since ``S``) holds check-ins from before the crisis, duplicates per
address, help then OK at one address, drill rows, verified and unverified special-attention
households, done tasks with and without a household, and volunteers in every state.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import httpx
from sqlmodel import Session, col, select

from hub.domain.addresses import address_key
from hub.domain.figures import Figures
from hub.domain.radio_events import TextReceived
from hub.jobs import summary_job
from hub.models import CheckIn, Household, Need, OutboxEvent, Task, Volunteer
from hub.models.base import utcnow
from hub.runtime import Hub
from hub.services import drills, mesh_inbound
from hub.services.figures import FIGURES_EVENT, current_figures, neighbourhood_figures
from hub.services.state import get_state, put_state
from tests.admin.conftest import Admin
from tests.conftest import LiveServer


def _checkin(address: str, status: str, at: datetime, **extra: object) -> CheckIn:
    return CheckIn(address=address, address_key=address_key(address), status=status, created_at=at, **extra)  # type: ignore[arg-type]


def _household(address: str, *, drill: bool = False) -> Household:
    return Household(
        address=address,
        address_key=address_key(address),
        special_attention=["alone_75plus"],
        consent_given_by="zelf",
        drill=drill,
    )


def _need(category: str, urgency: str, *, status: str = "open", drill: bool = False) -> Need:
    return Need(
        address="Geheimstraat 9",
        address_key=address_key("Geheimstraat 9"),
        category=category,
        urgency=urgency,
        description="geheim",
        status=status,
        drill=drill,
    )


def seed(hub: Hub) -> datetime:
    """The known data set; returns ``S``, when crisis mode began."""
    since = utcnow().replace(microsecond=0) - timedelta(hours=2)

    def crisis(s: Session) -> None:  # the crisis began two hours ago
        drills.set_mode(s, hub.ctx, "crisis", actor="coord")
        put_state(s, "mode", {**get_state(s, "mode"), "since": since.isoformat()})

    hub.db.writer.run_sync(crisis)

    def at(minutes: float) -> datetime:
        return since + timedelta(minutes=minutes)

    def job(s: Session) -> None:
        a, b, c, d, e = (_household(f"Molenweg {n}") for n in (2, 4, 6, 8, 10))
        f = _household("Oefenstraat 1", drill=True)  # a drill household: never a real one
        s.add_all([a, b, c, d, e, f])
        s.flush()
        free, busy, away, heard, unheard = (
            Volunteer(name="Vrij"),
            Volunteer(name="Bezig"),
            Volunteer(name="Weg", available=False),
            Volunteer(name="Gehoord", node_id="!0000000a", last_heard_at=utcnow() - timedelta(minutes=10)),
            Volunteer(name="Stil", node_id="!0000000b"),
        )
        s.add_all([free, busy, away, heard, unheard])
        s.flush()
        s.add_all(
            [
                # before the crisis began: not counted, and D's verified one does not reach it
                _checkin("Oude Weg 1", "ok", at(-60)),
                _checkin("Kerkstraat 3", "help", at(-60)),
                _checkin("Molenweg 8", "ok", at(-60), household_id=d.id, verified=True, verified_by="code"),
                # since: one address three times
                _checkin("Kerkstraat 1", "ok", at(1)),
                _checkin("kerkstraat  1", "ok", at(2)),
                _checkin("Kerkstraat 1", "ok", at(3)),
                # help, then OK at the same address: OK now
                _checkin("Kerkstraat 2", "help", at(4)),
                _checkin("kerkstraat 2", "ok", at(5)),
                # OK, then help: help now
                _checkin("Kerkstraat 3", "ok", at(6)),
                _checkin("Kerkstraat 3", "help", at(7)),
                _checkin("Dorpsstraat 4", "help", at(8)),
                # special attention: A reported OK (not verified), B verified by its code
                _checkin("Molenweg 2", "ok", at(9), household_id=a.id),
                _checkin("Molenweg 4", "ok", at(10), household_id=b.id, verified=True, verified_by="code"),
                # drill rows: never in the real figures (one would "reach" A)
                _checkin("Kerkstraat 9", "ok", at(11), drill=True),
                _checkin("Kerkstraat 10", "help", at(12), drill=True),
                _checkin("Molenweg 2", "ok", at(13), household_id=a.id, verified=True, drill=True),
                _need("water", "normal"),
                _need("water", "life"),
                _need("food", "urgent"),
                _need("food", "normal"),
                _need("water", "urgent", status="resolved"),
                _need("water", "normal", drill=True),
                # C reached by a task for it done; E by a done task at its (free) address
                Task(
                    number=1,
                    kind="door_knock",
                    address=c.address,
                    household_id=c.id,
                    status="done",
                    done_at=at(20),
                ),
                Task(number=2, kind="check", address="molenweg 10", status="done", done_at=at(21)),
                Task(number=3, kind="delivery", address="Kerkstraat 3", status="open"),
                Task(
                    number=4,
                    kind="delivery",
                    address="Dorpsstraat 4",
                    status="accepted",
                    volunteer_id=busy.id,
                ),
                Task(number=5, kind="check", address="Kerkstraat 1", status="failed"),
                Task(number=6, kind="check", address="Kerkstraat 9", status="open", drill=True),
            ]
        )

    hub.db.writer.run_sync(job)
    return since


REAL = {
    "households_ok": 4,  # Kerkstraat 1, Kerkstraat 2, Molenweg 2, Molenweg 4
    "households_help": 2,  # Kerkstraat 3, Dorpsstraat 4
    "households_checked_in": 6,
    "open_needs": 4,
    "urgent_needs": 2,
    "open_needs_by_urgency": {"life": 1, "normal": 2, "urgent": 1},
    "open_needs_by_category": {"food": 2, "water": 2},
    "special_attention_registered": 5,  # A..E, not the drill household
    "special_attention_reached": 3,  # B (code), C (its task), E (task at its address)
    "special_attention_not_reached": 2,  # A (not verified), D (only before the crisis)
    "volunteers_available": 2,  # Vrij, Gehoord
    "tasks_open": 3,  # open, accepted, failed
}


def as_numbers(figures: Figures) -> dict[str, object]:
    return {name: getattr(figures, name) for name in REAL} | {
        "open_needs_by_urgency": dict(figures.open_needs_by_urgency),
        "open_needs_by_category": dict(figures.open_needs_by_category),
    }


def test_the_figures_of_a_known_data_set(hub: Hub) -> None:
    since = seed(hub)
    with hub.db.read() as session:
        real = neighbourhood_figures(session, since, drill=False)
        drill = neighbourhood_figures(session, since, drill=True)
        assert current_figures(session) == real  # crisis mode: since it began, real records
        ever = neighbourhood_figures(session, None, drill=False)
    assert as_numbers(real) == REAL
    assert (real.since, real.drill) == (since, False)
    assert as_numbers(drill) == {
        "households_ok": 2,  # Kerkstraat 9, Molenweg 2
        "households_help": 1,  # Kerkstraat 10
        "households_checked_in": 3,
        "open_needs": 1,
        "urgent_needs": 0,
        "open_needs_by_urgency": {"normal": 1},
        "open_needs_by_category": {"water": 1},
        "special_attention_registered": 6,  # a drill practises on the real register too
        "special_attention_reached": 1,  # A, by the drill's verified check-in
        "special_attention_not_reached": 5,
        "volunteers_available": 2,
        "tasks_open": 1,
    }
    # without a start, the check-ins from before count too (Oude Weg 1, Molenweg 8; D reached then)
    assert (ever.households_ok, ever.households_help, ever.special_attention_reached) == (6, 2, 4)


def test_drill_mode_shows_the_drills_figures(hub: Hub) -> None:
    seed(hub)
    hub.db.writer.run_sync(lambda s: drills.set_mode(s, hub.ctx, "drill", actor="coord"))

    def drill_checkin(s: Session) -> None:
        s.add(_checkin("Schoolplein 1", "help", utcnow() + timedelta(seconds=1), drill=True))

    hub.db.writer.run_sync(drill_checkin)
    with hub.db.read() as session:
        figures = current_figures(session)
    assert figures.drill is True
    assert (figures.households_ok, figures.households_help) == (0, 1)  # only the drill's, since it began
    assert figures.open_needs == 1 and figures.tasks_open == 1
    text = TextReceived(
        from_num=0x0000000A,
        node_id="!0000000a",
        packet_id=78,
        text="STATUS",
        channel=0,
        direct=True,
        pki=True,
        rx_snr=None,
    )
    handled = hub.db.writer.run_sync(
        lambda s: mesh_inbound.handle_text(s, hub.ctx, text, allow_unknown=False)
    )
    assert handled.reply == "OEFENING Status: 0 OK, 1 HULP, 1 noden (0 spoed), 1 taken open."


def _number(html: str, label: str) -> str:
    match = re.search(r'<span class="num">([^<]+)</span> ' + re.escape(label), html)
    assert match, label
    return match[1]


def test_every_view_shows_the_same_figures(live: LiveServer, admin: Admin, client: httpx.Client) -> None:
    seed(live.hub)

    portal = client.get("/?lang=en").text
    assert "6 households have said how they are." in portal
    assert re.search(r'Water</span><span class="count">2<', portal)
    assert re.search(r'Food</span><span class="count">2<', portal)

    status = client.get("/api/v1/status").json()["figures"]
    assert {k: v for k, v in status.items() if k != "since"} == {
        "drill": False,
        "households_checked_in": 6,
        "households_ok": 4,
        "households_help": 2,
        "open_needs": 4,
        "open_needs_urgent": 2,
        "open_needs_by_category": {"food": 2, "water": 2},
    }

    dashboard = admin.http.get("/admin?lang=en").text
    assert _number(dashboard, "addresses checked in") == "6"
    assert _number(dashboard, "asked for help") == "2"
    assert _number(dashboard, "special-attention households reached") == "3 / 5"
    assert _number(dashboard, "still to visit") == "2"
    assert _number(dashboard, "open needs") == "4"
    doorknock = admin.http.get("/admin/print/doorknock").text  # the list agrees with the figure
    assert "Molenweg 2" in doorknock and "Molenweg 8" in doorknock
    assert not {"Molenweg 4", "Molenweg 6", "Molenweg 10"} & set(re.findall(r"Molenweg \d+", doorknock))

    text = TextReceived(
        from_num=0x0000000A,
        node_id="!0000000a",
        packet_id=77,
        text="STATUS",
        channel=0,
        direct=True,
        pki=True,
        rx_snr=None,
    )
    handled = live.hub.db.writer.run_sync(
        lambda s: mesh_inbound.handle_text(s, live.hub.ctx, text, allow_unknown=False)
    )
    assert handled.reply == "Status: 4 OK, 2 HULP, 4 noden (2 spoed), 3 taken open."

    row = summary_job(live.hub)
    assert row is not None and re.fullmatch(
        r"STATUS \d\d:\d\d: 6 ingecheckt, 2 hulp, 4 open vragen, 2 nog bezoeken", row.text
    )
    with live.hub.db.read() as session:
        event = session.exec(select(OutboxEvent).where(col(OutboxEvent.type) == FIGURES_EVENT)).one()
        upstream = dict(event.data)
    assert upstream.pop("since") is not None
    assert upstream == {
        "drill": False,
        "households_checked_in": 6,
        "households_ok": 4,
        "households_help": 2,
        "open_needs": 4,
        "open_needs_urgent": 2,
        "open_needs_by_category": {"food": 2, "water": 2},
        "open_needs_by_urgency": {"life": 1, "normal": 2, "urgent": 1},
        "special_attention_registered": 5,
        "special_attention_reached": 3,
        "special_attention_not_reached": 2,
        "volunteers_available": 2,
        "tasks_open": 3,
    }


def _needs_listed(dashboard: str) -> int:
    """How many needs the dashboard's "Open needs" section lists."""
    section = re.search(r'<section id="needs">(.*?)</section>', dashboard, re.DOTALL)
    assert section, "no needs section"
    return section[1].count('class="card need ')


def test_the_dashboard_lists_and_counts_the_records_of_its_mode_only(live: LiveServer, admin: Admin) -> None:
    """The open needs listed and the calls for help to handle are the current mode's, as the
    figures above them are: drill records never among the real ones, nor the other way round."""
    seed(live.hub)

    real = admin.http.get("/admin?lang=en").text
    assert _number(real, "open needs") == "4"
    assert _needs_listed(real) == 4  # not the drill's water need
    # Kerkstraat 2, Kerkstraat 3 (twice), Dorpsstraat 4; not the drill's Kerkstraat 10
    assert _number(real, "calls for help to handle") == "4"

    live.hub.db.writer.run_sync(lambda s: drills.set_mode(s, live.hub.ctx, "drill", actor="coord"))
    drill = admin.http.get("/admin?lang=en").text
    assert _number(drill, "open needs") == "1"
    assert _needs_listed(drill) == 1  # the drill's water need only
    assert _number(drill, "calls for help to handle") == "1"  # Kerkstraat 10 only
