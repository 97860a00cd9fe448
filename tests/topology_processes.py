"""The processes of the test topology (``tests/topology.py``), each stoppable and killable.

``Mosquitto`` (a broker on a fixed port), ``InternetLink`` (a TCP relay that can be cut),
``HubProcess`` (``hub serve``), ``RegionProcess`` (``hub upstream``) and ``MqttWatcher`` (a
plain MQTT client that publishes and collects).
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import httpx

from hub.sync.client import (
    SESSION_EXPIRY,
    BrokerEvent,
    Connected,
    PahoClient,
    Published,
    Received,
    parse_broker_url,
)
from tests.conftest import ReservedPort

REPO = Path(__file__).resolve().parents[1]
MOSQUITTO = "/usr/sbin/mosquitto"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(condition: Callable[[], object], timeout: float, what: str, every: float = 0.1) -> None:
    """Poll ``condition`` until it is true; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


class Mosquitto:
    """A Mosquitto process on a fixed port; ``stop`` (SIGTERM, saves), ``kill`` (SIGKILL), ``start``."""

    def __init__(self, name: str, root: Path, port: int, config: Path, data: Path | None = None) -> None:
        self.name = name
        self.data = data
        self.root = root
        self.port = port
        self.config = config
        self.url = f"mqtt://127.0.0.1:{port}"
        self.log = root / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._reserved: ReservedPort | None = None  # held while stopped: see ReservedPort

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        if self.running:
            return
        if self._reserved is not None:
            self._reserved.release()
            self._reserved = None
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [MOSQUITTO, "-c", str(self.config)], stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mosquitto {self.name} exited:\n{self.log.read_text()[-2000:]}")
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"mosquitto {self.name} did not listen on {self.port}")

    def stop(self) -> None:
        """A clean stop: Mosquitto saves its database on SIGTERM."""
        if self.process is not None:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGCONT)
                self.process.terminate()
                self.process.wait(timeout=15)
            self.process = None
            self._reserved = ReservedPort(self.port)

    def kill(self, *, lose_data: bool = False) -> None:
        """SIGKILL: what a power cut does to the broker. ``lose_data``: its database is gone too
        (what a broker with Debian's default configuration loses: everything since its last save)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None
            self._reserved = ReservedPort(self.port)
        if lose_data and self.data is not None:
            for path in self.data.glob("*"):
                path.unlink()

    def restart(self) -> None:
        self.stop()
        self.start()

    def pause(self) -> None:
        """SIGSTOP: a black hole (TCP accepted, nothing answered)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)


class InternetLink:
    """A TCP relay between a bridge and the upstream broker that can be cut and restored."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._server.getsockname()[1])
        self._up = threading.Event()
        self._up.set()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._closed = False
        self._thread = threading.Thread(target=self._accept, name="internet", daemon=True)
        self._thread.start()

    @property
    def up(self) -> bool:
        return self._up.is_set()

    def cut(self) -> None:
        """Drop every connection and refuse new ones until ``restore``."""
        self._up.clear()
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._sockets.clear()

    def restore(self) -> None:
        self._up.set()

    def close(self) -> None:
        self._closed = True
        self.cut()
        self._server.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            if not self._up.is_set():
                client.close()
                continue
            try:
                remote = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                client.close()
                continue
            remote.settimeout(None)
            with self._lock:
                self._sockets.update((client, remote))
            for source, sink in ((client, remote), (remote, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        with self._lock:
            for sock in (source, sink):
                if sock in self._sockets:
                    self._sockets.discard(sock)
                    sock.close()


def _python_env(env: Mapping[str, str]) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    base["PYTHONPATH"] = str(REPO)
    base.update(env)
    return base


class HubProcess:
    """``hub serve`` as systemd runs it; ``stop``, ``power_cut`` (SIGKILL), ``start`` again."""

    def __init__(self, root: Path, env: Mapping[str, str]) -> None:
        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = root / "data"
        self.env = _python_env({"HUB_DATA_DIR": str(self.data_dir), "HUB_RATE_LIMIT": "0", **env})
        self.log = root / "hub.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "hub", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for(self._healthy, 60, f"the hub to serve (log: {self.log})")

    def _healthy(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(f"hub serve exited:\n{self.log.read_text()[-3000:]}")
        try:
            return httpx.get(self.url + "/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def power_cut(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.process = None

    def cli(self, *args: str, stdin: str | None = None) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "hub", *args],
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    @property
    def database(self) -> Path:
        return self.data_dir / "hub.sqlite3"

    def query(self, sql: str, *args: object) -> list[tuple[Any, ...]]:
        """Read the hub's SQLite file directly (a second reader beside the running hub)."""
        connection = sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=10)
        try:
            return connection.execute(sql, args).fetchall()
        finally:
            connection.close()

    def sync_status(self) -> dict[str, Any]:
        """``sync`` of ``/api/v1/status`` (state, unsent, unconfirmed, ...)."""
        status: dict[str, Any] = httpx.get(self.url + "/api/v1/status", timeout=10).json()["sync"]
        return status


