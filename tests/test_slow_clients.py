"""Slow clients on the open Wi-Fi cannot hold the hub: the server as ``hub serve`` runs it."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from hub.config import Settings, load_settings
from hub.serve import server_config
from tests.conftest import LiveServer

SLOW = 1000
LIMIT = 10
TIMEOUT = 2.0


class HubServer(LiveServer):
    """The app served the way ``hub serve`` serves it (with the connection limits)."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        config = server_config(self.app, settings, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[HubServer]:
    settings = load_settings(
        data_dir=tmp_path / "data",
        rate_limit=0,
        header_timeout=TIMEOUT,
        body_timeout=TIMEOUT,
        max_connections_per_client=LIMIT,
    )
    with HubServer(settings) as server:
        yield server


class SlowClient:
    """A connection from 127.0.0.1 that sends part of a request and then waits."""

    def __init__(self, port: int, n: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=("127.0.0.1", 0))
        if n % 2:  # all of the headers, part of the body
            self.sock.sendall(
                b"POST /api/v1/checkins HTTP/1.1\r\nHost: hub\r\ncontent-type: application/json\r\n"
                b'content-length: 60\r\n\r\n{"address": "Kerk'
            )
        else:  # part of the headers
            self.sock.sendall(b"POST /api/v1/checkins HTTP/1.1\r\nHost: hub\r\nUser-Agent: slo")
        self.sock.setblocking(False)
        self.answer = b""
        self.closed = False

    def poll(self) -> bool:
        """Whether the server has closed this connection (reading what it answered)."""
        while not self.closed:
            try:
                data = self.sock.recv(4096)
            except BlockingIOError:
                return False
            except ConnectionResetError:
                data = b""
            self.answer += data
            if not data:
                self.closed = True
                self.sock.close()
        return True


def test_a_thousand_slow_connections_do_not_lock_a_resident_out(guarded: HubServer) -> None:
    opened = time.monotonic()
    slow = [SlowClient(guarded.port, n) for n in range(SLOW)]
    try:
        transport = httpx.HTTPTransport(local_address="127.0.0.2")
        with httpx.Client(base_url=guarded.url, transport=transport, timeout=5) as resident:
            started = time.monotonic()
            answer = resident.post("/api/v1/checkins", json={"address": "Kerkstraat 1", "status": "ok"})
            took = time.monotonic() - started
        assert answer.status_code == 201
        assert took < 1.0, f"the resident waited {took:.2f} s"

        still_open = [client for client in slow if not client.poll()]
        assert len(still_open) <= LIMIT
        refused = [client for client in slow if client.closed]
        assert all(b"429 Too Many Requests" in client.answer for client in refused[:50])
        assert all(b"x-content-type-options: nosniff" in client.answer for client in refused[:50])

        deadline = opened + TIMEOUT + 10
        while still_open and time.monotonic() < deadline:
            time.sleep(0.1)
            still_open = [client for client in still_open if not client.poll()]
        assert not still_open, f"{len(still_open)} slow connections still open"
        assert time.monotonic() - opened >= TIMEOUT * 0.9  # held until the timeout, not before
        timed_out = [client for client in slow if b"408 Request Timeout" in client.answer]
        assert len(timed_out) == LIMIT
    finally:
        for client in slow:
            client.sock.close()


def test_a_request_that_arrives_in_time_is_answered(guarded: HubServer) -> None:
    """Several requests on one kept-alive connection, each in time: all answered."""
    with httpx.Client(base_url=guarded.url, timeout=5) as http:
        for n in range(3):
            answer = http.post("/api/v1/checkins", json={"address": f"Kerkstraat {n}", "status": "ok"})
            assert answer.status_code == 201
            time.sleep(TIMEOUT / 2)


def test_a_kept_alive_connection_that_trickles_its_next_request_is_closed(guarded: HubServer) -> None:
    with socket.create_connection(("127.0.0.1", guarded.port), timeout=TIMEOUT + 5) as sock:
        sock.sendall(b"GET /api/v1/status HTTP/1.1\r\nHost: hub\r\n\r\n")
        first = sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        sock.sendall(b"GET /api/v1/status HTTP/1.1\r\nHost: hub\r\nX-Slow: ")
        answer = b""
        for _ in range(int(TIMEOUT * 4) + 8):  # one byte of the next request every 0.25 s
            try:
                sock.sendall(b"a")
            except (BrokenPipeError, ConnectionResetError):
                break
            time.sleep(0.25)
            sock.setblocking(False)
            try:
                chunk = sock.recv(4096)
            except BlockingIOError:
                chunk = None
            except ConnectionResetError:
                chunk = b""
            sock.setblocking(True)
            if chunk is not None:
                answer += chunk
                if not chunk:
                    break
        took = time.monotonic() - started
    assert b"408 Request Timeout" in answer
    assert b"content-security-policy: " in answer  # the security headers, on the raw answer too
    assert took < TIMEOUT + 1.5


def _websocket_handshake(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(
            b"GET / HTTP/1.1\r\nHost: hub\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        return answer


def test_a_websocket_handshake_is_no_way_around_the_connection_limit(
    guarded: HubServer, caplog: pytest.LogCaptureFixture
) -> None:
    """The hub serves no WebSocket: a handshake is answered as the HTTP request it also is, and
    its connection counts (and stops counting) like any other; nothing is logged for it."""
    with caplog.at_level(logging.WARNING):
        answers = [_websocket_handshake(guarded.port) for _ in range(LIMIT + 2)]

    assert all(answer.startswith(b"HTTP/1.1 200") for answer in answers)  # the portal's home page
    assert all(b"x-content-type-options: nosniff" in answer for answer in answers)
    with httpx.Client(base_url=guarded.url, timeout=5) as resident:
        assert resident.get("/api/v1/status").status_code == 200
    assert not [record for record in caplog.records if record.name.startswith("uvicorn")]
