"""The topology we ship, as a test fixture: hub → local Mosquitto → bridge → upstream ← region.

::

    hub serve ──▶ local Mosquitto ══ bridge ══▶ [internet] ──▶ upstream Mosquitto ◀── hub upstream
    (+ simulated     (deploy/mosquitto.conf.j2,                   (the region's broker)   (the region)
     radio)           the broker role's defaults)

Every part is a real process and each can be stopped, killed (SIGKILL) and started again:

- ``topology.upstream``: the region's Mosquitto (persistent, saves on every change). Stopping it
  is an outage of the region's broker.
- ``topology.region``: ``hub upstream``, the reference consumer, in its own process; it stores the
  hubs' events, sends receipts and replay requests. ``region.stored_seqs(hub_id)`` reads its
  database.
- ``topology.site(hub_id)`` (or ``topology.hub_site`` for the first) is one neighbourhood:

  - ``site.local``: the Pi's Mosquitto, its configuration rendered from ``deploy/mosquitto.conf.j2``
    with the broker role's defaults (``ansible/roles/broker/defaults/main.yml``), overriding only
    ports, paths, the upstream address (plain TCP to 127.0.0.1), the hub id, its federation peers,
    and the timing knobs of :class:`Timing` so that a test is quick;
  - ``site.internet``: the link between the local broker's bridge and the upstream broker, a TCP
    relay that ``cut()`` drops and refuses and ``restore()`` lets through again (an internet
    outage, while the region's broker and consumer go on working);
  - ``site.radio``: the simulated Meshtastic radio (``hub sim``'s engine, real TCP API), or None;
  - ``site.hub``: ``hub serve`` with ``HUB_MQTT_URL`` pointing at the LOCAL broker, as deployed.

Use it through the fixtures in ``tests/scenarios/conftest.py``::

    def test_something(topology: Topology) -> None:      # one hub, started
        site = topology.hub_site
        admin = site.admin()                               # httpx client with a bearer token
        topology.internet_down()                           # every site's link cut
        topology.publish_upstream(topology.topics.announcements, b'{...}')
        topology.internet_up()
        site.wait_bridge(True)

    def test_two(make_topology: Callable[..., Topology]) -> None:
        topology = make_topology(sites={"hub-a": [], "hub-b": ["hub-a"]})   # hub-b mirrors hub-a

The stored-message count of a local broker (``site.local_stored_messages()``) comes from its
``$SYS`` statistics, updated every ``Timing.sys_interval`` seconds.
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from jinja2.nativetypes import NativeEnvironment

from hub.mesh.sim import Simulator
from hub.sync.client import (
    SESSION_EXPIRY,
    BrokerEvent,
    Connected,
    PahoClient,
    Published,
    Received,
    parse_broker_url,
)
from hub.sync.topics import Topics

REPO = Path(__file__).resolve().parents[1]
MOSQUITTO = "/usr/sbin/mosquitto"
TOPIC_ROOT = "buurtbaken/v1"
DEFAULT_HUB_ID = "kerkbuurt-1"
ROLE_DEFAULTS = (
    REPO / "ansible/group_vars/all.yml",
    REPO / "ansible/roles/hub/defaults/main.yml",
    REPO / "ansible/roles/broker/defaults/main.yml",
)


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


@dataclass(frozen=True)
class Timing:
    """The time scale of a topology: production values are minutes, tests want seconds.

    ``hub_env`` adds ``HUB_*`` settings to every hub (e.g. sync intervals).
    """

    bridge_restart: str = "1 2"  # broker_bridge_restart_timeout: first retry, cap (s)
    bridge_keepalive: int = 5  # broker_bridge_keepalive (s)
    sys_interval: int = 1  # broker_sys_interval: $SYS statistics (s)
    hub_env: Mapping[str, str] = field(default_factory=dict)


# --- the local broker's configuration, as the broker role renders it ---------------------------


def _comment(text: str) -> str:
    """Ansible's ``comment`` filter (plain style)."""
    return "#\n" + "\n".join(f"# {line}" if line else "#" for line in text.splitlines()) + "\n#"


