"""``MeshLink``: the hub's link to its Meshtastic radio (a ``hub.runtime.Link`` named "mesh").

Two threads, nothing else touches the radio:

- the **supervisor** connects, pumps the radio's events (texts → services, ACK/NAK →
  the send queue, node news → volunteers), expires ACKs that never came, and notices a
  dead link (``ConnectionLost``, or no FromRadio traffic for ``watchdog`` seconds after a
  heartbeat). It then closes the interface and makes a new one, backing off 1 → 60 s.
- the **sender** is the only code that sends: it takes the next ``MeshOutbound`` row by
  (priority, pk), asks the airtime budget, sends, charges the budget and records the
  packet id. Direct messages wait in a pending-ACK table with a deadline; a NAK or a
  timeout queues a retry with backoff, and after ``max_attempts`` the row fails (and its
  task is flagged for the coordinators). Broadcasts do not wait for an ACK.

The database is the queue: after a restart every queued or unacknowledged row is sent
again. Whatever the radio does, the rest of the hub keeps serving.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from hub.db import Database
from hub.domain.airtime import (
    AirtimeBudget,
    Priority,
    default_budget_seconds,
    preset_by_name,
    text_packet_airtime,
)
from hub.errors import HubError, LinkError
from hub.mesh.adapter import MeshtasticRadio, RadioInfo, RadioLink
from hub.mesh.events import (
    AckReceived,
    ConnectionLost,
    NakReceived,
    NodeUpdated,
    RadioEvent,
    TextReceived,
    node_num,
)
from hub.models import MeshOutbound
from hub.models.base import as_utc, utcnow
from hub.services import mesh_inbound, mesh_queue, task_flow
from hub.services.context import HubContext

if TYPE_CHECKING:
    from hub.mesh.sim import Simulator
    from hub.runtime import Hub

log = logging.getLogger(__name__)

# NAK reasons that no retry will cure.
PERMANENT_NAKS = frozenset({"TOO_LARGE", "NO_CHANNEL", "PKI_UNKNOWN_PUBKEY", "BAD_REQUEST"})
SIM_HANDSETS = 5
SIM_SEED = 868  # the demo's handsets keep their node ids from one run to the next


def ack_timeout_for(preset: str) -> float:
    """How long to wait for a direct message's ACK: ~60 s on LONG_FAST, scaled by airtime."""
    longest = "x" * 200
    ratio = text_packet_airtime(preset, longest) / text_packet_airtime("LONG_FAST", longest)
    return max(10.0, 60.0 * ratio)


@dataclass(frozen=True)
class LinkTimings:
    """Every delay of the link, in seconds (tests shrink them)."""

    ack_timeout: float | None = None  # None: ack_timeout_for(preset)
    max_attempts: int = 3
    retry_delay: float = 10.0  # first retry after a NAK or timeout; doubles each time
    backoff_initial: float = 1.0
    backoff_max: float = 60.0
    watchdog: float = 300.0
    poll: float = 0.25
    summary_max_age: float = 900.0  # an unsent summary older than this is dropped
    connect_timeout: int = 30


@dataclass
class _Pending:
    pk: int
    attempts: int
    deadline: float
    dest_num: int


@dataclass
class TxStats:
    """What the hub put on the air (for the status page and the benchmarks)."""

    packets: int = 0
    bytes: int = 0
    airtime: float = 0.0
    retries: int = 0
    by_priority: dict[int, int] = field(default_factory=dict)


