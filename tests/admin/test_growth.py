"""Flat as data grows: the escalation job stays out of the writer, and the reads that grow with
the crisis (admin lists, the help worklist, "today", the door-knock list) are index searches."""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import event
from sqlmodel import Session, select

from hub.jobs import escalation_job
from hub.migrate import alembic_config, upgrade
from hub.models import CheckIn, Task
from hub.runtime import Hub
from hub.schemas import CheckInCreate
from hub.services import admin_lists, coordination, drills, escalation, figures, residents, worklist
from hub.services.admin_lists import LIST_LIMIT
from tests.admin.conftest import Admin
from tests.admin.test_task_services import household, volunteer
from tests.conftest import LiveServer

LATER = 6 * 3600 + 60  # seconds on the monotonic clock: past the 6 hours of escalation


def checkin(hub: Hub, address: str, status: str = "ok", code: str | None = None) -> CheckIn:
    data = CheckInCreate(address=address, status=status, code=code)
    return hub.db.writer.run_sync(lambda s: residents.create_checkin(s, hub.ctx, data))


class BlockedWriter:
    """Holds the writer thread busy with a real job until released."""

    def __init__(self, hub: Hub) -> None:
        self.started = threading.Event()
        self.release = threading.Event()

        def hold(_session: Session) -> None:
            self.started.set()
            self.release.wait(30)

        self.done = hub.db.writer.submit(hold)
        assert self.started.wait(5)

    def __enter__(self) -> BlockedWriter:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release.set()
        self.done.result(timeout=30)


def finishes_within(seconds: float, fn: Callable[[], Any]) -> tuple[bool, list[Any]]:
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(fn()), daemon=True)
    thread.start()
    thread.join(seconds)
    return not thread.is_alive(), result


def test_escalation_in_normal_mode_creates_nothing_and_leaves_the_writer_alone(hub: Hub) -> None:
    household(hub, "Kerkstraat 5")
    with BlockedWriter(hub):  # a job for the writer would wait here
        finished, result = finishes_within(5, lambda: escalation_job(hub, hours=0.001, mono=1e9))
        assert finished, "the escalation job waited for the writer in normal mode"
    assert result == [[]]
    with hub.db.read() as session:
        assert session.exec(select(Task)).all() == []


def test_escalation_reads_beside_the_writer_and_rechecks_inside_it(hub: Hub) -> None:
    anna = volunteer(hub, "Anna", "!a1b2c3d4")
    five = household(hub, "Kerkstraat 5", buddy=anna.id)
    seven = household(hub, "Kerkstraat 7")
    hub.db.writer.run_sync(lambda s: drills.set_mode(s, hub.ctx, "crisis", actor="coord"))
    later = time.monotonic() + LATER
    with BlockedWriter(hub), hub.db.read() as session:  # the read needs no writer
        plan = escalation.plan_escalation(session, 6, mono=later)
    assert plan is not None
    assert set(plan.due) == {five.id, seven.id}
    checkin(hub, "Kerkstraat 7", code=seven.code)  # reached between the read and the write
    created = hub.db.writer.run_sync(lambda s: escalation.apply_escalation(s, hub.ctx, plan))
    assert [(t.household_id, t.volunteer_id, t.automatic) for t in created] == [(five.id, anna.id, True)]
    assert hub.db.writer.run_sync(lambda s: escalation.apply_escalation(s, hub.ctx, plan)) == []


