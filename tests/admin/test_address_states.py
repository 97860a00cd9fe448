"""``address_states`` (each address's latest check-in, kept by triggers) gives the figures exactly
what the old query over every check-in since the crisis began gave: through mode switches,
drills, deletions, a drill's wipe and the migration's backfill."""

from __future__ import annotations

import random
import sqlite3
from datetime import datetime
from pathlib import Path

from alembic import command
from sqlalchemy import func
from sqlmodel import Session, col, select

from hub.migrate import alembic_config, upgrade
from hub.models import AddressState, CheckIn
from hub.runtime import Hub
from hub.schemas import CheckInCreate
from hub.services import drills, erasure, residents
from hub.services.figures import latest_statuses, neighbourhood_figures
from hub.services.state import mode_since


def old_latest(session: Session, since: datetime | None, drill: bool) -> dict[str, str]:
    """The figures' old query: the latest check-in per address since ``since``, over all check-ins."""
    latest = select(func.max(CheckIn.pk).label("pk")).where(col(CheckIn.drill) == drill)
    if since is not None:
        latest = latest.where(col(CheckIn.created_at) >= since)
    last = latest.group_by(col(CheckIn.address_key)).subquery()
    rows = session.exec(select(CheckIn.address_key, CheckIn.status).join(last, col(CheckIn.pk) == last.c.pk))
    return dict(rows.all())


def assert_same(hub: Hub, moments: list[datetime | None]) -> int:
    """The state-based statuses and counts equal the old query's for every moment, drill or real."""
    compared = 0
    with hub.db.read() as session:
        for since in moments:
            for drill in (False, True):
                expected = old_latest(session, since, drill)
                assert latest_statuses(session, since, drill=drill) == expected, (since, drill)
                figures = neighbourhood_figures(session, since, drill=drill)
                assert figures.households_ok == sum(1 for s in expected.values() if s == "ok")
                assert figures.households_help == sum(1 for s in expected.values() if s == "help")
                compared += len(expected)
    return compared


def test_state_figures_equal_the_old_query_through_modes_drills_and_deletes(hub: Hub) -> None:
    rng = random.Random(17)
    addresses = [f"Kerkstraat {n}" for n in range(1, 13)] + ["kerkstraat 3 A", "Kerkstraat 3a"]
    moments: list[datetime | None] = [None]
    saved: list[str] = []

    def burst(n: int) -> None:
        for _ in range(n):
            data = CheckInCreate(address=rng.choice(addresses), status=rng.choice(("ok", "help")))
            saved.append(hub.db.writer.run_sync(lambda s, d=data: residents.create_checkin(s, hub.ctx, d)).id)

    def switch(mode: str) -> None:
        hub.db.writer.run_sync(lambda s: drills.set_mode(s, hub.ctx, mode, actor="coord"))
        with hub.db.read() as session:
            moments.append(mode_since(session))

    burst(15)  # before any crisis: counts only "ever"
    switch("crisis")
    burst(20)
    assert assert_same(hub, moments) > 0
    switch("drill")  # the drill's check-ins never count as real, nor the real ones in the drill
    burst(20)
    assert_same(hub, moments)
    switch("crisis")  # a new count since the switch
    burst(10)
    assert assert_same(hub, moments) > 0

    # a coordinator deletes the latest check-ins of some addresses: the one before counts again
    with hub.db.read() as session:
        latest = session.exec(select(AddressState.checkin_pk)).all()
        ids = session.exec(select(CheckIn.id).where(col(CheckIn.pk).in_(latest[:5]))).all()
    for checkin_id in ids:
        hub.db.writer.run_sync(
            lambda s, i=checkin_id: erasure.delete_record(s, hub.ctx, "checkins", i, actor="coord")
        )
    assert_same(hub, moments)

    # a status changed by hand and a check-in moved to another address follow as well
    def edit(s: Session) -> None:
        first, second = s.exec(select(CheckIn).order_by(col(CheckIn.pk).desc()).limit(2)).all()
        first.status = "help" if first.status == "ok" else "ok"
        second.address_key = "elders 1"
        s.add(first)
        s.add(second)

    hub.db.writer.run_sync(edit)
    assert_same(hub, moments)

    hub.db.writer.run_sync(lambda s: drills.set_mode(s, hub.ctx, "normal", actor="coord"))
    hub.db.writer.run_sync(lambda s: drills.wipe_drill_data(s, hub.ctx, actor="coord"))
    assert_same(hub, moments)
    with hub.db.read() as session:
        assert session.exec(select(AddressState).where(col(AddressState.drill).is_(True))).all() == []


def test_the_migration_fills_the_states_from_the_check_ins_stored(tmp_path: Path) -> None:
    path = tmp_path / "hub.sqlite3"
    url = f"sqlite:///{path}"
    command.upgrade(alembic_config(url), "0009_address_register")
    rows = [
        (
            f"c{n:024d}",
            "Dorp 1",
            f"dorp {n % 4}",
            ("ok", "help")[n % 3 == 0],
            n % 5 == 0,
            f"2026-01-01 00:{n:02d}:00",
        )
        for n in range(40)
    ]
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO checkins (id, address, address_key, status, source, verified, drill, created_at)"
            " VALUES (?, ?, ?, ?, 'portal', 0, ?, ?)",
            rows,
        )
    upgrade(url)
    with sqlite3.connect(path) as db:
        states = db.execute("SELECT address_key, drill, status FROM address_states ORDER BY 1, 2").fetchall()
        # a bulk load after the upgrade (as the benchmarks seed) keeps the state by the trigger
        db.execute(
            "INSERT INTO checkins (id, address, address_key, status, source, verified, drill, created_at)"
            " VALUES ('z', 'Dorp 1', 'dorp 9', 'help', 'portal', 0, 0, '2026-01-02 00:00:00')"
        )
        after = db.execute("SELECT status FROM address_states WHERE address_key = 'dorp 9'").fetchall()
    expected: dict[tuple[str, int], str] = {}
    for _id, _address, key, status, drill, _at in rows:  # later rows are later check-ins
        expected[(key, int(drill))] = status
    assert states == sorted((key, drill, status) for (key, drill), status in expected.items())
    assert after == [("help",)]
    command.downgrade(alembic_config(url), "0009_address_register")
    with sqlite3.connect(path) as db:
        names = {n for (n,) in db.execute("SELECT name FROM sqlite_master").fetchall()}
    assert "address_states" not in names
    assert not any(n.startswith("trg_checkins_state") for n in names)
