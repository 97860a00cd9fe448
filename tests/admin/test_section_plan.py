"""The door-knock plan of a crisis is the section plan made in peace time: the dashboard's and the
printed list go section by section with each section's contact, a door-knock task goes to the
household's buddy or else to its section's contact, also when the escalation makes it."""

from __future__ import annotations

import re
import time

from hub.domain.escalation import AttentionHousehold, by_section, plan_volunteer
from hub.domain.readiness import Section
from hub.runtime import Hub
from hub.services import dashboard, drills, escalation, readiness
from tests.admin.conftest import Admin
from tests.admin.test_growth import LATER
from tests.admin.test_task_services import household, volunteer
from tests.conftest import LiveServer

LOW = Section("Kerkstraat laag", "kerkstraat", 1, 10, contact="Bram", contact_id="v-bram")


def test_the_list_goes_section_by_section_and_the_plan_names_who_knocks() -> None:
    five = AttentionHousehold("a", "Kerkstraat 5", ("mobility",), buddy_volunteer_id="v-anna")
    seven = AttentionHousehold("b", "Kerkstraat 7", ("pregnant",))
    far = AttentionHousehold("c", "Kerkstraat 21", ("alone_75plus",))
    other = AttentionHousehold("d", "Dorpsstraat 2", ("no_phone",))
    groups = by_section([other, five, seven, far], [LOW])
    assert [(g.name, g.section, g.contact, [h.id for h in g.households]) for g in groups] == [
        ("Dorpsstraat", False, None, ["d"]),
        ("Kerkstraat laag", True, "Bram", ["a", "b"]),
        ("Kerkstraat", False, None, ["c"]),
    ]
    assert [plan_volunteer(h, [LOW]) for h in (five, seven, far, other)] == ["v-anna", "v-bram", None, None]


def test_the_escalation_and_the_dashboard_follow_the_section_plan(hub: Hub) -> None:
    volunteer(hub, "Cees", "!c1b2c3d4")  # free and first: whom the hub would pick without a plan
    anna = volunteer(hub, "Anna", "!a1b2c3d4")
    bram = volunteer(hub, "Bram", "!b1b2c3d4")
    readiness.define_section(hub.store, "Kerkstraat laag", "Kerkstraat", 1, 10, bram.id, actor="coord")
    five = household(hub, "Kerkstraat 5", buddy=anna.id)
    seven = household(hub, "Kerkstraat 7")
    hub.db.writer.run_sync(lambda s: drills.set_mode(s, hub.ctx, "crisis", actor="coord"))

    board = dashboard.dashboard(hub, {})
    assert [(g.name, g.contact, g.contact_id) for g in board.door_knock] == [
        ("Kerkstraat laag", "Bram", bram.id)
    ]

    with hub.db.read() as session:
        plan = escalation.plan_escalation(session, 6, mono=time.monotonic() + LATER)
    assert plan is not None
    created = hub.db.writer.run_sync(lambda s: escalation.apply_escalation(s, hub.ctx, plan))
    assert sorted((t.household_id, t.volunteer_id) for t in created) == sorted(
        [(five.id, anna.id), (seven.id, bram.id)]
    )


def test_the_coordinator_sees_and_prints_the_section_plan(live: LiveServer, admin: Admin) -> None:
    hub = live.hub
    bram = volunteer(hub, "Bram", "!b1b2c3d4")
    readiness.define_section(hub.store, "Kerkstraat laag", "Kerkstraat", 1, 10, bram.id, actor="coord")
    household(hub, "Kerkstraat 7")
    hub.db.writer.run_sync(lambda s: drills.set_mode(s, hub.ctx, "crisis", actor="coord"))
    page = admin.http.get("/admin?lang=en").text
    knock = page[page.index('id="doorknock"') :]
    assert re.search(r"Kerkstraat laag <span class=\"small\">· section · contact: Bram", knock)
    # the one-click task goes to the section's contact when the household has no buddy
    assert f'name="volunteer_id" value="{bram.id}"' in knock and "Door-knock task → Bram" in knock
    printed = admin.http.get("/admin/print/doorknock?lang=en").text
    assert "Kerkstraat laag" in printed and "contact: Bram" in printed and "Kerkstraat 7" in printed
