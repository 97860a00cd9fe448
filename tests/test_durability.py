"""Kill the hub with SIGKILL while residents check in: nothing acknowledged is lost or doubled."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port


def start_hub(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "HUB_DATA_DIR": str(data_dir), "HUB_RATE_LIMIT": "0", "HUB_RADIO": "none"}
    env.pop("HUB_CONFIG", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "hub", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("hub did not start")


class Residents:
    """Concurrent clients that remember every check-in the hub answered 201 to."""

    def __init__(self, port: int, clients: int) -> None:
        self.url = f"http://127.0.0.1:{port}/api/v1/checkins"
        self.acknowledged: dict[str, str] = {}  # idempotency key -> id
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(n,)) for n in range(clients)]

    def _run(self, client: int) -> None:
        with httpx.Client(timeout=5) as http:
            n = 0
            while not self.stop.is_set():
                n += 1
                key = f"c{client}-{n}-{time.monotonic_ns()}"
                try:
                    response = http.post(
                        self.url,
                        json={"address": f"Kerkstraat {n}", "status": "ok", "note": key},
                        headers={"Idempotency-Key": key},
                    )
                except httpx.HTTPError:
                    continue  # the hub died mid-request: not acknowledged
                if response.status_code == 201:
                    with self.lock:
                        self.acknowledged[key] = response.json()["id"]

    def __enter__(self) -> Residents:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()


def check_database(db: Path, acknowledged: dict[str, str]) -> None:
    connection = sqlite3.connect(db)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = connection.execute("SELECT id, note FROM checkins").fetchall()
        seqs = [row[0] for row in connection.execute("SELECT seq FROM outbox ORDER BY seq")]
        events = connection.execute("SELECT count(*) FROM outbox WHERE type = 'checkin.created'").fetchone()[
            0
        ]
    finally:
        connection.close()
    by_note: dict[str, list[str]] = {}
    for record_id, note in rows:
        by_note.setdefault(note, []).append(record_id)
    for key, record_id in acknowledged.items():
        assert by_note.get(key) == [record_id], f"acknowledged check-in {key} lost or doubled"
    assert all(len(ids) == 1 for ids in by_note.values()), "a check-in was stored twice"
    assert seqs == list(range(1, len(seqs) + 1)), "outbox seq has a gap"
    assert events == len(rows), "a check-in without its outbox event, or the reverse"


def wait_for_acknowledged(residents: Residents, count: int) -> None:
    deadline = time.monotonic() + 60
    while len(residents.acknowledged) < count and time.monotonic() < deadline:
        time.sleep(0.005)


@pytest.mark.parametrize("kill_after", [5, 150, 500])
def test_sigkill_during_checkins_loses_nothing_acknowledged(tmp_path: Path, kill_after: int) -> None:
    """Kill at several points: right at the start, mid-stream and later, twice each."""
    data_dir = tmp_path / "data"
    port = free_port()
    acknowledged: dict[str, str] = {}
    for round_ in range(2):
        process = start_hub(data_dir, port)
        with Residents(port, clients=8) as residents:
            wait_for_acknowledged(residents, kill_after * (round_ + 1))
            process.send_signal(signal.SIGKILL)
            process.wait()
        acknowledged.update(residents.acknowledged)
        assert residents.acknowledged, "no check-in was acknowledged before the kill"
    process = start_hub(data_dir, port)
    try:
        check_database(data_dir / "hub.sqlite3", acknowledged)
        # The restarted hub still takes check-ins and continues the outbox sequence.
        response = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/checkins", json={"address": "Molenweg 1", "status": "ok"}
        )
        assert response.status_code == 201
    finally:
        process.terminate()
        process.wait(timeout=20)
    check_database(data_dir / "hub.sqlite3", acknowledged)
