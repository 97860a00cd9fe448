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
        pages = site.coordinator()                         # logged in to the admin pages
        topology.internet_down()                           # every site's link cut
        topology.publish_upstream(topology.topics.announcements, b'{...}')
        topology.internet_up()
        site.wait_bridge(True)

    def test_two(make_topology: Callable[..., Topology]) -> None:
        topology = make_topology(sites={"hub-a": [], "hub-b": ["hub-a"]})   # hub-b mirrors hub-a

The stored-message count of a local broker (``site.local_stored_messages()``) comes from its
``$SYS`` statistics, updated every ``Timing.sys_interval`` seconds.

The parts live in ``tests/topology_processes.py`` (the processes) and ``tests/topology_broker.py``
(the brokers' configuration); import everything from here.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from hub.mesh.sim import Simulator
from hub.sync.topics import Topics
from tests.topology_broker import render_local_config, role_values, upstream_config
from tests.topology_processes import (
    HubProcess,
    InternetLink,
    Mosquitto,
    MqttWatcher,
    RegionProcess,
    free_port,
    wait_for,
)

__all__ = [
    "DEFAULT_HUB_ID",
    "TOPIC_ROOT",
    "HubProcess",
    "InternetLink",
    "Mosquitto",
    "MqttWatcher",
    "RegionProcess",
    "Site",
    "Timing",
    "Topology",
    "free_port",
    "render_local_config",
    "role_values",
    "wait_for",
]

TOPIC_ROOT = "buurtbaken/v1"
DEFAULT_HUB_ID = "kerkbuurt-1"


@dataclass(frozen=True)
class Timing:
    """The time scale of a topology: production values are minutes, tests want seconds.

    ``hub_env`` adds ``HUB_*`` settings to every hub (e.g. sync intervals).
    """

    bridge_restart: str = "1 2"  # broker_bridge_restart_timeout: first retry, cap (s)
    bridge_keepalive: int = 5  # broker_bridge_keepalive (s)
    sys_interval: int = 1  # broker_sys_interval: $SYS statistics (s)
    hub_env: Mapping[str, str] = field(default_factory=dict)


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
        radio_seed: int = 7,
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
        self.local = Mosquitto("local", root, local_port, self.config, persistence)
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
            self.radio = Simulator(handsets=handsets, preset="MEDIUM_FAST", seed=radio_seed)
            env["HUB_RADIO"] = f"tcp://127.0.0.1:{self.radio.start_tcp('127.0.0.1', 0)}"
        self.hub = HubProcess(root, env)
        self._token: str | None = None
        # Clients are kept and closed at stop: the hub serves a few connections per address (as
        # shipped), so a test that opened a client per request would be refused like a flood.
        self._clients: dict[str, httpx.Client] = {}

    def start(self) -> None:
        self.local.start()
        self.hub.start()

    def stop(self) -> None:
        for http in self._clients.values():
            http.close()
        self._clients.clear()
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
        return self._client(
            "admin", httpx.Client(base_url=self.hub.url, headers={"Authorization": f"Bearer {self._token}"})
        )

    def coordinator(self, name: str = "coordinator", password: str = "lange-wachtzin-42") -> httpx.Client:
        """An HTTP client logged in to the admin pages (the account is made with ``hub user add``)."""
        if f"coordinator:{name}" in self._clients:
            return self._clients[f"coordinator:{name}"]
        self.hub.cli("user", "add", name, "--password-stdin", stdin=f"{password}\n")
        http = self._client(f"coordinator:{name}", httpx.Client(base_url=self.hub.url))
        form = http.get("/admin/login").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', form)
        assert csrf, form[:500]
        response = http.post("/admin/login", data={"name": name, "password": password, "csrf": csrf[1]})
        assert response.status_code in (200, 303), response.text[:500]
        return http

    def residents(self) -> httpx.Client:
        """An HTTP client for the resident pages and API (one per site, kept open)."""
        return self._client("residents", httpx.Client(base_url=self.hub.url))

    def _client(self, role: str, fresh: httpx.Client) -> httpx.Client:
        """The site's client for ``role``: the first one made is kept (``fresh`` is closed)."""
        kept = self._clients.setdefault(role, fresh)
        if kept is not fresh:
            fresh.close()
        kept.timeout = httpx.Timeout(30)
        return kept

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

    def __init__(self, root: Path, timing: Timing | None = None, *, region_db: str | None = None) -> None:
        """``region_db``: the region's database URL (PostgreSQL as it runs); by default a SQLite
        file under ``root``."""
        root.mkdir(parents=True, exist_ok=True)
        self.root = root
        self.timing = timing or Timing()
        self.topics = Topics(TOPIC_ROOT)
        port = free_port()
        self.upstream = Mosquitto("upstream", root, port, *upstream_config(root, port))
        self.region = RegionProcess(root, self.upstream, db_url=region_db)
        self.sites: dict[str, Site] = {}

    def add_site(
        self,
        hub_id: str = DEFAULT_HUB_ID,
        *,
        peers: Iterable[str] = (),
        handsets: int = 3,
        hub_env: Mapping[str, str] | None = None,
        radio_seed: int | None = None,
    ) -> Site:
        """A neighbourhood hub bridged to the upstream broker (not started: ``start`` does it).
        Each site's radio gets its own node number unless ``radio_seed`` says otherwise."""
        site = Site(
            self.root / hub_id,
            hub_id,
            self.upstream,
            self.timing,
            peers=peers,
            handsets=handsets,
            hub_env=hub_env,
            radio_seed=7 + len(self.sites) if radio_seed is None else radio_seed,
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
