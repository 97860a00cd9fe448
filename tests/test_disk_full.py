"""A full disk answers 503, keeps every acknowledged row, and recovers when space returns."""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.config import load_settings
from tests.conftest import LiveServer


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4M", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def test_full_disk_answers_503_and_loses_nothing(small_disk: Path) -> None:
    settings = load_settings(data_dir=small_disk, rate_limit=0)
    acknowledged: list[str] = []
    refused = 0
    with LiveServer(settings) as live, live.client() as http:
        assert (
            http.post("/api/v1/checkins", json={"address": "Kerkstraat 1", "status": "ok"}).status_code == 201
        )
        ballast = small_disk / "ballast"
        free = subprocess.run(
            ["df", "--output=avail", "-B1", str(small_disk)], capture_output=True, text=True
        )
        ballast.write_bytes(b"\0" * max(int(free.stdout.split()[-1]) - 96 * 1024, 0))
        for n in range(3000):
            response = http.post(
                "/api/v1/checkins", json={"address": f"Kerkstraat {n}", "status": "ok", "note": "x" * 250}
            )
            if response.status_code == 201:
                acknowledged.append(response.json()["id"])
            else:
                assert response.status_code == 503, response.text
                assert "Nothing was stored" in response.json()["detail"]
                refused += 1
                if refused >= 5:
                    break
        assert refused >= 5, "the disk never filled up"
        ballast.unlink()
        recovered = http.post("/api/v1/checkins", json={"address": "Molenweg 3", "status": "ok"})
        assert recovered.status_code == 201
        acknowledged.append(recovered.json()["id"])
        assert http.get("/healthz").status_code == 200
    connection = sqlite3.connect(small_disk / "hub.sqlite3")
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = {row[0] for row in connection.execute("SELECT id FROM checkins")}
        seqs = [row[0] for row in connection.execute("SELECT seq FROM outbox ORDER BY seq")]
    finally:
        connection.close()
    assert set(acknowledged) <= stored
    assert seqs == list(range(1, len(seqs) + 1))
    assert len(stored) == len(seqs)


def test_health_answers_503_while_writes_cannot_reach_the_disk(small_disk: Path) -> None:
    settings = load_settings(data_dir=small_disk, rate_limit=0)
    with LiveServer(settings) as live, live.client() as http:
        assert http.get("/healthz").status_code == 200
        ballast = small_disk / "ballast"
        free = subprocess.run(
            ["df", "--output=avail", "-B1", str(small_disk)], capture_output=True, text=True
        )
        ballast.write_bytes(b"\0" * max(int(free.stdout.split()[-1]) - 96 * 1024, 0))
        refused = 0
        for n in range(3000):
            body = {"address": f"Kerkstraat {n}", "status": "ok", "note": "x" * 250}
            if http.post("/api/v1/checkins", json=body).status_code == 503:
                refused += 1
                if refused >= 3:
                    break
        assert refused >= 3, "the disk never filled up"
        for _ in range(3):  # and it stays so: its own probe does not make it healthy again
            health = http.get("/healthz")
            assert health.status_code == 503, health.text
        ballast.unlink()
        assert http.get("/healthz").status_code == 200
        recovered = http.post("/api/v1/checkins", json={"address": "Molenweg 3", "status": "ok"})
        assert recovered.status_code == 201
        assert http.get("/healthz").status_code == 200
