"""Migration 0004_loops_drill on a database with data: households get codes, check-ins a verdict."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command

from hub.domain.household_codes import ALPHABET, LENGTH
from hub.migrate import alembic_config, upgrade

NOW = "2026-12-01 10:00:00"


def test_existing_households_get_codes_and_only_handset_check_ins_count_as_verified(tmp_path: Path) -> None:
    path = tmp_path / "hub.sqlite3"
    command.upgrade(alembic_config(f"sqlite:///{path}"), "0001")
    db = sqlite3.connect(path)
    db.execute(
        "INSERT INTO volunteers (id, name, skills, available, created_at) VALUES ('v1', 'Anna', '[]', 1, ?)",
        (NOW,),
    )
    for n, address in enumerate(("Molenweg 2", "Kerkstraat 5")):
        db.execute(
            "INSERT INTO households (id, address, address_key, street_key, special_attention, registered_by,"
            " consent_given_by, consent_share_upstream, consent_at, drill, created_at)"
            " VALUES (?, ?, ?, '', '[]', 'self', 'x', 0, ?, 0, ?)",
            (f"h{n}", address, address.lower(), NOW, NOW),
        )
    for n, (source, volunteer) in enumerate(
        (("portal", None), ("api", None), ("mesh", "v1"), ("mesh", None))
    ):
        db.execute(
            "INSERT INTO checkins (id, address, address_key, status, source, volunteer_id, household_id,"
            " drill, created_at) VALUES (?, 'Molenweg 2', 'molenweg 2', 'ok', ?, ?, 'h0', 0, ?)",
            (f"c{n}", source, volunteer, NOW),
        )
    db.commit()
    db.close()

    upgrade(f"sqlite:///{path}")

    db = sqlite3.connect(path)
    codes = [code for (code,) in db.execute("SELECT code FROM households ORDER BY pk")]
    verdicts = db.execute("SELECT source, verified, verified_by FROM checkins ORDER BY pk").fetchall()
    db.close()
    assert len(codes) == 2 and codes[0] != codes[1]
    assert all(len(code) == LENGTH and set(code) <= set(ALPHABET) for code in codes)
    assert verdicts == [("portal", 0, None), ("api", 0, None), ("mesh", 1, "volunteer"), ("mesh", 0, None)]
