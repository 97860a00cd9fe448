"""Flat as data grows: the views' time with 1k, 10k and 100k check-ins.

Check-ins over 72 simulated hours at 5,000 addresses (250 of them registered households, the
first 2,000 in the address register, so that the dashboard carries its map of 2,000 dots), the
hub in crisis mode since the first of them; seeded straight into the SQLite file with
``executemany``. Each view is asked over real HTTP (uvicorn in a thread), the best of
``REPEAT`` requests after a warm-up. The escalation job's two halves are timed as well (with the
escalation hours passed): the read beside the writer and the write inside it; the first write
makes the door-knock tasks, the timed ones find nothing left to do.
Figures go to artifacts/bench/growth.json and
docs/reference/measurements.md (copied by hand, dated); nothing here asserts a speed.
"""

from __future__ import annotations

import json
import random
import sqlite3
import statistics
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from hub.config import load_settings
from hub.domain.addresses import address_key
from hub.models.base import new_id, utcnow
from hub.runtime import Hub
from hub.schemas import Consent, HouseholdCreate
from hub.services import address_register, coordination, drills, escalation
from hub.services.state import put_state
from tests.admin.conftest import login, make_user
from tests.conftest import LiveServer

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "bench"
SIZES = (1_000, 10_000, 100_000)
ADDRESSES = 5_000
REGISTER = 2_000  # addresses in the register: the dashboard draws them on its map
HOUSEHOLD_EVERY = 20  # every 20th address is a registered special-attention household
HOURS = 72
REPEAT = 15
MEDIANS: list[float] = []
OPEN_CALLS = 20
VIEWS = {
    "portal home /": "/",
    "/api/v1/status": "/api/v1/status",
    "dashboard /admin": "/admin",
    "admin check-ins /admin/checkins": "/admin/checkins",
}
COLUMNS = (
    "id, address, address_key, status, people, note, source, volunteer_id, household_id,"
    " verified, verified_by, drill, created_at, handled_at, handled_by, task_id"
)


def address(n: int) -> str:
    return f"Straat{n // 50} {n % 50 + 1}"


def stamp(moment: object) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")  # type: ignore[attr-defined]


