"""``MeshSender``: the only code that puts the hub's messages on the air.

It runs on ``MeshLink``'s sender thread. It takes the next queued text
(``hub.services.mesh_traffic``) by (priority, pk), asks the airtime budget, sends, charges
the budget and records the packet id. A reply held by its handset's share of the budget
(or by the replies' share) does not hold up other handsets' replies, tasks or
announcements. Direct messages wait in a pending-ACK table with a deadline; a NAK or a
timeout queues a retry with backoff, and after ``max_attempts`` the text fails (and its
task is flagged for the coordinators).
Broadcasts do not wait for an ACK.

The budget counts what a packet causes on the air: the handset's ACK of a direct message
with ``want_ack`` is charged with it (and each retry again). While the radio reports the
channel busy (its own channel utilisation above ``BUSY_CHANNEL_PCT``, reported within
``CHANNEL_REPORT_FRESH`` seconds), announcements and summaries wait; tasks, replies, SOS and
life alerts go.

Frames of the region channel (``hub.mesh.region_link``) wait in a small in-memory queue
(``queue_frame``) beside the database's and go by the same priorities and the same budget: an
SOS frame goes before anything else, a region summary is shed (dropped; the next period
brings a fresh one) whenever the budget or a busy channel would hold it.

The supervisor hands it the radio (``use``) and the radio's ACKs and NAKs (``on_reply``),
and asks it to expire overdue ACKs (``expire_pending``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from hub.domain.airtime import (
    AirtimeBudget,
    ModemPreset,
    Priority,
    Verdict,
    ack_airtime,
    packet_airtime,
    preset_by_name,
    text_packet_airtime,
)
from hub.domain.clock import as_utc, utcnow
from hub.domain.radio_events import AckReceived, ChannelReport, NakReceived, node_num
from hub.domain.region_radio import frame_airtime
from hub.errors import HubError, LinkError
from hub.mesh.adapter import RadioLink
from hub.mesh.timings import LinkTimings
from hub.services import mesh_traffic
from hub.services.mesh_traffic import QueuedText
from hub.services.store import Store

log = logging.getLogger(__name__)

# The firmware's own threshold for "polite" traffic (its telemetry and position broadcasts
# wait above 25 % channel utilisation); the hub's low-priority traffic does the same.
BUSY_CHANNEL_PCT = 25.0
CHANNEL_REPORT_FRESH = 900.0
LOW_PRIORITY = frozenset({Priority.ANNOUNCEMENT, Priority.SUMMARY})

# NAK reasons that no retry will cure.
PERMANENT_NAKS = frozenset({"TOO_LARGE", "NO_CHANNEL", "PKI_UNKNOWN_PUBKEY", "BAD_REQUEST"})


def ack_timeout_for(preset: ModemPreset | str) -> float:
    """How long to wait for a direct message's ACK: ~60 s on LONG_FAST, scaled by airtime."""
    longest = "x" * 200
    ratio = text_packet_airtime(preset, longest) / text_packet_airtime("LONG_FAST", longest)
    return max(10.0, 60.0 * ratio)


@dataclass(frozen=True)
class RegionFrame:
    """One frame for the region channel. A newer frame with the same ``key`` replaces a waiting
    one (a fresher summary, the same urgent event again)."""

    key: str
    priority: Priority
    payload: bytes
    channel: int


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
    ack_airtime: float = 0.0  # the handsets' ACKs the hub's direct messages asked for
    by_priority: dict[int, int] = field(default_factory=dict)
    region_frames: int = 0  # frames sent on the region channel
    region_shed: int = 0  # region summaries dropped: over the budget or a busy channel


