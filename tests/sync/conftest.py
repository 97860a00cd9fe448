"""A real Mosquitto per test on a free port, hubs with a sync link, the upstream consumer."""

from __future__ import annotations

import getpass
import os
import queue
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from hub.config import Settings, load_settings
from hub.models import OutboxEvent, new_id
from hub.runtime import Hub
from hub.schemas import CheckInCreate
from hub.services.outbox import depth, next_seq
from hub.services.residents import create_checkin
from hub.sync.client import BrokerEvent, Connected, PahoClient, Received, parse_broker_url
from hub.sync.link import SyncLink
from hub.sync.upstream import UpstreamConsumer
from tests.conftest import ReservedPort

MOSQUITTO = "/usr/sbin/mosquitto"


class MosquittoBroker:
    """Our own broker: saves on every change, no queue limit; killable and freezable.

    Its database lives in memory-backed ``/dev/shm`` unless ``on_disk``: saving on every change
    costs an fsync per message on disk (≈ 370 msg/s here, ≈ 1,100 in memory), and a SIGKILL of
    the process loses exactly as much either way (the kernel keeps the written file).

    ``save_every_change=False``: a regional broker's setting, a save once a second. Each save
    rewrites the whole database, so saving on every change costs O(queued) per message: with
    tens of thousands of events queued for a share group, broker B of the region's failover test
    saved after every PUBACK and took ≈ 80 a second, and the drain's tail took minutes.
    """

    def __init__(self, root: Path, *, on_disk: bool = False, save_every_change: bool = True) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self._port = ReservedPort()
        self.port = self._port.port
        self.url = f"mqtt://127.0.0.1:{self.port}"
        shm = Path("/dev/shm")
        data = Path(tempfile.mkdtemp(dir=shm)) if shm.is_dir() and not on_disk else root / "data"
        self.data = data
        data.mkdir(parents=True, exist_ok=True)
        self.config = root / "mosquitto.conf"
        self.config.write_text(
            "\n".join(
                [
                    f"listener {self.port} 127.0.0.1",
                    "allow_anonymous true",
                    f"user {getpass.getuser()}",
                    "persistence true",
                    f"persistence_location {data}/",
                    f"autosave_on_changes {'true' if save_every_change else 'false'}",
                    "autosave_interval 1",
                    "max_queued_messages 0",
                    f"log_dest file {root / 'mosquitto.log'}",
                    "",
                ]
            )
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._port.release()
        process = subprocess.Popen([MOSQUITTO, "-c", str(self.config)])
        self.process = process
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if process.poll() is not None:  # e.g. the port was taken after all: say so
                self.process = None
                log = self.root / "mosquitto.log"
                tail = log.read_text()[-1000:] if log.exists() else ""
                raise RuntimeError(f"mosquitto exited ({process.returncode}) on port {self.port}:\n{tail}")
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("mosquitto did not start")

    def release_port(self) -> None:
        """Give the port back for good (``stop`` keeps it reserved for a start again)."""
        self._port.release()

    def kill(self) -> None:
        """SIGKILL: what a power cut does to the broker."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None
        self._port.hold()

    def pause(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None
        self._port.hold()
        if self.data.parent != self.root:
            shutil.rmtree(self.data, ignore_errors=True)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[MosquittoBroker]:
    the_broker = MosquittoBroker(tmp_path / "broker")
    yield the_broker
    the_broker.stop()
    the_broker.release_port()


def hub_settings(root: Path, hub_id: str, mqtt_url: str, **extra: Any) -> Settings:
    return load_settings(
        data_dir=root / hub_id,
        id=hub_id,
        mqtt_url=mqtt_url,
        rate_limit=0,
        secret_key="test-secret-key-0123456789-abcdefghijklmnop",
        **extra,
    )


def sync_hub(settings: Settings, **options: Any) -> Hub:
    """A hub (not started) with a sync link quick to notice trouble and to retry."""
    hub = Hub.from_settings(settings)
    options.setdefault("keepalive", 2)
    options.setdefault("connect_timeout", 3.0)
    options.setdefault("max_backoff", 1.0)
    options.setdefault("resend_after", 2.0)
    hub.add_link(SyncLink.for_hub(hub, **options))
    return hub


def make_checkins(hub: Hub, count: int, *, chunk: int = 250) -> None:
    """``count`` check-ins (and so outbox events), written in group commits."""
    done = 0
    while done < count:
        size = min(chunk, count - done)
        start = done

        def job(session: Session, start: int = start, size: int = size) -> None:
            for n in range(start, start + size):
                create_checkin(
                    session, hub.ctx, CheckInCreate(address=f"Kerkstraat {n % 200 + 1}", status="ok")
                )

        hub.db.writer.run_sync(job)
        done += size


def fill_outbox(hub: Hub, count: int, *, chunk: int = 2000) -> None:
    """``count`` outbox events shaped like check-ins, inserted in bulk (the services' own path
    costs ~10 ms per check-in on this shared machine; the link only sees outbox rows)."""
    done = 0
    while done < count:
        size = min(chunk, count - done)

        def job(session: Session, size: int = size) -> None:
            first = next_seq(session)
            session.add_all(
                OutboxEvent(
                    seq=first + n,
                    type="checkin.created",
                    data={"id": new_id(), "street": "Kerkstraat", "status": "ok", "people": n % 5 + 1},
                )
                for n in range(size)
            )

        hub.db.writer.run_sync(job)
        done += size


def backlog(hub: Hub) -> dict[str, int]:
    with hub.db.read() as session:
        return depth(session)


def wait_for(condition: Callable[[], object], timeout: float, what: str, every: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def consumer_for(broker: MosquittoBroker, root: Path, hubs: list[str], **options: Any) -> UpstreamConsumer:
    options.setdefault("keepalive", 2)
    options.setdefault("max_backoff", 1.0)
    options.setdefault("overview_every", 0)
    return UpstreamConsumer(
        broker.url,
        db_url=f"sqlite:///{root / 'upstream.sqlite3'}",
        hubs=hubs,
        client_id="test-upstream",
        **options,
    )


def env_for(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(
        HUB_DATA_DIR=str(settings.data_dir),
        HUB_ID=settings.id,
        HUB_MQTT_URL=settings.mqtt_url,
        HUB_RATE_LIMIT="0",
        HUB_SECRET_KEY="test-secret-key-0123456789-abcdefghijklmnop",
        PYTHONPATH=str(Path(__file__).resolve().parents[2]),
    )
    return env


class Peer:
    """A bare MQTT client for tests (our adapter), collecting what it receives."""

    def __init__(self, broker: MosquittoBroker, client_id: str, topics: list[str] | None = None) -> None:
        self.events: queue.Queue[BrokerEvent] = queue.Queue()
        self.client = PahoClient(parse_broker_url(broker.url), client_id, self.events.put, keepalive=5)
        self.received: list[Received] = []
        self.client.connect()
        event = self.events.get(timeout=10)
        assert isinstance(event, Connected), event
        if topics:
            self.client.subscribe(topics)
            time.sleep(0.3)

    def publish(self, topic: str, payload: bytes) -> None:
        self.client.publish(topic, payload, qos=1)

    def collect(self, seconds: float) -> list[Received]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                event = self.events.get(timeout=0.1)
            except queue.Empty:
                continue
            if isinstance(event, Received):
                self.received.append(event)
                self.client.ack(event.mid, event.qos)
        return self.received

    def close(self) -> None:
        self.client.close()
