"""The region's web service on a real PostgreSQL, served by uvicorn on a free port."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import uvicorn

from hub.models import new_id
from hub.region import accounts
from hub.region.store import RegionStore
from hub.region.web import Region, open_region, server_config
from hub.sync.envelope import Envelope
from tests.conftest import free_port

PASSWORD = "a-long-password-1"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


class RegionServer:
    def __init__(self, region: Region) -> None:
        self.region = region
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(server_config(region, "127.0.0.1", self.port))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> RegionServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=20)

    @contextmanager
    def login(self, name: str, password: str = PASSWORD) -> Iterator[httpx.Client]:
        with self.client() as client:
            answer = client.post("/login", data={"name": name, "password": password})
            assert answer.status_code == 303, answer.text
            yield client


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


@pytest.fixture
def region(postgres_url: str) -> Iterator[Region]:
    made = open_region(postgres_url, stale_minutes=30, topic_root="buurtbaken/v1")
    accounts.add_user(made.engine, "olga", PASSWORD, "officer")
    accounts.add_user(made.engine, "victor", PASSWORD, "viewer")
    yield made
    made.store.dispose()


@pytest.fixture
def region_server(region: Region) -> Iterator[RegionServer]:
    with RegionServer(region) as server:
        yield server


class HubFeed:
    """Events of one hub, stored the way ``hub upstream`` stores them (``RegionStore.store``)."""

    def __init__(self, store: RegionStore, hub: str) -> None:
        self.store = store
        self.hub = hub
        self.seq = 0

    def send(self, event_type: str, data: dict[str, Any]) -> None:
        self.seq += 1
        envelope = Envelope(
            id=new_id(), hub=self.hub, seq=self.seq, type=event_type, at=datetime.now(UTC), data=data
        )
        self.store.store([envelope])


def status_data(
    name: str, lat: float | None, lon: float | None, *, mode: str = "normal", **figures: Any
) -> dict[str, Any]:
    """A ``hub.status`` event's data as ``hub.services.scheduled.hub_status`` writes it."""
    base = {
        "since": None,
        "drill": mode == "drill",
        "households_checked_in": 0,
        "households_ok": 0,
        "households_help": 0,
        "open_needs": 0,
        "open_needs_urgent": 0,
        "open_needs_by_category": {},
        "open_needs_by_urgency": {},
        "special_attention_registered": 0,
        "special_attention_reached": 0,
        "special_attention_not_reached": 0,
        "volunteers_available": 0,
        "tasks_open": 0,
    }
    base.update(figures)
    return {
        "name": name,
        "lat": lat,
        "lon": lon,
        "mode": mode,
        "mode_since": None,
        "clock_trusted": True,
        "links": {"mesh": True, "sync": True, "scheduler": True},
        "outbox": {"unsent": 0, "unconfirmed": 0},
        "open_alerts": 0,
        "addresses_known": 0,
        "figures": base,
    }
