"""``hub serve``: build the hub, add its links, run uvicorn."""

from __future__ import annotations

import logging

import uvicorn
from fastapi import FastAPI

from hub import collector
from hub.app import create_app
from hub.config import Settings
from hub.network import reachable_hosts, url
from hub.runtime import Hub, LateLink, Link
from hub.systemd import Watchdog, watchdog_interval
from hub.web.connection_limits import ConnectionLimits, guarded_protocol

log = logging.getLogger(__name__)


SCHEDULER_AFTER = 5.0  # seconds after the start (``defer_scheduler``)


def build_hub(settings: Settings, *, demo: bool = False, defer_scheduler: bool = False) -> Hub:
    """The hub with the links its settings ask for (radio, scheduler, broker, watchdog).

    ``defer_scheduler`` (``hub serve``): the scheduler is imported, built and started
    ``SCHEDULER_AFTER`` seconds after the start (:class:`hub.runtime.LateLink`), not before the
    first answer; its jobs run from then on, each first after its interval as always."""
    hub = Hub.from_settings(settings)
    if settings.radio != "none":
        from hub.mesh.link import MeshLink

        hub.add_link(MeshLink.from_hub(hub))
    if demo:
        from hub.demo import register_sim_volunteers, seed_if_empty, with_demo_coordinator

        hub.on_start.append(seed_if_empty)
        hub.on_start.append(register_sim_volunteers)
        with_demo_coordinator(hub)
    if defer_scheduler:
        hub.add_link(LateLink("scheduler", lambda: _scheduler(hub), SCHEDULER_AFTER))
    else:
        hub.add_link(_scheduler(hub))
    if settings.mqtt_url:
        from hub.sync.link import SyncLink

        hub.add_link(SyncLink.for_hub(hub))
    if interval := watchdog_interval():
        hub.add_link(Watchdog(hub, interval))
    return hub


def _scheduler(hub: Hub) -> Link:
    from hub.jobs import Scheduler

    return Scheduler(hub)


def serve(settings: Settings, *, host: str, port: int, demo: bool) -> int:
    hub = build_hub(settings, demo=demo, defer_scheduler=True)
    app = create_app(settings, hub, defer_admin=True)
    print(f"Buurtbaken '{settings.name}' ({settings.id}) — data in {settings.data_dir.resolve()}")
    for shown in reachable_hosts(host):
        print(f"  portal:  {url(shown, port)}   admin: {url(shown, port, '/admin')}")
    for line in hub.ctx.metrics.get("banner", []):
        print(f"  {line}")
    print("  stop with Ctrl-C")
    server = uvicorn.Server(server_config(app, settings, host=host, port=port))
    collector.loaded()
    server.run()
    return 0


def server_config(
    app: FastAPI, settings: Settings, *, host: str, port: int, log_level: str = "info"
) -> uvicorn.Config:
    """uvicorn as the hub runs it: slow or greedy clients are cut off (see connection_limits).

    No access log: a line per request costs CPU on every request and keeps who asked what from
    which address; ``/metrics`` counts and times the requests instead. No WebSocket: the hub
    serves none, and a connection handed to a WebSocket protocol would leave the connection
    limits (its count never released); a handshake is answered as the plain request it also is.
    Not loading the WebSocket protocol also spares the start a few milliseconds."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        proxy_headers=False,
        ws="none",
        http=guarded_protocol(ConnectionLimits.from_settings(settings)),
    )