class MeshSender:
    """The send queue's worker; see the module docstring."""

    def __init__(
        self,
        store: Store,
        *,
        preset: ModemPreset | str,
        budget: AirtimeBudget,
        timings: LinkTimings,
        stop: threading.Event,
        is_connected: Callable[[], bool],
    ) -> None:
        self._store = store
        self.preset = preset_by_name(preset) if isinstance(preset, str) else preset
        self.budget = budget
        self.timings = timings
        self.ack_timeout = timings.ack_timeout or ack_timeout_for(self.preset)
        self._stop = stop
        self._is_connected = is_connected
        self.tx = TxStats()
        self._lock = threading.Lock()  # budget, pending table, tx stats
        self._radio_lock = threading.Lock()  # the radio reference, held while sending
        self._radio: RadioLink | None = None
        self._pending: dict[int, _Pending] = {}
        # ACKs/NAKs that overtook their own send call (the library's serial write sleeps
        # after writing): kept briefly, then matched when the packet id is known.
        self._early: dict[int, tuple[float, list[AckReceived | NakReceived]]] = {}
        self._heartbeat_due = False
        self._wake = threading.Event()
        self._channel: ChannelReport | None = None
        self._channel_seen = 0.0  # time.monotonic() of the report
        self._frames: dict[str, RegionFrame] = {}  # the region channel's queue, in arrival order

    # -- what the supervisor calls -------------------------------------------------------
    def use(self, radio: RadioLink | None) -> RadioLink | None:
        """Send through ``radio`` from now on (None: nothing); returns the one it replaces.

        Waits for a send in progress, so the caller may close the old radio at once.
        """
        with self._radio_lock:
            old, self._radio = self._radio, radio
        return old

    def use_preset(self, preset: ModemPreset) -> None:
        """Count airtime with ``preset`` from now on (the radio's real modulation)."""
        with self._lock:
            self.preset = preset
            self.ack_timeout = self.timings.ack_timeout or ack_timeout_for(preset)

    def channel_report(self, report: ChannelReport) -> None:
        """The radio's own channel figures (device metrics telemetry)."""
        with self._lock:
            self._channel = report
            self._channel_seen = time.monotonic()
        self._wake.set()

    def channel_busy(self, now: float | None = None) -> bool:
        """The radio reported the channel busy, recently enough to believe it."""
        moment = time.monotonic() if now is None else now
        with self._lock:
            report, seen = self._channel, self._channel_seen
        if report is None or report.channel_utilization is None:
            return False
        return moment - seen <= CHANNEL_REPORT_FRESH and report.channel_utilization > BUSY_CHANNEL_PCT

    def wake(self) -> None:
        """Something was queued, or the radio is back: look now."""
        self._wake.set()

    def queue_frame(self, frame: RegionFrame) -> None:
        """Queue a region-channel frame (replacing a waiting one with the same key)."""
        with self._lock:
            self._frames.pop(frame.key, None)
            self._frames[frame.key] = frame
        self._wake.set()

    def frames_waiting(self) -> list[RegionFrame]:
        with self._lock:
            return list(self._frames.values())

    def request_heartbeat(self) -> None:
        self._heartbeat_due = True
        self._wake.set()

    def restore_budget(self) -> float:
        """Charge the budget with what was sent in the last hour before a restart; returns it."""
        window = self.budget.window_seconds
        spent = mesh_traffic.airtime_spent(self._store, window)
        now = time.monotonic()
        with self._lock:
            for spent_air in sorted(spent, key=lambda x: x.seconds_ago, reverse=True):
                self.budget.charge(
                    spent_air.airtime, now - spent_air.seconds_ago, spent_air.priority, spent_air.dest
                )
            return self.budget.used(now)

    def airtime_used(self, now: float) -> float:
        with self._lock:
            return self.budget.used(now)

    def on_reply(self, event: AckReceived | NakReceived) -> None:
        """The radio's ACK or NAK for one of our packets."""
        if isinstance(event, AckReceived):
            self._on_ack(event)
        else:
            self._on_nak(event.request_id, event.reason)

    def expire_pending(self) -> None:
        """Treat every ACK past its deadline as a NAK with reason ``TIMEOUT``."""
        now = time.monotonic()
        with self._lock:
            expired = [pid for pid, p in self._pending.items() if p.deadline <= now]
        for packet_id in expired:
            self._on_nak(packet_id, "TIMEOUT")

    # -- ACKs and NAKs -------------------------------------------------------------------
    def _on_ack(self, ack: AckReceived) -> None:
        with self._lock:
            pending = self._pending.get(ack.request_id)
            if pending is None:
                self._remember_early(ack.request_id, ack)
                return
            if ack.from_num != pending.dest_num:
                return  # an implicit ACK: a neighbour relayed it; keep waiting for the handset
            del self._pending[ack.request_id]
        mesh_traffic.acknowledged(self._store, pending.pk)

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
            mesh_traffic.failed(self._store, pending.pk, reason)
            return
        delay = self.timings.retry_delay * 2 ** (pending.attempts - 1)
        mesh_traffic.retry_later(self._store, pending.pk, delay, reason)
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

    # -- the sender thread ---------------------------------------------------------------
    def run(self) -> None:
        """The sender thread's loop, until the link's stop event is set."""
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
        while not self._stop.is_set() and self._is_connected():
            frame = self._next_frame()
            row = self._next_row()
            if frame is not None and (row is None or frame.priority <= row.priority):
                if not self._send_frame(frame):
                    return
                continue
            if row is None:
                return
            if not self._send(row):
                return

    def _next_frame(self) -> RegionFrame | None:
        """The most urgent region frame the budget allows; summaries it would hold are shed."""
        now = time.monotonic()
        busy = self.channel_busy(now)
        with self._lock:
            frames = sorted(self._frames.values(), key=lambda f: f.priority)
            for frame in frames:
                airtime = frame_airtime(self.preset, frame.payload)
                verdict = self.budget.verdict(frame.priority, airtime, now, "region")
                fits = verdict is Verdict.SEND and not (busy and frame.priority in LOW_PRIORITY)
                if fits:
                    return frame
                if frame.priority is Priority.SUMMARY:
                    del self._frames[frame.key]
                    self.tx.region_shed += 1
                    log.info("mesh: region summary shed (%s)", "busy channel" if busy else "over budget")
                else:
                    return None  # strict priority: nothing lower overtakes a held frame
        return None

    def _send_frame(self, frame: RegionFrame) -> bool:
        with self._radio_lock:
            radio = self._radio
            if radio is None:
                return False
            try:
                radio.send_data(None, frame.payload, frame.channel)
            except LinkError as exc:
                log.warning("mesh: could not hand a region frame to the radio: %s", exc)
                return False
            now = time.monotonic()
            with self._lock:
                if self._frames.get(frame.key) is frame:
                    del self._frames[frame.key]
                airtime = frame_airtime(self.preset, frame.payload)
                self.budget.charge(airtime, now, frame.priority, "region")
                self.tx.packets += 1
                self.tx.bytes += len(frame.payload)
                self.tx.airtime += airtime
                self.tx.region_frames += 1
                self.tx.by_priority[frame.priority] = self.tx.by_priority.get(frame.priority, 0) + 1
        return True

    def _next_row(self) -> QueuedText | None:
        """The next row the budget allows; superseded or stale summaries are dropped."""
        now = time.monotonic()
        with self._lock:
            preset = self.preset
            smallest = text_packet_airtime(preset, "")
            no_replies = not self.budget.can_send(Priority.REPLY, smallest, now)
            capped = self.budget.handsets_over(now, smallest)
        rows = mesh_traffic.sendable(self._store, skip_replies=no_replies, skip_replies_to=capped)
        drop: list[int] = []
        newest_summary: dict[str, int] = {}
        for row in rows:
            if row.priority == Priority.SUMMARY:
                newest_summary[row.dest] = max(newest_summary.get(row.dest, 0), row.pk)
        chosen: QueuedText | None = None
        held = False  # strict priority: nothing lower may overtake a held row
        busy = self.channel_busy(now)
        for row in rows:
            priority = Priority(row.priority)
            airtime = self._caused(preset, row)
            with self._lock:
                verdict = self.budget.verdict(priority, airtime, now, row.dest)
            if verdict in (Verdict.REPLIES, Verdict.HANDSET):
                continue  # waits for its share; rows behind it may go
            # over the budget, or low-priority on a busy channel: it waits
            fits = verdict is Verdict.SEND and not (busy and priority in LOW_PRIORITY)
            if fits and not held:
                chosen = row
                break
            if not fits and priority is Priority.SUMMARY:
                age = (utcnow() - as_utc(row.created_at)).total_seconds()
                if row.pk != newest_summary.get(row.dest) or age > self.timings.summary_max_age:
                    drop.append(row.pk)
            held = held or not fits
        if drop:
            log.info("mesh: over the airtime budget or on a busy channel, %d summaries dropped", len(drop))
            mesh_traffic.dropped(self._store, drop, "busy channel" if busy else "over budget")
        return chosen

    def _send(self, row: QueuedText) -> bool:
        dest = None if row.dest == mesh_traffic.BROADCAST else node_num(row.dest)
        with self._lock:
            own = packet_airtime(self.preset, row.text, reaction=row.reply_id is not None)
            airtime = self._caused(self.preset, row)
        with self._radio_lock:
            radio = self._radio
            if radio is None:
                return False
            try:
                if row.reply_id is None:
                    packet_id = radio.send_text(dest, row.text, row.want_ack)
                else:
                    packet_id = radio.send_text(dest, row.text, row.want_ack, reply_id=row.reply_id)
            except LinkError as exc:
                log.warning("mesh: could not hand message %d to the radio: %s", row.pk, exc)
                return False
            now = time.monotonic()
            with self._lock:
                self.budget.charge(airtime, now, Priority(row.priority), row.dest)
                self.tx.packets += 1
                self.tx.bytes += len(row.text.encode("utf-8"))
                self.tx.airtime += own
                self.tx.ack_airtime += airtime - own
                self.tx.by_priority[row.priority] = self.tx.by_priority.get(row.priority, 0) + 1
                if row.want_ack and dest is not None:
                    self._pending[packet_id] = _Pending(
                        pk=row.pk, attempts=row.attempts + 1, deadline=now + self.ack_timeout, dest_num=dest
                    )
                early = self._early.pop(packet_id, None)
        mesh_traffic.sent(self._store, row.pk, packet_id, airtime)
        for event in early[1] if early is not None else ():
            self._apply_early(event)
        return True

    @staticmethod
    def _caused(preset: ModemPreset, row: QueuedText) -> float:
        """Airtime a transmission of ``row`` causes: itself, and the ACK it asks of a handset."""
        own = packet_airtime(preset, row.text, reaction=row.reply_id is not None)
        wants_ack = row.want_ack and row.dest != mesh_traffic.BROADCAST
        return own + (ack_airtime(preset) if wants_ack else 0.0)

    def _apply_early(self, event: AckReceived | NakReceived) -> None:
        try:
            self.on_reply(event)
        except HubError as exc:  # storage trouble: the reply is lost, the sender lives on
            log.error("mesh: could not apply %s: %s", type(event).__name__, exc)