def role_values(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The broker role's variables: group vars and role defaults, templated, then ``overrides``."""
    raw: dict[str, Any] = {}
    for path in ROLE_DEFAULTS:
        raw.update(yaml.safe_load(path.read_text()) or {})
    raw.update(overrides)
    native = NativeEnvironment(undefined=StrictUndefined)
    values = dict(raw)
    for _ in range(10):  # resolve "{{ other_var }}" until nothing changes
        changed = False
        for key, value in values.items():
            if key in overrides or not isinstance(value, str) or "{{" not in value:
                continue
            try:
                resolved = native.from_string(value).render(**values)
            except Exception:  # needs Ansible facts (playbook_dir, ...): not the broker's business
                continue
            if resolved != value:
                values[key] = resolved
                changed = True
        if not changed:
            break
    return values


def render_local_config(out: Path, overrides: Mapping[str, Any]) -> Path:
    """``deploy/mosquitto.conf.j2`` rendered like Ansible's template module (trim_blocks)."""
    env = Environment(
        loader=FileSystemLoader(REPO / "deploy"),
        undefined=StrictUndefined,
        trim_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["comment"] = _comment
    values = role_values(overrides)
    text = env.get_template("mosquitto.conf.j2").render(**values)
    # Not Ansible's business but the test machine's: run as whoever runs the tests.
    text += f"\n# --- test machine only ---\nuser {os.environ.get('USER') or 'root'}\n"
    out.write_text(text)
    return out


# --- processes -----------------------------------------------------------------------------------


class Mosquitto:
    """A Mosquitto process on a fixed port; ``stop`` (SIGTERM, saves), ``kill`` (SIGKILL), ``start``."""

    def __init__(self, name: str, root: Path, port: int, config: Path) -> None:
        self.name = name
        self.root = root
        self.port = port
        self.config = config
        self.url = f"mqtt://127.0.0.1:{port}"
        self.log = root / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        if self.running:
            return
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

    def kill(self) -> None:
        """SIGKILL: what a power cut does to the broker."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

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


def upstream_config(root: Path, port: int) -> Path:
    """The region's broker: persistent, saves on every change, no queue limit."""
    data = root / "upstream-data"
    data.mkdir(parents=True, exist_ok=True)
    config = root / "upstream.conf"
    config.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\nuser {os.environ.get('USER') or 'root'}\n"
        f"persistence true\npersistence_location {data}/\nautosave_on_changes true\nautosave_interval 1\n"
        "max_queued_messages 0\nsys_interval 1\n"
    )
    return config


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

    def sync_status(self) -> dict[str, Any]:
        """``sync`` of ``/api/v1/status`` (state, unsent, unconfirmed, ...)."""
        status: dict[str, Any] = httpx.get(self.url + "/api/v1/status", timeout=10).json()["sync"]
        return status


class RegionProcess:
    """``hub upstream`` (the region's reference consumer) in its own process."""

    def __init__(self, root: Path, broker: Mosquitto, env: Mapping[str, str] | None = None) -> None:
        self.db = root / "region.sqlite3"
        self.broker = broker
        self.env = _python_env(dict(env or {}))
        self.log = root / "region.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "hub", "upstream", "--mqtt", self.broker.url,
                 "--db", f"sqlite:///{self.db}", "--client-id", "region", "--overview-every", "0"],
                env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
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


# --- a neighbourhood, and the whole topology -------------------------------------------------------