def test_door_knock_list_counts_check_ins_by_household_and_by_address(hub: Hub) -> None:
    five = household(hub, "Kerkstraat 5")
    seven = household(hub, "Kerkstraat 7")
    nine = household(hub, "Kerkstraat 9")
    hub.db.writer.run_sync(lambda s: drills.set_mode(s, hub.ctx, "crisis", actor="coord"))
    checkin(hub, "kerkstraat 5", code=five.code)  # verified by its code
    first = checkin(hub, "Kerkstraat 7")  # reported, not verified
    second = checkin(hub, "Kerkstraat 7", status="help")
    unverified_nine = checkin(hub, "Kerkstraat 9")
    hub.db.writer.run_sync(
        lambda s: coordination.verify_checkin(s, hub.ctx, unverified_nine.id, actor="coord")
    )
    with hub.db.read() as session:
        since = escalation.reference_time(session)
        reached = escalation.reached_ids(session, since)
        unverified = escalation.unverified_reports(session, since)
        to_visit = escalation.current_door_knock_list(session)
    assert set(reached) == {five.id, nine.id}
    assert {hid: c.id for hid, c in unverified.items()} == {seven.id: second.id}
    assert first.id != second.id
    assert [h.id for h in to_visit] == [seven.id]


def plans(hub: Hub, read: Callable[[Session], object]) -> list[tuple[str, list[str]]]:
    """Each statement ``read`` runs on a read session, with SQLite's query plan for it."""
    statements: list[tuple[str, Any]] = []

    def grab(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        statements.append((statement, parameters))

    event.listen(hub.db.read_engine, "before_cursor_execute", grab)
    try:
        with hub.db.read() as session:
            read(session)
    finally:
        event.remove(hub.db.read_engine, "before_cursor_execute", grab)
    found = []
    with hub.db.read_engine.connect() as connection:
        for statement, parameters in statements:
            rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            found.append((statement, [str(row[3]) for row in rows]))
    return found


def full_scans(found: list[tuple[str, list[str]]]) -> list[str]:
    """Plans that read all check-ins. A scan in key order that a LIMIT stops is not one."""
    bad = []
    for statement, details in found:
        for detail in details:
            if not detail.startswith("SCAN checkins"):
                continue
            in_key_order = "ORDER BY checkins.pk" in statement and "LIMIT" in statement
            if not in_key_order or any("TEMP B-TREE" in d for d in details):
                bad.append(f"{detail}: {statement}")
    return bad


def test_admin_lists_today_and_door_knock_reads_use_indexes(hub: Hub) -> None:
    five = household(hub, "Kerkstraat 5")
    hub.db.writer.run_sync(lambda s: drills.set_mode(s, hub.ctx, "crisis", actor="coord"))
    for n in range(3):
        checkin(hub, f"Dorpsstraat {n}", status="help")
    checkin(hub, "Kerkstraat 5", code=five.code)

    def reads(session: Session) -> None:
        figures.current_figures(session)  # the portal home, the dashboard, /api/v1/status
        worklist.help_worklist(session)
        worklist.waiting_count(session)
        worklist.waiting_count(session, drill=False)  # the dashboard's: the real calls only
        admin_lists.newest(session, CheckIn)
        admin_lists.list_page(session, "checkins", 2, None)
        admin_lists.list_page(session, "checkins", 2, "3")
        since = escalation.reference_time(session)
        escalation.reached_ids(session, since)
        escalation.unverified_reports(session, since)

    found = plans(hub, reads)
    assert full_scans(found) == []
    details = [d for _s, ds in found for d in ds]
    for index in ("ix_address_states_since", "ix_checkins_worklist", "ix_checkins_household_reached"):
        assert any(index in d for d in details), (index, details)
    assert any("USING INTEGER PRIMARY KEY (rowid<?)" in d for d in details)  # the keyset page


def test_admin_check_in_list_pages_by_key(admin: Admin, live: LiveServer) -> None:
    def many(session: Session) -> None:
        for n in range(LIST_LIMIT + 5):
            residents.create_checkin(
                session, live.hub.ctx, CheckInCreate(address=f"Laan {n + 1}", status="ok")
            )

    live.hub.db.writer.run_sync(many)
    first = admin.http.get("/admin/checkins")
    assert first.status_code == 200
    older = re.search(r'href="\?before=(\d+)"', first.text)
    assert older, "no link to the older check-ins"
    assert "Laan 305<" in first.text and "Laan 5<" not in first.text
    second = admin.http.get(f"/admin/checkins?before={older[1]}")
    assert second.status_code == 200
    assert "Laan 5<" in second.text and "Laan 1<" in second.text and "Laan 6<" not in second.text
    assert 'href="?before=' not in second.text  # the last page
    for bad in ("abc", "0", "-1", "9" * 30):
        assert admin.http.get(f"/admin/checkins?before={bad}").status_code == 422


def test_growth_migration_goes_down_and_up_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.sqlite3'}"

    def indexes() -> set[str]:
        with sqlite3.connect(tmp_path / "hub.sqlite3") as connection:
            rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall()
        return {name for (name,) in rows}

    upgrade(url)
    assert {"ix_checkins_drill_created_at", "ix_checkins_address_reached"} <= indexes()
    assert "ix_checkins_address_key" not in indexes()  # the composite index starts with it
    command.downgrade(alembic_config(url), "0006_loops_data")
    assert "ix_checkins_drill_created_at" not in indexes()
    assert "ix_checkins_address_key" in indexes()
    upgrade(url)
    assert "ix_checkins_worklist" in indexes()


def test_reached_searches_each_households_own_check_ins(hub: Hub) -> None:
    """Per household, a search in the household's or the address's index: not every check-in
    since the crisis began through (drill, created_at), 0.6 s a view with 100k check-ins."""
    household(hub, "Kerkstraat 5")
    hub.db.writer.run_sync(lambda s: drills.set_mode(s, hub.ctx, "crisis", actor="coord"))
    checkin(hub, "Dorpsstraat 1", status="help")

    found = plans(hub, figures.current_figures)
    reached = [ds for s, ds in found if "EXISTS" in s and "checkins.verified" in s]
    assert reached, [s for s, _ in found]
    for details in reached:
        on_check_ins = [d for d in details if d.startswith(("SEARCH checkins", "SCAN checkins"))]
        assert len(on_check_ins) == 2, details
        assert all(
            "ix_checkins_household_reached" in d or "ix_checkins_address_reached" in d for d in on_check_ins
        ), details


def test_unverified_reports_search_each_households_own_check_ins(hub: Hub) -> None:
    """The dashboard's "reported OK, not verified": per household, a search in the household's or
    the address's index, never (drill, created_at) through every check-in since the crisis began
    (4 s a dashboard view with 100k check-ins)."""
    household(hub, "Kerkstraat 5")
    hub.db.writer.run_sync(lambda s: drills.set_mode(s, hub.ctx, "crisis", actor="coord"))
    checkin(hub, "Kerkstraat 5")

    found = plans(hub, lambda s: escalation.unverified_reports(s, escalation.reference_time(s)))
    per_household = [ds for s, ds in found if "max(checkins.pk)" in s]
    assert per_household, [s for s, _ in found]
    on_check_ins = [d for d in per_household[0] if d.startswith(("SEARCH checkins", "SCAN checkins"))]
    assert len(on_check_ins) == 2, per_household
    assert all(
        "ix_checkins_household_reached" in d or "ix_checkins_address_reached" in d for d in on_check_ins
    ), on_check_ins


def test_the_households_figures_read_one_row_per_address(hub: Hub) -> None:
    """The households' figures and statuses read ``address_states`` by its index, not the check-ins."""
    hub.db.writer.run_sync(lambda s: drills.set_mode(s, hub.ctx, "crisis", actor="coord"))
    checkin(hub, "Dorpsstraat 1", status="help")

    for read in (figures.current_figures, figures.current_statuses):
        found = plans(hub, read)
        on_states = [(s, ds) for s, ds in found if "FROM address_states" in s]
        assert on_states, [s for s, _ in found]
        for statement, details in on_states:
            assert "checkins" not in statement, statement
            assert any("ix_address_states_since" in d for d in details), details
