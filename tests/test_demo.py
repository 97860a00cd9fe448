"""``hub serve --demo`` seeds scenario 1 into a fresh database; without it the hub starts empty."""

from __future__ import annotations

import stat
import time
from pathlib import Path

from sqlmodel import Session, col, func, select

from hub.config import Settings, load_settings
from hub.demo import LOGIN_FILE, demo_password
from hub.mesh.sim import Behaviour
from hub.mesh.sim.handsets import node_num
from hub.mesh.sim.volunteers import plan
from hub.models import Address, Announcement, CheckIn, Household, Need, Task, User, Volunteer
from hub.schemas import Consent, HouseholdCreate
from hub.serve import build_hub
from hub.services import residents, tasks
from tests.conftest import LiveServer


def counts(settings: Settings, demo: bool) -> dict[str, int]:
    hub = build_hub(settings, demo=demo)
    hub.links.clear()  # the data, not the links, are under test here
    hub.start()
    try:
        with hub.db.read() as session:
            return {
                model.__name__: session.exec(select(func.count()).select_from(model)).one()
                for model in (Address, Announcement, CheckIn, Household, Need, User, Volunteer)
            }
    finally:
        hub.stop()


def test_without_demo_the_hub_starts_empty(settings: Settings) -> None:
    assert set(counts(settings, demo=False).values()) == {0}


def test_demo_seeds_once_and_keeps_what_is_there(settings: Settings) -> None:
    first = counts(settings, demo=True)
    assert first["Household"] == 11
    assert first["Need"] == 3
    assert first["User"] == 1
    assert first["Volunteer"] >= 3
    assert first["Address"] == 288  # the generated register of hub/data/sample-addresses.csv
    assert counts(settings, demo=True) == first  # a second start adds nothing


def test_the_demo_password_is_kept_in_the_data_dir(settings: Settings) -> None:
    first = demo_password(settings)
    path = settings.data_dir / LOGIN_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 12
    assert demo_password(settings) == first
    path.unlink()
    assert demo_password(settings) != first  # a new data dir, a new password


def test_with_the_simulated_radio_the_buddies_are_handset_volunteers(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data", radio="sim", rate_limit=0)
    hub = build_hub(settings, demo=True)
    handsets = {h.node_id for h in hub.links["mesh"].simulator.handsets}  # type: ignore[attr-defined]
    with LiveServer(settings, hub), hub.db.read() as session:
        volunteers = session.exec(select(Volunteer)).all()
        buddies = {h.buddy_volunteer_id for h in session.exec(select(Household)).all()}
    names = [v.name for v in volunteers]
    assert len(names) == len(set(names)), names
    assert {v.node_id for v in volunteers if v.node_id} == handsets
    with_handset = {v.id for v in volunteers if v.node_id in handsets}
    assert buddies and buddies <= with_handset
    assert len(buddies) >= 3


def test_a_handset_known_by_name_is_registered_under_another_name(tmp_path: Path) -> None:
    """A data dir seeded by an older demo (a paper "Bram") gets the simulated Bram beside it."""
    settings = load_settings(data_dir=tmp_path / "data", radio="sim", rate_limit=0)
    hub = build_hub(settings, demo=True)

    def older_demo(session: Session) -> None:
        consent = Consent(given_by="bewoner", share_upstream=False)
        data = HouseholdCreate(address="Kerkstraat 5", special_attention=["mobility"], consent=consent)
        residents.register_household(session, hub.ctx, data)
        session.add(Volunteer(name="Bram", node_id="!b2c3d4e5"))

    hub.on_start.insert(0, lambda h: h.db.writer.run_sync(older_demo))
    with LiveServer(settings, hub), hub.db.read() as session:
        names = [v.name for v in session.exec(select(Volunteer)).all()]
    assert len(names) == len(set(names)), names
    assert "Bram" in names and any(n.startswith("Bram (!") for n in names)


def test_simulated_volunteers_answer_their_tasks_by_themselves(tmp_path: Path) -> None:
    """Tasks to the demo's handset volunteers are taken (JA) after a while, then reported done
    (KLAAR) or not (NIET), exactly as ``plan`` decided from the seed: the demo is reproducible."""
    settings = load_settings(data_dir=tmp_path / "data", radio="sim", rate_limit=0)
    hub = build_hub(settings, demo=True)
    simulator = hub.links["mesh"].simulator  # type: ignore[attr-defined]
    behaviour = Behaviour(
        seed=5, accept_after=(0.2, 0.6), finish_after=(0.3, 0.8), decline_rate=0.3, nobody_home_rate=0.3
    )
    answering = simulator.answer_like_volunteers(behaviour)
    with LiveServer(settings, hub):
        assert simulator.wait_for_client(20)

        def give_tasks(session: Session) -> list[tuple[str, int, int]]:
            volunteers = session.exec(select(Volunteer).where(col(Volunteer.node_id).is_not(None))).all()
            made = []
            for index, volunteer in enumerate([*volunteers, *volunteers][:8]):
                task = tasks.create_task(
                    session,
                    hub.ctx,
                    kind="door_knock",
                    actor="test",
                    address=f"Kerkstraat {index + 1}",
                    volunteer_id=volunteer.id,
                )
                made.append((task.id, task.number, node_num(volunteer.node_id or "")))
            return made

        given = hub.db.writer.run_sync(give_tasks)
        expected = {
            task_id: "done" if plan(behaviour, handset, number)[-1].text.startswith("KLAAR") else "failed"
            for task_id, number, handset in given
        }
        assert set(expected.values()) == {"done", "failed"}  # this seed shows both

        def statuses() -> dict[str, str]:
            with hub.db.read() as session:
                return {t.id: t.status for t in session.exec(select(Task)).all()}

        deadline = time.monotonic() + 60
        while statuses() != expected and time.monotonic() < deadline:
            time.sleep(0.2)
        assert statuses() == expected
    sent = answering.sent
    for _task_id, number, handset in given:
        answers = [
            text for node, text in sent if node == f"!{handset:08x}" and text.split()[1] == str(number)
        ]
        assert answers == [a.text for a in plan(behaviour, handset, number)]
    assert any(text.startswith("JA") for _node, text in sent)
    assert any(text.startswith("NIET") and "geen tijd" in text for _node, text in sent)


def test_the_volunteers_plan_is_reproducible_and_varied() -> None:
    behaviour = Behaviour(seed=868)
    plans = [plan(behaviour, 0x1234ABCD, number) for number in range(1, 201)]
    assert plans == [plan(Behaviour(seed=868), 0x1234ABCD, number) for number in range(1, 201)]
    outcomes = [p[-1].text.split(" ", 2)[0] + (" thuis" if "thuis" in p[-1].text else "") for p in plans]
    assert 120 < outcomes.count("KLAAR") < 190
    assert 10 < outcomes.count("NIET") < 60  # declined
    assert 5 < outcomes.count("NIET thuis") < 40  # took it, nobody home
    for steps in plans:
        assert 10 <= steps[0].after <= 45
        assert all(later.after > steps[0].after + 59 for later in steps[1:])