class Site:
    """One neighbourhood: local broker (shipped config), its internet link, radio and hub."""

    def __init__(
        self,
        root: Path,
        hub_id: str,
        upstream: Mosquitto,
        timing: Timing,
        *,
        peers: Iterable[str] = (),
        handsets: int = 3,
        hub_env: Mapping[str, str] | None = None,
    ) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.root = root
        self.hub_id = hub_id
        self.peers = list(peers)
        self.topics = Topics(TOPIC_ROOT)
        self.internet = InternetLink(upstream.port)
        local_port = free_port()
        persistence = root / "mosquitto-data"
        persistence.mkdir(exist_ok=True)
        self.config = render_local_config(
            root / "mosquitto.conf",
            {
                "buurtbaken_hub_id": hub_id,
                "buurtbaken_mqtt_topic_root": TOPIC_ROOT,
                "broker_port": local_port,
                "broker_listen_address": "127.0.0.1",
                "broker_persistence_location": f"{persistence}/",
                "broker_log_dest": f"file {root / 'mosquitto-local.log'}",
                "broker_upstream_host": "127.0.0.1",
                "broker_upstream_port": self.internet.port,
                "broker_upstream_tls": False,
                "hub_federation_peers": self.peers,
                "broker_bridge_restart_timeout": timing.bridge_restart,
                "broker_bridge_keepalive": timing.bridge_keepalive,
                "broker_sys_interval": timing.sys_interval,
            },
        )
        self.local = Mosquitto("local", root, local_port, self.config)
        self.radio: Simulator | None = None
        env = {
            "HUB_ID": hub_id,
            "HUB_NAME": f"Buurthuis {hub_id}",
            "HUB_MQTT_URL": self.local.url,
            "HUB_MQTT_TOPIC_ROOT": TOPIC_ROOT,
            "HUB_FEDERATION_PEERS": ",".join(self.peers),
            **timing.hub_env,
            **(hub_env or {}),
        }
        if handsets:
            self.radio = Simulator(handsets=handsets, preset="MEDIUM_FAST", seed=7)
            env["HUB_RADIO"] = f"tcp://127.0.0.1:{self.radio.start_tcp('127.0.0.1', 0)}"
        self.hub = HubProcess(root, env)
        self._token: str | None = None

    def start(self) -> None:
        self.local.start()
        self.hub.start()

    def stop(self) -> None:
        self.hub.stop()
        self.local.stop()
        self.internet.close()
        if self.radio is not None:
            self.radio.stop()

    # --- what tests ask ---

    def admin(self) -> httpx.Client:
        """An HTTP client for the admin API (bearer token made with ``hub token create``)."""
        if self._token is None:
            self._token = self.hub.cli("token", "create", "topology").strip().splitlines()[-1]
        return httpx.Client(
            base_url=self.hub.url, headers={"Authorization": f"Bearer {self._token}"}, timeout=30
        )

    def residents(self) -> httpx.Client:
        return httpx.Client(base_url=self.hub.url, timeout=30)

    def watch_local(self, topics: Iterable[str], client_id: str = "watch-local") -> MqttWatcher:
        return MqttWatcher(self.local.url, f"{client_id}-{self.hub_id}", topics)

    def bridge_connected(self) -> bool:
        """The local broker's own notification (retained ``R/hubs/<id>/bridge``): 1 up, 0 down."""
        topic = f"{TOPIC_ROOT}/hubs/{self.hub_id}/bridge"
        return self._retained(topic) == b"1"

    def wait_bridge(self, up: bool, timeout: float = 30) -> None:
        wait_for(lambda: self.bridge_connected() == up, timeout, f"the bridge of {self.hub_id} {up=}")

    def local_stored_messages(self) -> int:
        """Messages the local broker holds (``$SYS/broker/store/messages/count``)."""
        value = self._retained("$SYS/broker/store/messages/count", wait=self.local_sys_wait)
        return int(value or b"0")

    local_sys_wait = 3.0

    def _retained(self, topic: str, wait: float = 1.0) -> bytes | None:
        watcher = MqttWatcher(self.local.url, f"peek-{self.hub_id}-{time.monotonic_ns()}")
        try:
            watcher.client.subscribe([topic])
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                watcher._drain(0.05)
                if watcher.received:
                    return watcher.received[-1].payload
            return None
        finally:
            watcher.close()

    def sync_connected(self) -> bool:
        try:
            return bool(self.hub.sync_status()["state"] == "connected")
        except httpx.HTTPError:
            return False


class Topology:
    """The whole picture: the region's broker and consumer, and one or more neighbourhood sites."""

    def __init__(self, root: Path, timing: Timing | None = None) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.root = root
        self.timing = timing or Timing()
        self.topics = Topics(TOPIC_ROOT)
        port = free_port()
        self.upstream = Mosquitto("upstream", root, port, upstream_config(root, port))
        self.region = RegionProcess(root, self.upstream)
        self.sites: dict[str, Site] = {}

    def add_site(
        self,
        hub_id: str = DEFAULT_HUB_ID,
        *,
        peers: Iterable[str] = (),
        handsets: int = 3,
        hub_env: Mapping[str, str] | None = None,
    ) -> Site:
        """A neighbourhood hub bridged to the upstream broker (not started: ``start`` does it)."""
        site = Site(
            self.root / hub_id,
            hub_id,
            self.upstream,
            self.timing,
            peers=peers,
            handsets=handsets,
            hub_env=hub_env,
        )
        self.sites[hub_id] = site
        return site

    def site(self, hub_id: str) -> Site:
        return self.sites[hub_id]

    @property
    def hub_site(self) -> Site:
        """The first site (the only one in the ``topology`` fixture)."""
        return next(iter(self.sites.values()))

    def start(self, *, wait: bool = True) -> None:
        """Upstream broker, region, every site; with ``wait``, until bridges and hubs are connected."""
        self.upstream.start()
        self.region.start()
        for site in self.sites.values():
            site.start()
        if wait:
            for site in self.sites.values():
                site.wait_bridge(True)
                wait_for(site.sync_connected, 30, f"{site.hub_id}'s sync link")

    def stop(self) -> None:
        for site in self.sites.values():
            site.stop()
        self.region.stop()
        self.upstream.stop()

    def internet_down(self) -> None:
        """Cut every site's link to the upstream broker (the region works on)."""
        for site in self.sites.values():
            site.internet.cut()

    def internet_up(self) -> None:
        for site in self.sites.values():
            site.internet.restore()

    def publish_upstream(self, topic: str, payload: bytes, *, client_id: str = "region-desk") -> None:
        """Publish on the upstream broker (QoS 1, PUBACK awaited), as the region's coordinators do."""
        watcher = MqttWatcher(self.upstream.url, client_id)
        try:
            watcher.publish(topic, payload)
        finally:
            watcher.close()

    def watch_upstream(self, topics: Iterable[str], client_id: str = "watch-upstream") -> MqttWatcher:
        return MqttWatcher(self.upstream.url, client_id, topics)
