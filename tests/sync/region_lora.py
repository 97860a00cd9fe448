"""What the region's LoRa proofs check at the end, and how they start the station."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from sqlalchemy import func, select

from hub.region import delivery_view
from hub.region.store import RegionStore, events_table, hubs_table


def assert_every_event_once(store: RegionStore, hubs: Iterable[str]) -> None:
    """No LoRa placeholder left, and every hub's events stored once, confirmed, with no gap."""
    with store.engine.connect() as conn:
        per_hub = {
            hub: (int(events), int(confirmed))
            for hub, events, confirmed in conn.execute(
                select(hubs_table.c.hub, hubs_table.c.events, hubs_table.c.confirmed)
            )
        }
        stored = dict(
            conn.execute(select(events_table.c.hub, func.count()).group_by(events_table.c.hub)).all()
        )
        placeholders = conn.execute(select(func.count()).where(events_table.c.seq < 0)).scalar()
    assert placeholders == 0
    for hub in hubs:
        events, confirmed = per_hub[hub]
        assert events == confirmed == stored[hub], f"{hub}: every event once, no gap"


def arrived(store: RegionStore, message: str) -> set[str]:
    """The hubs whose `arrived` receipt for ``message`` reached the region."""
    return {d.hub for d in delivery_view.states(store, message) if d.reached("arrived")}


def start_station(
    log: Path, port: int, db: str, key_file: Path, hubs: Iterable[str], env: Mapping[str, str]
) -> subprocess.Popen[bytes]:
    """``hub region station`` on the simulated radio at ``port``, quick retries for a test."""
    return subprocess.Popen(
        [sys.executable, "-m", "hub", "region", "station",
         "--radio", f"tcp://127.0.0.1:{port}", "--db", db, "--region-key-file", str(key_file),
         "--hubs", ",".join(hubs), "--retry-seconds", "3", "--gap-seconds", "0.3"],
        env=dict(env), stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip


def stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is None:
        return
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
