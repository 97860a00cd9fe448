"""Events per second into the region's PostgreSQL: 1 and 2 consumers against raw inserts, same run.

    make bench   (or: pytest -m bench tests/bench/test_region_bench.py -s)

The same 20,000 events (40 hubs × 500) three ways, into one PostgreSQL (the tests' own cluster,
or ``HUB_TEST_POSTGRES_URL``'s server):

- raw: SQLAlchemy core ``INSERT`` of the rows, 100 per transaction (the consumer's batch);
- 1 consumer / 2 consumers: published QoS 1 to one Mosquitto (in memory) beforehand (queued in the
  consumers' persistent sessions), then ``hub upstream`` processes on one MQTT 5 shared
  subscription drain them: parse, ``INSERT … ON CONFLICT DO NOTHING``, move the hubs' marks,
  commit, acknowledge, send receipts.

Each is run ``ROUNDS`` times, alternating, and the best of each counts (a shared machine's load
comes and goes; the best run is the least disturbed). Every run checks the result: every event
stored once, every hub confirmed to the end. Prints events/s of each and the ratio to raw, with
the load average, and writes them to ``artifacts/bench/region.json``; nothing asserts a speed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as paho
import pytest
import sqlalchemy as sa
from paho.mqtt.enums import CallbackAPIVersion

from hub.models import new_id
from hub.region.store import RegionStore, events_table, hubs_table
from hub.sync.envelope import encode_event
from tests.sync.conftest import MosquittoBroker, wait_for
from tests.sync.test_region_failover import connected, stored

HUBS = 40
PER_HUB = 500
N = HUBS * PER_HUB
ROOT = "buurtbaken/v1"
ROUNDS = 2
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "bench"


def make_events() -> list[tuple[str, bytes]]:
    at = datetime.now(UTC)
    events = []
    for seq in range(1, PER_HUB + 1):
        for n in range(HUBS):
            hub = f"hub-{n:02d}"
            data = {"id": new_id(), "street": "Kerkstraat", "status": "ok", "people": seq % 5 + 1}
            payload = encode_event(hub, seq, new_id(), "checkin.created", at, data)
            events.append((f"{ROOT}/hubs/{hub}/events", payload))
    return events


def raw_seconds(store: RegionStore, events: list[tuple[str, bytes]]) -> float:
    rows = []
    for _topic, payload in events:
        e = json.loads(payload)
        rows.append(
            {
                "id": e["id"],
                "hub": e["hub"],
                "seq": e["seq"],
                "type": e["type"],
                "at": e["at"],
                "data": json.dumps(e["data"], ensure_ascii=False),
                "received_at": datetime.now(UTC),
            }
        )
    started = time.perf_counter()
    for start in range(0, len(rows), 100):
        with store.engine.begin() as conn:
            conn.execute(events_table.insert(), rows[start : start + 100])
    return time.perf_counter() - started


def publish_all(broker: MosquittoBroker, events: list[tuple[str, bytes]]) -> None:
    done = threading.Event()
    acked = 0

    def on_publish(*_args: object) -> None:
        nonlocal acked
        acked += 1
        if acked == len(events):
            done.set()

    client = paho.Client(CallbackAPIVersion.VERSION2, client_id="bench-hubs", protocol=paho.MQTTv5)
    client.max_inflight_messages_set(256)
    client.on_publish = on_publish
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    for topic, payload in events:
        client.publish(topic, payload, qos=1)
    assert done.wait(300), f"only {acked} PUBACKs"
    client.disconnect()
    client.loop_stop()


def consumer(name: str, broker: MosquittoBroker, db_url: str, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "hub", "upstream", "--mqtt", broker.url, "--db", db_url]
    command += ["--share", "bench", "--client-id", name, "--session-expiry", "600", "--overview-every", "0"]
    with log.open("wb") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)


def consumers_seconds(
    tmp_path: Path, store: RegionStore, db_url: str, events: list[tuple[str, bytes]], count: int
) -> float:
    """Subscribe ``count`` consumers, stop them, queue every event, start them: seconds to drain."""
    broker = MosquittoBroker(tmp_path / f"broker-{count}")
    # The broker in memory: this measures the consumers and PostgreSQL, not Mosquitto's saves
    # (which rewrite its whole database, here 20,000 queued messages, on every change).
    lines = broker.config.read_text().splitlines()
    broker.config.write_text(
        "\n".join(line for line in lines if not line.startswith(("persistence", "autosave")))
    )
    broker.start()
    names = [f"bench-{count}-{n}" for n in range(count)]
    try:
        processes = [consumer(name, broker, db_url, tmp_path / f"{name}.log") for name in names]
        for name in names:
            wait_for(lambda n=name: connected(broker, n), 30, f"{name} subscribed")
        for process in processes:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
        publish_all(broker, events)  # queued in the consumers' sessions, shared between them
        started = time.perf_counter()
        processes = [consumer(name, broker, db_url, tmp_path / f"{name}-2.log") for name in names]
        wait_for(lambda: stored(store.engine) >= N, 300, "every event stored", 0.05)
        seconds = time.perf_counter() - started
        for process in processes:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
        return seconds
    finally:
        broker.stop()


def empty(store: RegionStore) -> None:
    with store.engine.begin() as conn:
        conn.execute(events_table.delete())
        conn.execute(hubs_table.delete())


def check_and_empty(store: RegionStore) -> None:
    """Every event once, every hub confirmed to the end; then an empty store for the next run."""
    with store.engine.connect() as conn:
        marks = dict(conn.execute(sa.select(hubs_table.c.hub, hubs_table.c.confirmed)).all())
        count = conn.execute(sa.select(sa.func.count()).select_from(events_table)).scalar_one()
    assert count == N
    assert marks in ({}, {f"hub-{n:02d}": PER_HUB for n in range(HUBS)})  # raw inserts move no marks
    empty(store)


@pytest.mark.bench
def test_events_per_second_into_postgresql(tmp_path: Path, postgres_url: str) -> None:
    store = RegionStore(postgres_url)
    store.create()
    events = make_events()
    runs: dict[str, list[float]] = {"raw inserts": [], "1 consumer": [], "2 consumers": []}
    loads = [os.getloadavg()[0]]
    try:
        for round_ in range(ROUNDS):
            runs["raw inserts"].append(N / raw_seconds(store, events))
            check_and_empty(store)
            for count, name in ((1, "1 consumer"), (2, "2 consumers")):
                seconds = consumers_seconds(tmp_path / f"round-{round_}", store, postgres_url, events, count)
                runs[name].append(N / seconds)
                check_and_empty(store)
            loads.append(os.getloadavg()[0])
    finally:
        store.dispose()
    figures = {name: max(rates) for name, rates in runs.items()}
    raw = figures["raw inserts"]
    print(
        f"\nregion store, {N} events ({HUBS} hubs × {PER_HUB}), PostgreSQL, batches of 100, best of {ROUNDS}:"
    )
    for name, rate in figures.items():
        each = [round(r) for r in runs[name]]
        print(f"  {name:12s} {rate:8.0f} events/s  ({rate / raw:.2f} of raw)  runs: {each}")
    print(
        f"  load average (1 min) during the runs: {min(loads):.1f}–{max(loads):.1f} on {os.cpu_count()} cores"
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    result = {
        "events": N,
        "hubs": HUBS,
        "rounds": ROUNDS,
        "events_per_second": {name: round(rate) for name, rate in figures.items()},
        "ratio_to_raw": {name: round(rate / raw, 3) for name, rate in figures.items()},
        "runs": {name: [round(r) for r in rates] for name, rates in runs.items()},
        "load_average": [round(load, 2) for load in loads],
        "cores": os.cpu_count(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    (ARTIFACTS / "region.json").write_text(json.dumps(result, indent=2))