class RegionProcess:
    """``hub upstream`` (the region's reference consumer) in its own process."""

    def __init__(
        self,
        root: Path,
        broker: Mosquitto,
        env: Mapping[str, str] | None = None,
        *,
        db_url: str | None = None,
    ) -> None:
        self.db = root / "region.sqlite3"
        self.db_url = db_url or f"sqlite:///{self.db}"  # a PostgreSQL URL: the region as it runs
        self.broker = broker
        self.env = _python_env(dict(env or {}))
        self.log = root / "region.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "hub", "upstream", "--mqtt", self.broker.url,
                 "--db", self.db_url, "--client-id", "region", "--overview-every", "0"],
                env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        if self.db_url.startswith("sqlite"):
            wait_for(lambda: self.db.exists(), 30, "hub upstream to create its database")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.process = None

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def _query(self, sql: str, *args: object) -> list[tuple[Any, ...]]:
        if not self.db.exists():
            return []
        connection = sqlite3.connect(self.db, timeout=10)
        try:
            return connection.execute(sql, args).fetchall()
        except sqlite3.OperationalError:  # the table is not there yet
            return []
        finally:
            connection.close()

    def stored_seqs(self, hub_id: str) -> list[int]:
        """The seqs the region stored for ``hub_id``, in order (each once: the id is the key)."""
        rows = self._query("SELECT seq FROM upstream_events WHERE hub = ? ORDER BY seq", hub_id)
        return [int(seq) for (seq,) in rows]

    def events(self, hub_id: str) -> list[dict[str, Any]]:
        """The events the region stored for ``hub_id``: ``{id, seq, type, data}`` in seq order."""
        rows = self._query(
            "SELECT id, seq, type, data FROM upstream_events WHERE hub = ? ORDER BY seq", hub_id
        )
        return [{"id": i, "seq": int(s), "type": t, "data": json.loads(d)} for i, s, t, d in rows]


class MqttWatcher:
    """A plain MQTT client on one broker (our paho adapter) that publishes and collects messages.

    Its session ends when it disconnects unless ``persistent``.
    """

    def __init__(
        self, broker_url: str, client_id: str, topics: Iterable[str] = (), *, persistent: bool = False
    ) -> None:
        self.events: queue.Queue[BrokerEvent] = queue.Queue()
        self.client = PahoClient(
            parse_broker_url(broker_url),
            client_id,
            self.events.put,
            keepalive=5,
            session_expiry=SESSION_EXPIRY if persistent else 0,
        )
        self.received: list[Received] = []
        self._acked: set[int] = set()
        self.client.connect()
        event = self.events.get(timeout=10)
        if not isinstance(event, Connected):
            raise AssertionError(f"{client_id} could not connect to {broker_url}: {event}")
        if topics := list(topics):
            self.client.subscribe(topics)
            time.sleep(0.3)

    def publish(self, topic: str, payload: bytes, *, retain: bool = False, timeout: float = 10) -> None:
        """Publish at QoS 1 and wait for the broker's PUBACK."""
        mid = self.client.publish(topic, payload, qos=1, retain=retain)
        wait_for(lambda: self._drain() or mid in self._acked, timeout, f"PUBACK for {topic}", every=0.02)

    def collect(self, seconds: float) -> list[Received]:
        """Gather what arrives for ``seconds``; returns everything received so far."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self._drain(0.05)
        return self.received

    def _drain(self, wait: float = 0.0) -> bool:
        try:
            while True:
                event = self.events.get(timeout=wait) if wait else self.events.get_nowait()
                wait = 0.0
                if isinstance(event, Received):
                    self.received.append(event)
                    self.client.ack(event.mid, event.qos)
                elif isinstance(event, Published):
                    self._acked.add(event.mid)
        except queue.Empty:
            return False

    def close(self) -> None:
        self.client.close()
