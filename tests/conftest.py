"""Shared fixtures: real SQLite files in tmp_path, the real app under uvicorn on a free port."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from hub.app import create_app
from hub.config import Settings, load_settings
from hub.runtime import Hub
from tests.postgres import PostgresServer
from tests.postgres import postgres_server as serve_postgres


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ReservedPort:
    """A free port held bound (not listening) until its server starts, and again after it stops.

    The kernel gives a bound port to nobody else's ``bind(0)``: a test that starts its broker
    late (the region's broker is "unreachable until Monday") does not find another test's
    server on its port when it does. ``release`` just before the server binds it.
    """

    def __init__(self, port: int = 0) -> None:
        """A free port (``port`` 0), or ``port`` held if nobody has it."""
        self.port = port
        self._sock: socket.socket | None = None
        self.hold()

    def release(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def hold(self) -> None:
        """Bind it again (after the server stopped); best effort: someone may have it by now."""
        if self._sock is not None:
            return
        sock = socket.socket()
        try:
            sock.bind(("127.0.0.1", self.port))
        except OSError:
            sock.close()
            return
        self._sock = sock
        self.port = int(sock.getsockname()[1])


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(
        data_dir=tmp_path / "data", rate_limit=0, secret_key="test-secret-key-0123456789-abcdefghijklmnop"
    )


@pytest.fixture
def hub(settings: Settings) -> Iterator[Hub]:
    """A started hub without HTTP, for service tests."""
    the_hub = Hub.from_settings(settings)
    the_hub.start()
    yield the_hub
    the_hub.stop()


class LiveServer:
    """The app served by uvicorn in a thread, reached over real HTTP."""

    def __init__(self, settings: Settings, hub: Hub | None = None, *, defer_admin: bool = True) -> None:
        self.hub = hub or Hub.from_settings(settings)
        self.app = create_app(settings, self.hub, defer_admin=defer_admin)  # as ``hub serve`` builds it
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
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

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=20, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def live(settings: Settings) -> Iterator[LiveServer]:
    with LiveServer(settings) as server:
        yield server


@pytest.fixture
def client(live: LiveServer) -> Iterator[httpx.Client]:
    with live.client() as http:
        yield http


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """``HUB_TEST_POSTGRES_URL``'s server, else a cluster of this session's own (tests/postgres.py)."""
    yield from serve_postgres()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    url = postgres_server.create_database()
    yield url
    postgres_server.drop_database(url)