def register_export(size: int = REGISTER) -> bytes:
    """The first ``size`` addresses as a municipality's export (50 doors a street, in rows)."""
    lines = ["straat;huisnummer;postcode;woonplaats;lat;lon"]
    for n in range(size):
        street, number = address(n).rsplit(" ", 1)
        lat = 52.08 + (n // 50) * 0.0005 + (0.0001 if int(number) % 2 else 0.0)
        lon = 5.10 + (n % 50) * 0.0002
        lines.append(f"{street};{number};{3900 + n // 50} AA;Buurtdorp;{lat:.6f};{lon:.6f}")
    return "\n".join(lines).encode()


def seed(hub: Hub, count: int) -> None:
    """The register of 2,000 addresses (the dashboard's map); households through the services;
    crisis mode since 72 hours; check-ins by executemany."""
    address_register.import_file(hub.store, register_export(), actor="bench")
    households: dict[str, str] = {}
    for n in range(0, ADDRESSES, HOUSEHOLD_EVERY):
        data = HouseholdCreate(
            address=address(n), special_attention=["alone_75plus"], consent=Consent(given_by="bewoner")
        )
        made = hub.db.writer.run_sync(
            lambda s, d=data: coordination.register_household(s, hub.ctx, d, actor="bench")  # type: ignore[misc]
        )
        households[made.address_key] = made.id
    hub.db.writer.run_sync(lambda s: drills.set_mode(s, hub.ctx, "crisis", actor="bench"))
    now = utcnow()
    start = now - timedelta(hours=HOURS)
    since = {"mode": "crisis", "since": start.isoformat(), "by": "bench"}
    hub.db.writer.run_sync(lambda s: put_state(s, "mode", since))
    rng = random.Random(count)
    rows = []
    open_after = OPEN_CALLS * 20  # about OPEN_CALLS calls for help (1 in 20) among the last ones
    for i in range(count):
        place = address(rng.randrange(ADDRESSES))
        key = address_key(place)
        moment = start + timedelta(seconds=HOURS * 3600 * (i + rng.random()) / count)
        status = "help" if rng.random() < 0.05 else "ok"
        # The worklist is what coordinators left undone, not history: the last OPEN_CALLS calls wait.
        handled = (
            stamp(moment + timedelta(minutes=20)) if status == "help" and i < count - open_after else None
        )
        household = households.get(key)
        verified = household is not None and rng.random() < 0.3
        rows.append(
            (
                new_id(),
                place,
                key,
                status,
                2,
                None,
                "portal",
                None,
                household,
                verified,
                "code" if verified else None,
                False,
                stamp(moment),
                handled,
                "bench" if handled else None,
                None,
            )
        )
    with sqlite3.connect(hub.settings.data_dir / "hub.sqlite3") as connection:
        connection.executemany(f"INSERT INTO checkins ({COLUMNS}) VALUES ({', '.join('?' * 16)})", rows)


def best_ms(call: Callable[[], object]) -> float:
    """The fastest of ``REPEAT`` calls after a warm-up: the least disturbed by other work on the
    machine (the median is in growth.json as well)."""
    for _ in range(3):
        call()
    times = []
    for _ in range(REPEAT):
        begin = time.perf_counter()
        call()
        times.append((time.perf_counter() - begin) * 1000)
    MEDIANS.append(statistics.median(times))
    return min(times)


def measure(tmp_path: Path, count: int) -> dict[str, float]:
    settings = load_settings(
        data_dir=tmp_path / f"data-{count}",
        rate_limit=0,
        secret_key="bench-secret-key-0123456789-abcdefghijklmnop",
    )
    hub = Hub.from_settings(settings)
    result: dict[str, float] = {}
    MEDIANS.clear()
    with LiveServer(settings, hub) as live:
        seed(hub, count)
        make_user(hub, "coord")
        with live.client() as http:
            assert login(http, "coord").status_code in (200, 303)
            for name, path in VIEWS.items():

                def get(p: str = path) -> None:
                    response = http.get(p)
                    assert response.status_code == 200, (p, response.status_code)

                result[name] = best_ms(get)

        late = time.monotonic() + (hub.settings.escalation_hours + 1) * 3600  # every household due

        def plan() -> escalation.EscalationPlan | None:
            with hub.db.read() as session:
                return escalation.plan_escalation(session, hub.settings.escalation_hours, mono=late)

        result["escalation: read (beside the writer)"] = best_ms(plan)
        made = plan()
        assert made is not None
        result["escalation: write (in the writer)"] = best_ms(
            lambda: hub.db.writer.run_sync(lambda s: escalation.apply_escalation(s, hub.ctx, made))
        )
    result.update({f"{name} (median)": m for name, m in zip(list(result), MEDIANS, strict=True)})
    return result


@pytest.mark.bench
def test_views_stay_flat_as_check_ins_grow(tmp_path: Path) -> None:
    by_size = {count: measure(tmp_path, count) for count in SIZES}
    names = [name for name in by_size[SIZES[0]] if not name.endswith("(median)")]
    lines = [
        f"| view (ms, best of {REPEAT}) | " + " | ".join(f"{c // 1000}k" for c in SIZES) + " | 100k / 1k |",
        "|---|" + "---:|" * (len(SIZES) + 1),
    ]
    for name in names:
        figures = [by_size[c][name] for c in SIZES]
        ratio = figures[-1] / figures[0] if figures[0] else float("nan")
        lines.append(f"| {name} | " + " | ".join(f"{f:.1f}" for f in figures) + f" | {ratio:.2f} |")
    table = "\n".join(lines)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "growth.json").write_text(json.dumps({str(c): r for c, r in by_size.items()}, indent=2))
    print("\nGrowth benchmark (check-ins over 72 h, 5,000 addresses):\n" + table)
