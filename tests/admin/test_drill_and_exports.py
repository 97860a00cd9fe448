"""A scripted drill and its report; wiping drill data; exports and backups, also as CLI processes."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
import zipfile
from datetime import timedelta
from pathlib import Path

import httpx
from sqlmodel import Session, select

from hub.config import Settings
from hub.models import CheckIn, Drill, Household, MeshMessage, MeshOutbound, Need, Offer, Task
from hub.runtime import Hub
from hub.schemas import CheckInCreate, Consent, HouseholdCreate, NeedCreate, OfferCreate
from hub.services import backup, coordination, drills, exports, residents, tasks, volunteers

REPO = Path(__file__).resolve().parents[2]


def _household(session: Session, hub: Hub, address: str) -> Household:
    data = HouseholdCreate(address=address, special_attention=["mobility"], consent=Consent(given_by="b"))
    return coordination.register_household(session, hub.ctx, data, actor="coord")


def test_scripted_drill_report_matches_its_events_and_wipe_keeps_real_data(hub: Hub) -> None:
    w = hub.db.writer.run_sync
    real = w(lambda s: residents.create_checkin(s, hub.ctx, CheckInCreate(address="Molenweg 1", status="ok")))
    real_need = w(
        lambda s: residents.create_need(
            s, hub.ctx, NeedCreate(address="Molenweg 1", category="food", description="brood")
        )
    )
    homes = [
        w(lambda s, a=a: _household(s, hub, a)) for a in ("Kerkstraat 5", "Kerkstraat 7", "Dorpsstraat 8")
    ]
    anna = w(lambda s: volunteers.register(s, hub.ctx, "Anna", "!a1b2c3d4", actor="coord"))
    w(lambda s: drills.set_mode(s, hub.ctx, "drill", actor="coord"))
    with hub.db.read() as session:
        start = drills.open_drill(session).started_at  # type: ignore[union-attr]

    def at(minutes: float):
        return start + timedelta(minutes=minutes)

    def checkin(address: str, minutes: float, code: str | None = None) -> None:
        def job(s: Session) -> None:
            data = CheckInCreate(address=address, status="ok", code=code)
            saved = residents.create_checkin(s, hub.ctx, data)
            row = s.exec(select(CheckIn).where(CheckIn.id == saved.id)).one()
            row.created_at = at(minutes)
            s.add(row)

        w(job)

    checkin("Schoolplein 1", 4)  # first check-in after 4 minutes
    checkin("kerkstraat 5", 10, homes[0].code)  # a special-attention household (its code), 10 minutes
    checkin("Dorpsstraat 8", 15)  # without its code: reported, not reached
    checkin("Schoolplein 3", 40)
    checkin("Kerkstraat 7", 50, homes[1].code)

    def door_knock(s: Session) -> None:
        task = tasks.create_task(
            s, hub.ctx, kind="door_knock", household_id=homes[2].id, volunteer_id=anna.id, actor="c"
        )
        task.created_at = task.sent_at = at(20)
        tasks.accept(s, hub.ctx, task.id)
        task.accepted_at = at(26)
        tasks.done(s, hub.ctx, task.id)
        task.done_at = at(70)  # the last special-attention household, 70 minutes in
        s.add(task)
        s.add(
            MeshMessage(
                from_node=1, node_id="!a1b2c3d4", packet_id=7, text="JA", drill=True, created_at=at(26)
            )
        )
        s.exec(select(MeshOutbound)).one().airtime = 0.4
        s.add(residents.create_offer(s, hub.ctx, OfferCreate(category="car", description="rijden")))

    w(door_knock)

    def finish(s: Session) -> Drill:
        drill = drills.open_drill(s)
        assert drill is not None
        drills.set_mode(s, hub.ctx, "normal", actor="coord")
        drill.ended_at = at(90)
        drill.report = drills.drill_report(s, drill)
        return drill

    report = w(finish).report
    assert report["minutes_to_first_checkin"] == 4.0
    assert report["checkins"] == 5
    assert report["special_attention_registered"] == 3
    assert report["special_attention_reached"] == 3
    assert report["minutes_to_last_special_attention"] == 70.0
    assert report["households_reached"] == 5  # 5 check-in addresses (the door knock's among them)
    assert report["task_acceptance"] == {"count": 1, "median_minutes": 6.0, "max_minutes": 6.0}
    assert report["task_completion"] == {"count": 1, "median_minutes": 44.0, "max_minutes": 44.0}
    assert report["messages_received"] == 1
    assert report["messages_sent"] == 1
    assert report["airtime_seconds"] == 0.4
    timeline = {point["minutes"]: point for point in report["timeline"]}
    assert timeline[15.0]["special_attention"] == 1
    assert timeline[30.0]["households"] == 3
    assert timeline[60.0]["special_attention"] == 2
    assert timeline[90.0]["special_attention"] == 3

    counts = w(lambda s: drills.wipe_drill_data(s, hub.ctx, actor="coord"))
    assert counts["checkins"] == 5
    assert counts["tasks"] == 1
    with hub.db.read() as session:
        assert [c.id for c in session.exec(select(CheckIn)).all()] == [real.id]
        assert [n.id for n in session.exec(select(Need)).all()] == [real_need.id]
        assert len(session.exec(select(Household)).all()) == 3
        assert session.exec(select(Task)).first() is None
        assert session.exec(select(Offer)).first() is None
        assert session.exec(select(MeshMessage)).first() is None
        assert session.exec(select(Drill)).one().report["checkins"] == 5


def _seed(hub: Hub) -> None:
    w = hub.db.writer.run_sync
    w(
        lambda s: residents.create_checkin(
            s, hub.ctx, CheckInCreate(address="Kerkstraat 1", status="ok", note="=1+2")
        )
    )
    w(
        lambda s: residents.create_offer(
            s, hub.ctx, OfferCreate(category="car", description="@SUM(A1)", contact="+31 6")
        )
    )
    w(lambda s: _household(s, hub, "Kerkstraat 5"))
    w(lambda s: volunteers.register(s, hub.ctx, "-Anna", "!a1b2c3d4", actor="coord"))
    w(lambda s: tasks.create_task(s, hub.ctx, kind="check", address="Kerkstraat 9", actor="coord"))


def test_exports_have_every_record_type_and_safe_csv(hub: Hub) -> None:
    _seed(hub)
    with hub.db.read() as session:
        document = json.loads(exports.export_json(session, "buurtbaken-1", "full"))
        archive = zipfile.ZipFile(io.BytesIO(exports.export_csv(session, "full")))
    assert document["scope"] == "full"
    assert set(document["records"]) == set(exports.RECORD_TYPES)
    assert "password_hash" not in json.dumps(document)
    assert document["records"]["checkins"][0]["note"] == "=1+2"
    assert sorted(archive.namelist()) == sorted(
        ["SCOPE.txt", *(f"{name}.csv" for name in exports.RECORD_TYPES)]
    )
    assert archive.read("SCOPE.txt").startswith(b"FULL export")
    checkins = list(csv.DictReader(io.StringIO(archive.read("checkins.csv").decode())))
    offers = list(csv.DictReader(io.StringIO(archive.read("offers.csv").decode())))
    people = list(csv.DictReader(io.StringIO(archive.read("volunteers.csv").decode())))
    assert checkins[0]["note"] == "'=1+2"
    assert (offers[0]["description"], offers[0]["contact"]) == ("'@SUM(A1)", "'+31 6")
    assert people[0]["name"] == "'-Anna"
    for name in archive.namelist():
        for row in csv.reader(io.StringIO(archive.read(name).decode())):
            assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row), (name, row)


def _cli(settings: Settings, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "HUB_DATA_DIR": str(settings.data_dir),
        "HUB_SECRET_KEY": "test-secret-key-0123456789-abcdefghijklmnop",
        "PYTHONPATH": str(REPO),
    }
    return subprocess.run(
        [sys.executable, "-m", "hub", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_cli_user_token_export_and_backup(settings: Settings, tmp_path: Path) -> None:
    added = _cli(settings, "user", "add", "marie", "--password-stdin", stdin="lang genoeg wachtwoord\n")
    assert added.returncode == 0, added.stderr
    short = _cli(settings, "user", "add", "piet", "--password-stdin", stdin="kort\n")
    assert short.returncode == 1
    assert "password" in short.stderr
    created = _cli(settings, "token", "create", "gemeente")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]

    from tests.conftest import LiveServer

    with LiveServer(settings) as live:
        with live.client() as http:
            assert (
                http.get("/api/v1/admin/tasks", headers={"Authorization": f"Bearer {token}"}).status_code
                == 200
            )
            assert (
                http.get("/api/v1/admin/tasks", headers={"Authorization": f"Bearer {token}x"}).status_code
                == 401
            )
            from tests.admin.conftest import login

            assert login(http, "marie", "lang genoeg wachtwoord").headers["location"] == "/admin"
        _seed(live.hub)
        with live.client(headers={"Authorization": f"Bearer {token}"}) as http:
            download = http.get("/admin/export/json")
            assert download.status_code == 303  # the pages want a person's session, not a token

    out = tmp_path / "export.json"
    exported = _cli(settings, "export", "--format", "json", "--full", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    assert "FULL export" in exported.stderr
    assert json.loads(out.read_text())["records"]["users"][0]["name"] == "marie"
    minimised = _cli(settings, "export", "--format", "json", "--out", str(out))
    assert minimised.returncode == 0, minimised.stderr
    assert "Minimised export" in minimised.stderr
    assert "users" not in json.loads(out.read_text())["records"]
    with sqlite3.connect(settings.data_dir / "hub.sqlite3") as db:
        audited = db.execute(
            "select actor, detail from audit_log where action = 'export.download' order by pk"
        ).fetchall()
    assert [(actor, json.loads(detail)["scope"]) for actor, detail in audited] == [
        ("cli", "full"),
        ("cli", "minimised"),
    ]
    as_csv = _cli(settings, "export", "--format", "cap", "--out", str(tmp_path / "cap.zip"))
    assert as_csv.returncode == 0
    to = tmp_path / "backups"
    made = _cli(settings, "backup", "--to", str(to))
    assert made.returncode == 0, made.stderr
    copy = Path(made.stdout.strip().splitlines()[-1])
    assert copy.parent == to
    with sqlite3.connect(copy) as db:
        assert db.execute("select count(*) from checkins").fetchone() == (1,)
        assert db.execute("pragma integrity_check").fetchone() == ("ok",)


def test_backups_rotate(hub: Hub) -> None:
    made = [backup.make_backup(hub.settings, keep=3) for _ in range(5)]
    left = sorted(p.name for p in backup.backup_dir(hub.settings).glob("hub-*.sqlite3"))
    assert left == sorted(p.name for p in made[-3:])


def test_admin_export_downloads(client: httpx.Client) -> None:
    assert client.get("/admin/export/json", follow_redirects=False).status_code == 303
