"""``hub addresses import`` on a real SQLite file: the sample, a re-import, refused files.

The command runs as a resident of the Pi would run it (a subprocess with ``HUB_DATA_DIR``); the
register is read back through the services.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from alembic import command
from sqlmodel import select

from hub.config import Settings
from hub.migrate import alembic_config, upgrade
from hub.models import Address, AuditEntry
from hub.runtime import Hub
from hub.services import address_register

SAMPLE = Path(__file__).parents[2] / "hub" / "data" / "sample-addresses.csv"


def hub_cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HUB_DATA_DIR": str(settings.data_dir), "HUB_SECRET_KEY": settings.secret_key}
    env.pop("HUB_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "hub", *args], env=env, capture_output=True, text=True, timeout=120
    )


def register(settings: Settings) -> dict[str, tuple[str, float, float]]:
    hub = Hub.from_settings(settings)
    hub.db.start()
    try:
        rows = hub.store.read(
            lambda s: [(r.address_key, r.street, r.lat, r.lon) for r in s.exec(select(Address))]
        )
        return {key: (street, lat, lon) for key, street, lat, lon in rows}
    finally:
        hub.db.close()


def test_the_sample_imports_and_a_second_export_updates_it(settings: Settings, tmp_path: Path) -> None:
    done = hub_cli(settings, "addresses", "import", str(SAMPLE))
    assert done.returncode == 0, done.stderr
    assert "288 addresses (288 added, 0 updated, 0 unchanged, 0 removed)" in done.stdout
    first = register(settings)
    assert len(first) == 288 and first["kerkstraat 5a"][0] == "Kerkstraat"

    # The next export: Kerkstraat 1 moved a little, Kerkstraat 2 is gone, Kerkstraat 61 is new.
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    lines = [line for line in lines if not line.startswith("Kerkstraat;2;")]
    lines = [
        line.replace(";52.090581;", ";52.090600;") if line.startswith("Kerkstraat;1;") else line
        for line in lines
    ]
    lines.append("Kerkstraat;61;;;3901 BC;Buurtdorp;52.090581;5.124000")
    second = tmp_path / "export-2.csv"
    second.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = hub_cli(settings, "addresses", "import", str(second))
    assert done.returncode == 0, done.stderr
    assert "288 addresses (1 added, 1 updated, 286 unchanged, 1 removed)" in done.stdout
    now = register(settings)
    assert "kerkstraat 2" not in now and "kerkstraat 61" in now
    assert now["kerkstraat 1"][1] == 52.0906

    hub = Hub.from_settings(settings)
    hub.db.start()
    try:
        audit = hub.store.read(
            lambda s: [
                e.detail for e in s.exec(select(AuditEntry).where(AuditEntry.action == "addresses.import"))
            ]
        )
    finally:
        hub.db.close()
    assert audit[-1] == {"added": 1, "updated": 1, "unchanged": 286, "removed": 1}


def test_a_file_with_bad_lines_changes_nothing_and_names_every_line(
    settings: Settings, tmp_path: Path
) -> None:
    assert hub_cli(settings, "addresses", "import", str(SAMPLE)).returncode == 0
    before = register(settings)
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    lines[10] = lines[10].replace("3901", "39")  # line 11: a broken postcode
    lines[200] = lines[200].replace(";Buurtdorp;", ";;")  # line 201: no place
    lines[-1] = lines[-1].split(";")[0]  # the last line: one field
    lines = [line.replace("Kerkstraat;3;", "Kerkstraat;3;B;") for line in lines]  # fields shift: bad
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = hub_cli(settings, "addresses", "import", "--lang", "en", str(bad))
    assert done.returncode == 1
    assert "nothing changed" in done.stderr
    for line in (4, 11, 201, len(lines)):
        assert f"  line {line}: " in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert register(settings) == before
    # In Dutch, the coordinators' first language (HUB_DEFAULT_LANG): the same lines, the same reasons.
    dutch = hub_cli(settings, "addresses", "import", str(bad))
    assert dutch.returncode == 1
    assert f"hub: {bad} is niet ingelezen; er is niets veranderd. Problemen:" in dutch.stderr
    assert "  regel 11: postcode '39 AK' is geen vier cijfers en twee letters (1234 AB)" in dutch.stderr
    assert "  regel 201: geen woonplaats" in dutch.stderr, dutch.stderr
    for line in (4, 11, 201, len(lines)):
        assert f"  regel {line}: " in dutch.stderr
    assert register(settings) == before


def test_refused_files_say_why(settings: Settings, tmp_path: Path) -> None:
    cases = {
        "latin1.csv": (
            "straat;huisnummer;postcode;woonplaats;lat;lon\nKérkstraat;1;3901AC;Buurtdorp;52.09;5.11\n"
        ).encode("cp1252"),
        "columns.csv": b"naam;telefoon\nJan;06-12345678\n",
        "garbage.csv": bytes(range(256)) * 4,
        "empty.csv": b"",
    }
    reasons = {
        "latin1.csv": "line 2: the file is not UTF-8 text",
        "columns.csv": "missing columns: straat, huisnummer, postcode, woonplaats",
        "garbage.csv": "not a text file",
        "empty.csv": "the file is empty",
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        done = hub_cli(settings, "addresses", "import", "--lang", "en", str(tmp_path / name))
        assert done.returncode == 1, name
        assert reasons[name] in done.stderr, (name, done.stderr)
        assert "Traceback" not in done.stderr
    done = hub_cli(settings, "addresses", "import", str(tmp_path / "missing.csv"))
    assert done.returncode == 1 and "cannot read" in done.stderr and "No such file" in done.stderr
    assert register(settings) == {}


def test_rd_coordinates_are_converted_on_the_hub(hub: Hub) -> None:
    export = b"straat;huisnummer;postcode;woonplaats;x;y\nStationsplein;1;3818LE;Amersfoort;155000;463000\n"
    result = address_register.import_file(hub.store, export, actor="test")
    assert result.added == 1
    lat, lon = hub.store.read(lambda s: [(r.lat, r.lon) for r in s.exec(select(Address))])[0]
    assert (round(lat, 6), round(lon, 6)) == (52.155174, 5.387206)


def test_migration_rekeys_addresses_typed_with_a_spaced_letter(tmp_path: Path) -> None:
    path = tmp_path / "hub.sqlite3"
    command.upgrade(alembic_config(f"sqlite:///{path}"), "0008_mesh_reactions")
    db = sqlite3.connect(path)
    for n, address in enumerate(("Kerkstraat 5 A", "Kerkstraat 5-a, Buurtdorp", "Molenweg 2")):
        db.execute(
            "INSERT INTO checkins (id, address, address_key, status, source, verified, drill, created_at)"
            " VALUES (?, ?, ?, 'ok', 'portal', 0, 0, '2026-12-01 10:00:00')",
            (f"c{n}", address, address.lower()),
        )
    db.commit()
    db.close()
    upgrade(f"sqlite:///{path}")
    db = sqlite3.connect(path)
    keys = [key for (key,) in db.execute("SELECT address_key FROM checkins ORDER BY pk")]
    db.close()
    assert keys == ["kerkstraat 5a", "kerkstraat 5a", "molenweg 2"]