class MeshLink:
    """The radio link; see the module docstring."""

    name = "mesh"

    def __init__(
        self,
        db: Database,
        ctx: HubContext,
        *,
        radio_url: str,
        preset: str = "MEDIUM_FAST",
        budget_seconds: float | None = None,
        allow_unknown: bool = False,
        timings: LinkTimings | None = None,
        radio_factory: Callable[[], RadioLink] | None = None,
        simulator: Simulator | None = None,
    ) -> None:
        self._db = db
        self._ctx = ctx
        self.radio_url = radio_url
        self.preset = preset_by_name(preset).name
        self.timings = timings or LinkTimings()
        self.ack_timeout = self.timings.ack_timeout or ack_timeout_for(self.preset)
        self.allow_unknown = allow_unknown
        self.budget = AirtimeBudget(
            budget_seconds=default_budget_seconds() if budget_seconds is None else budget_seconds
        )
        self.simulator = simulator
        self._factory = radio_factory or self._default_factory
        self.tx = TxStats()
        self._lock = threading.Lock()  # budget, pending table, status fields
        self._radio_lock = threading.Lock()  # the radio reference, held while sending
        self._radio: RadioLink | None = None
        self._pending: dict[int, _Pending] = {}
        # ACKs/NAKs that overtook their own send call (the library's serial write sleeps
        # after writing): kept briefly, then matched when the packet id is known.
        self._early: dict[int, tuple[float, list[AckReceived | NakReceived]]] = {}
        self._state = "off"
        self._info: RadioInfo | None = None
        self._nodes_heard: set[str] = set()
        self._last_rx: datetime | None = None
        self._heartbeat_due = False
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []
        self.connections = 0  # successful connects (1 + reconnects)
        self.failed_connects = 0

    @classmethod
    def from_hub(cls, hub: Hub, **kwargs: Any) -> MeshLink:
        """The link for ``hub.settings.radio`` (``sim``: an in-process simulator)."""
        settings = hub.settings
        simulator = None
        if settings.radio == "sim":
            from hub.mesh.sim import Simulator

            simulator = Simulator(handsets=SIM_HANDSETS, preset=settings.lora_preset, seed=SIM_SEED)
        return cls(
            hub.db,
            hub.ctx,
            radio_url=settings.radio,
            preset=settings.lora_preset,
            budget_seconds=default_budget_seconds(share=settings.airtime_budget),
            allow_unknown=settings.allow_unknown_nodes,
            simulator=simulator,
            **kwargs,
        )

    # -- Link ----------------------------------------------------------------------------
    def start(self) -> None:
        if self._threads:
            return
        if self.simulator is not None and self.radio_url == "sim":
            port = self.simulator.start_tcp("127.0.0.1", 0)
            self._sim_url = f"tcp://127.0.0.1:{port}"
        requeued = self._db.writer.run_sync(mesh_queue.requeue_unacked)
        if requeued:
            log.info("mesh: %d unacknowledged messages queued again", requeued)
        self._ctx.mesh_wakers.append(self.wake)
        self._stop.clear()
        self._state = "connecting"
        for target, name in ((self._supervise, "mesh-supervisor"), (self._send_loop, "mesh-sender")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
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
        with self._lock:
            used = self.budget.used(now)
            info = self._info
            heard = len(self._nodes_heard)
            last_rx = self._last_rx
        try:
            with self._db.read() as session:
                queue = mesh_queue.counts(session)
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
                "preset": self.preset,
            },
            "queue": queue,
            "last_rx": last_rx.isoformat() if last_rx else None,
        }

    def wake(self) -> None:
        """Something was queued: let the sender look now."""
        self._wake.set()

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
            with self._lock:
                self._info = info
                self.connections += 1
            self._swap_radio(radio)
            self._state = "connected"
            self._wake.set()
            try:
                self._pump(radio)
            except Exception:  # never let one bad event end the link
                log.exception("mesh: the event pump failed; reconnecting")
            self._state = "connecting"
            self._swap_radio(None)

    def _swap_radio(self, radio: RadioLink | None) -> None:
        with self._radio_lock:
            old, self._radio = self._radio, radio
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
            self._expire_pending()
            idle = time.monotonic() - radio.last_activity()
            if idle > self.timings.watchdog / 2 and heartbeat_sent_at is None:
                heartbeat_sent_at = time.monotonic()
                self._heartbeat_due = True
                self._wake.set()
            elif idle <= self.timings.watchdog / 2:
                heartbeat_sent_at = None
            if idle > self.timings.watchdog:
                log.warning("mesh: nothing heard from the radio for %.0f s; reconnecting", idle)
                return

    def _handle_event(self, event: RadioEvent) -> None:
        try:
            if isinstance(event, TextReceived):
                self._on_text(event)
            elif isinstance(event, AckReceived):
                self._on_ack(event)
            elif isinstance(event, NakReceived):
                self._on_nak(event.request_id, event.reason)
            elif isinstance(event, NodeUpdated):
                with self._lock:
                    self._nodes_heard.add(event.node_id)
                self._db.writer.run_sync(lambda s: mesh_inbound.update_node(s, event))
        except HubError as exc:  # storage trouble: the event is lost, the link lives on
            log.error("mesh: could not apply %s: %s", type(event).__name__, exc)

    def _on_text(self, text: TextReceived) -> None:
        with self._lock:
            self._nodes_heard.add(text.node_id)
            self._last_rx = utcnow()

        def job(session: Session) -> mesh_inbound.Handled:
            return mesh_inbound.handle_text(session, self._ctx, text, allow_unknown=self.allow_unknown)

        handled = self._db.writer.run_sync(job)
        log.info("mesh: %s from %s: %s", handled.kind, text.node_id, text.text[:60])

    def _on_ack(self, ack: AckReceived) -> None:
        with self._lock:
            pending = self._pending.get(ack.request_id)
            if pending is None:
                self._remember_early(ack.request_id, ack)
                return
            if ack.from_num != pending.dest_num:
                return  # an implicit ACK: a neighbour relayed it; keep waiting for the handset
            del self._pending[ack.request_id]

        def job(session: Session) -> None:
            task_id = mesh_queue.mark_acked(session, pending.pk)
            if task_id is not None:
                task_flow.mark_delivered(session, task_id, outbound_pk=pending.pk)

        self._db.writer.run_sync(job)

    def _on_nak(self, request_id: int, reason: str) -> None:
        with self._lock:
            pending = self._pending.pop(request_id, None)
            if pending is None:
                self._remember_early(request_id, NakReceived(request_id, reason))
                return
        if pending.attempts >= self.timings.max_attempts or reason in PERMANENT_NAKS:
            log.warning(
                "mesh: message %d failed after %d attempts (%s)", pending.pk, pending.attempts, reason
            )

            def fail(session: Session) -> None:
                task_id = mesh_queue.mark_failed(session, pending.pk, reason)
                if task_id is not None:
                    task_flow.flag_undeliverable(session, task_id, reason, outbound_pk=pending.pk)

            self._db.writer.run_sync(fail)
            return
        delay = self.timings.retry_delay * 2 ** (pending.attempts - 1)
        self._db.writer.run_sync(lambda s: mesh_queue.schedule_retry(s, pending.pk, delay, reason))
        with self._lock:
            self.tx.retries += 1
        self._wake.set()

    def _remember_early(self, request_id: int, event: AckReceived | NakReceived) -> None:
        """Called with ``self._lock`` held."""
        if isinstance(event, NakReceived) and event.reason == "TIMEOUT":
            return
        now = time.monotonic()
        for stale in [k for k, (at, _) in self._early.items() if at < now - 120]:
            del self._early[stale]
        if request_id in self._early:
            self._early[request_id][1].append(event)
        elif len(self._early) < 1024:
            self._early[request_id] = (now, [event])

    def _expire_pending(self) -> None:
        now = time.monotonic()
        with self._lock:
            expired = [pid for pid, p in self._pending.items() if p.deadline <= now]
        for packet_id in expired:
            self._on_nak(packet_id, "TIMEOUT")

    # -- sender --------------------------------------------------------------------------
    def _send_loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.timings.poll)
            self._wake.clear()
            try:
                self._send_ready()
            except HubError as exc:
                log.error("mesh: sending paused: %s", exc)
                self._stop.wait(1.0)
            except Exception:
                log.exception("mesh: the sender failed; it carries on")
                self._stop.wait(1.0)

    def _send_ready(self) -> None:
        if self._heartbeat_due:
            self._heartbeat_due = False
            with self._radio_lock:
                if self._radio is not None:
                    try:
                        self._radio.heartbeat()
                    except LinkError as exc:
                        log.warning("mesh: heartbeat failed: %s", exc)
        while not self._stop.is_set() and self._state == "connected":
            row = self._next_row()
            if row is None:
                return
            if not self._send(row):
                return

    def _next_row(self) -> MeshOutbound | None:
        """The next row the budget allows; superseded or stale summaries are dropped."""
        with self._db.read() as session:
            rows = mesh_queue.sendable(session)
        now = time.monotonic()
        drop: list[int] = []
        newest_summary: dict[str, int] = {}
        for row in rows:
            if row.priority == Priority.SUMMARY:
                newest_summary[row.dest] = max(newest_summary.get(row.dest, 0), row.pk or 0)
        chosen: MeshOutbound | None = None
        held = False  # strict priority: nothing lower may overtake a held row
        for row in rows:
            priority = Priority(row.priority)
            airtime = text_packet_airtime(self.preset, row.text)
            with self._lock:
                fits = self.budget.can_send(priority, airtime, now)
            if fits and not held:
                chosen = row
                break
            if not fits and priority is Priority.SUMMARY:
                age = (utcnow() - as_utc(row.created_at)).total_seconds()
                if row.pk != newest_summary.get(row.dest) or age > self.timings.summary_max_age:
                    drop.append(row.pk or 0)
            held = held or not fits
        if drop:
            log.info("mesh: over the airtime budget, %d summaries dropped", len(drop))
            self._db.writer.run_sync(lambda s: mesh_queue.mark_dropped(s, drop, "over budget"))
        return chosen

    def _send(self, row: MeshOutbound) -> bool:
        assert row.pk is not None
        dest = None if row.dest == mesh_queue.BROADCAST else node_num(row.dest)
        airtime = text_packet_airtime(self.preset, row.text)
        with self._radio_lock:
            radio = self._radio
            if radio is None:
                return False
            try:
                packet_id = radio.send_text(dest, row.text, row.want_ack)
            except LinkError as exc:
                log.warning("mesh: could not hand message %d to the radio: %s", row.pk, exc)
                return False
            now = time.monotonic()
            with self._lock:
                self.budget.charge(airtime, now)
                self.tx.packets += 1
                self.tx.bytes += len(row.text.encode("utf-8"))
                self.tx.airtime += airtime
                self.tx.by_priority[row.priority] = self.tx.by_priority.get(row.priority, 0) + 1
                if row.want_ack and dest is not None:
                    self._pending[packet_id] = _Pending(
                        pk=row.pk, attempts=row.attempts + 1, deadline=now + self.ack_timeout, dest_num=dest
                    )
                early = self._early.pop(packet_id, None)
        pk = row.pk
        self._db.writer.run_sync(lambda s: mesh_queue.mark_sent(s, pk, packet_id, airtime))
        for event in early[1] if early is not None else ():
            self._handle_event(event)
        return True
