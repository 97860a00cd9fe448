"""``MeshLink``: the hub's link to its Meshtastic radio (a ``hub.runtime.Link`` named "mesh").

Two threads, nothing else touches the radio:

- the **supervisor** connects, pumps the radio's events (texts → services, ACK/NAK →
  the send queue, node news → volunteers), expires ACKs that never came, and notices a
  dead link (``ConnectionLost``, or no FromRadio traffic for ``watchdog`` seconds after a
  heartbeat). It then closes the interface and makes a new one, backing off 1 → 60 s.
- the **sender** (``hub.mesh.sender.MeshSender``) is the only code that sends: it takes the
  next queued text (``hub.services.mesh_traffic``) by (priority, pk) within the airtime
  budget, sends it, and waits for the ACK of a direct message; a NAK or a timeout means a
  retry with backoff.

The database is the queue: after a restart every queued or unacknowledged row is sent
again. Whatever the radio does, the rest of the hub keeps serving.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from hub.domain.airtime import AirtimeBudget, ReplyShares, default_budget_seconds, preset_by_name
from hub.domain.clock import utcnow
from hub.domain.radio_events import (
    AckReceived,
    ChannelReport,
    ConnectionLost,
    DataReceived,
    NakReceived,
    NodeUpdated,
    RadioEvent,
    TextReceived,
)
from hub.errors import HubError, LinkError
from hub.logs import one_line
from hub.mesh.adapter import MeshtasticRadio, RadioInfo, RadioLink
from hub.mesh.region_link import RegionConfig, RegionRadio
from hub.mesh.sender import MeshSender, TxStats
from hub.mesh.timings import LinkTimings
from hub.services import mesh_traffic
from hub.services.store import Store

if TYPE_CHECKING:
    from hub.mesh.sim import Simulator
    from hub.runtime import Hub

log = logging.getLogger(__name__)

SIM_HANDSETS = 5
SIM_SEED = 868  # the demo's handsets keep their node ids from one run to the next
SIM_TELEMETRY_SECONDS = 60.0  # a real radio reports every device_update_interval (default 30 min)


class MeshLink:
    """The radio link; see the module docstring."""

    name = "mesh"

    def __init__(
        self,
        store: Store,
        *,
        radio_url: str,
        preset: str = "MEDIUM_FAST",
        budget_seconds: float | None = None,
        shares: ReplyShares | None = None,
        allow_unknown: bool = False,
        timings: LinkTimings | None = None,
        radio_factory: Callable[[], RadioLink] | None = None,
        simulator: Simulator | None = None,
        region: RegionConfig | None = None,
        mqtt_up: Callable[[], bool] | None = None,
    ) -> None:
        self._store = store
        self._ctx = store.ctx
        self.radio_url = radio_url
        self.preset = preset_by_name(preset).name
        self.timings = timings or LinkTimings()
        self.allow_unknown = allow_unknown
        self.simulator = simulator
        self._factory = radio_factory or self._default_factory
        self._lock = threading.Lock()  # status fields
        self._state = "off"
        self._info: RadioInfo | None = None
        self._nodes_heard: set[str] = set()
        self._last_rx: datetime | None = None
        self._channel: ChannelReport | None = None
        self._stop = threading.Event()
        self._sender = MeshSender(
            store,
            preset=self.preset,
            budget=AirtimeBudget(
                budget_seconds=default_budget_seconds() if budget_seconds is None else budget_seconds,
                shares=shares or ReplyShares(),
            ),
            timings=self.timings,
            stop=self._stop,
            is_connected=lambda: self._state == "connected",
        )
        # The region channel when the internet is down (None: no region key, the channel is off).
        self.region = (
            RegionRadio(store, self._sender, region, mqtt_up=mqtt_up or (lambda: False))
            if region is not None
            else None
        )
        self._region_ticked = 0.0
        self._threads: list[threading.Thread] = []
        self.connections = 0  # successful connects (1 + reconnects)
        self.failed_connects = 0

    @property
    def budget(self) -> AirtimeBudget:
        return self._sender.budget

    @property
    def tx(self) -> TxStats:
        return self._sender.tx

    @property
    def ack_timeout(self) -> float:
        return self._sender.ack_timeout

    @classmethod
    def from_hub(cls, hub: Hub, **kwargs: Any) -> MeshLink:
        """The link for ``hub.settings.radio`` (``sim``: an in-process simulator)."""
        settings = hub.settings
        simulator = None
        if settings.radio == "sim":
            from hub.mesh.sim import Simulator

            simulator = Simulator(handsets=SIM_HANDSETS, preset=settings.lora_preset, seed=SIM_SEED)
            simulator.report_telemetry_every(SIM_TELEMETRY_SECONDS)  # the radio's channel figures
        return cls(
            hub.store,
            radio_url=settings.radio,
            preset=settings.lora_preset,
            budget_seconds=default_budget_seconds(share=settings.airtime_budget),
            shares=ReplyShares(replies=settings.airtime_reply_share, handset=settings.airtime_handset_share),
            allow_unknown=settings.allow_unknown_nodes,
            simulator=simulator,
            region=RegionConfig.from_settings(settings),
            mqtt_up=lambda: _mqtt_reaches_region(hub),
            **kwargs,
        )

    # -- Link ----------------------------------------------------------------------------
    def start(self) -> None:
        if self._threads:
            return
        if self.simulator is not None and self.radio_url == "sim":
            port = self.simulator.start_tcp("127.0.0.1", 0)
            self._sim_url = f"tcp://127.0.0.1:{port}"
        requeued = mesh_traffic.requeue_unacked(self._store)
        if requeued:
            log.info("mesh: %d unacknowledged messages queued again", requeued)
        if used := self._sender.restore_budget():
            log.info("mesh: %.1f s of airtime already used in the last hour", used)
        self._ctx.mesh_wakers.append(self.wake)
        self._stop.clear()
        self._state = "connecting"
        for target, name in ((self._supervise, "mesh-supervisor"), (self._sender.run, "mesh-sender")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        self._sender.wake()
        for thread in self._threads:
            thread.join(timeout=self.timings.connect_timeout + 5)
        self._threads.clear()
        if self.wake in self._ctx.mesh_wakers:
            self._ctx.mesh_wakers.remove(self.wake)
        self._swap_radio(None)
        if self.simulator is not None and self.radio_url == "sim":
            self.simulator.stop()
        self._state = "off"

    def status(self) -> dict[str, Any]:
        now = time.monotonic()
        used = self._sender.airtime_used(now)
        with self._lock:
            info = self._info
            heard = len(self._nodes_heard)
            last_rx = self._last_rx
            channel = self._channel
        radio_preset = info.preset_name if info else None
        try:
            queue = mesh_traffic.queue_counts(self._store)
        except HubError:
            queue = {}
        return {
            "state": self._state,
            "connected": self._state == "connected",
            "radio": self.radio_url,
            "firmware": info.firmware if info else None,
            "node_id": info.node_id if info else None,
            "nodes_heard": heard,
            "airtime": {
                "used_s": round(used, 2),
                "budget_s": round(self.budget.budget_seconds, 1),
                "preset": self._sender.preset.name,
            },
            "preset_configured": self.preset,
            "preset_radio": radio_preset,
            # the radio's preset differs from HUB_LORA_PRESET (None: not known yet)
            "preset_mismatch": None if radio_preset is None else radio_preset != self.preset,
            "queue": queue,
            "last_rx": last_rx.isoformat() if last_rx else None,
            # The radio's own figures (device metrics), beside the hub's budget above.
            "channel": {
                "utilization_pct": _pct(channel.channel_utilization) if channel else None,
                "air_util_tx_pct": _pct(channel.air_util_tx) if channel else None,
                "reported_at": datetime.fromtimestamp(channel.at, UTC).isoformat() if channel else None,
                "busy": self._sender.channel_busy(),
            },
            "region": self.region.status() if self.region is not None else None,
        }

    def wake(self) -> None:
        """Something was queued: let the sender look now."""
        self._sender.wake()

    # -- supervisor ----------------------------------------------------------------------
    def _default_factory(self) -> RadioLink:
        url = getattr(self, "_sim_url", None) or self.radio_url
        return MeshtasticRadio(url, timeout=self.timings.connect_timeout)

    def _supervise(self) -> None:
        delay = self.timings.backoff_initial
        while not self._stop.is_set():
            self._state = "connecting"
            try:
                radio = self._factory()
                info = radio.connect()
            except (LinkError, OSError) as exc:
                self._state = "offline"
                self.failed_connects += 1
                log.warning("mesh: no radio at %s (%s); next try in %.1f s", self.radio_url, exc, delay)
                self._stop.wait(delay)
                delay = min(delay * 2, self.timings.backoff_max)
                continue
            delay = self.timings.backoff_initial
            log.info(
                "mesh: connected to %s, node %s, firmware %s, %d nodes",
                self.radio_url,
                info.node_id,
                info.firmware,
                info.nodes,
            )
            self._adopt_preset(info)
            if self.region is not None:
                self.region.radio_channel(info.region_channel)
            with self._lock:
                self._info = info
                self.connections += 1
            self._swap_radio(radio)
            self._state = "connected"
            self._sender.wake()
            try:
                self._pump(radio)
            except Exception:  # never let one bad event end the link
                log.exception("mesh: the event pump failed; reconnecting")
            self._state = "connecting"
            self._swap_radio(None)

    def _adopt_preset(self, info: RadioInfo) -> None:
        """Count airtime with the radio's real modulation; warn when it is not the setting's."""
        configured = preset_by_name(self.preset)
        real = info.modem or configured
        if info.preset_name is not None and info.preset_name != self.preset:
            log.warning(
                "mesh: the radio uses modem preset %s but HUB_LORA_PRESET is %s; %s",
                info.preset_name,
                self.preset,
                "the airtime budget counts with the radio's"
                if info.modem is not None
                else "the hub cannot compute its airtime and counts with the setting's",
            )
        self._sender.use_preset(real)

    def _swap_radio(self, radio: RadioLink | None) -> None:
        old = self._sender.use(radio)
        if old is not None and old is not radio:
            old.close()

    def _pump(self, radio: RadioLink) -> None:
        heartbeat_sent_at: float | None = None
        while not self._stop.is_set():
            try:
                event = radio.events.get(timeout=self.timings.poll)
            except Exception:  # queue.Empty
                event = None
            if isinstance(event, ConnectionLost):
                log.warning("mesh: connection to the radio lost")
                return
            if event is not None:
                self._handle_event(event)
            self._sender.expire_pending()
            self._region_tick()
            idle = time.monotonic() - radio.last_activity()
            if idle > self.timings.watchdog / 2 and heartbeat_sent_at is None:
                heartbeat_sent_at = time.monotonic()
                self._sender.request_heartbeat()
            elif idle <= self.timings.watchdog / 2:
                heartbeat_sent_at = None
            if idle > self.timings.watchdog:
                log.warning("mesh: nothing heard from the radio for %.0f s; reconnecting", idle)
                return

    def _region_tick(self) -> None:
        if self.region is None or time.monotonic() - self._region_ticked < self.timings.region_tick:
            return
        self._region_ticked = time.monotonic()
        try:
            self.region.tick()
        except Exception:  # the region channel must never take the neighbourhood's link down
            log.exception("mesh: the region link failed")

    def _handle_event(self, event: RadioEvent) -> None:
        try:
            if isinstance(event, TextReceived):
                self._on_text(event)
            elif isinstance(event, AckReceived | NakReceived):
                self._sender.on_reply(event)
            elif isinstance(event, ChannelReport):
                with self._lock:
                    self._channel = event
                self._sender.channel_report(event)
            elif isinstance(event, DataReceived):
                if self.region is not None:
                    self.region.on_data(event)
            elif isinstance(event, NodeUpdated):
                with self._lock:
                    self._nodes_heard.add(event.node_id)
                mesh_traffic.node_heard(self._store, event)
        except HubError as exc:  # storage trouble: the event is lost, the link lives on
            log.error("mesh: could not apply %s: %s", type(event).__name__, one_line(str(exc)))

    def _on_text(self, text: TextReceived) -> None:
        with self._lock:
            self._nodes_heard.add(text.node_id)
            self._last_rx = utcnow()
        if text.rx_time:  # the radio's time on a handset's packet: a reference for the hub's clock
            self._ctx.clock.reference(text.rx_time, "radio")

        handled = mesh_traffic.text_received(self._store, text, allow_unknown=self.allow_unknown)
        log.info("mesh: %s from %s: %s", handled.kind, one_line(text.node_id), one_line(text.text[:60]))


def _mqtt_reaches_region(hub: Hub) -> bool:
    """Whether the MQTT link is connected and its broker's link upstream is not known to be down
    (a local broker bridging to the region may be reachable while the internet is not)."""
    link = hub.links.get("sync")
    if link is None or getattr(link, "state", None) != "connected":
        return False
    return getattr(getattr(link, "resend", None), "upstream_up", None) is not False


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
