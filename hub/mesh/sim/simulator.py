"""``Simulator``: a Meshtastic radio with virtual handsets behind it, driven from tests.

It speaks the real stream API (see ``radio.py`` for the handshake and admin messages,
``clients.py`` for the client sessions) over TCP and/or a pty, so the unmodified
``meshtastic`` library and CLI connect to it. ``air.py`` decides what becomes of the
client's packets on the way to the handsets. All public methods are thread-safe.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, Self

from hub.domain.airtime import EU_868_PRESETS, time_on_air
from hub.mesh.sim.air import Air
from hub.mesh.sim.clients import ApiClients
from hub.mesh.sim.faults import Faults
from hub.mesh.sim.handsets import (
    Handset,
    Inbox,
    ReceivedText,
    make_handsets,
    node_id,
    node_num,
)
from hub.mesh.sim.ledger import FIRMWARE_TRANSMISSIONS, AirKind, AirLedger
from hub.mesh.sim.packets import (
    ROUTING_DATA_BYTES,
    copy_message,
    make_routing,
    queue_status,
    reply_packet,
    text_packet,
)
from hub.mesh.sim.pb import (
    BROADCAST_NUM,
    DecodeError,
    PortNum,
    admin_pb2,
    channel_pb2,
    mesh_pb2,
    telemetry_pb2,
)
from hub.mesh.sim.radio import RadioState
from hub.mesh.sim.scheduler import Scheduler
from hub.mesh.sim.server import PtyTransport, Session, TcpServer
from hub.mesh.sim.volunteers import AutoVolunteers, Behaviour

if TYPE_CHECKING:
    from hub.mesh.sim.region import RegionAir

log = logging.getLogger(__name__)

MAX_TEXT_BYTES = 232

Destination = Literal["radio", "broadcast"] | int | str


class Simulator:
    """A simulated radio. ``start_tcp``/``start_pty`` expose it; ``stop`` ends it."""

    def __init__(
        self,
        handsets: int = 5,
        preset: str = "MEDIUM_FAST",
        seed: int | None = None,
        node_num: int | None = None,
    ) -> None:
        if preset.upper() not in EU_868_PRESETS:
            raise ValueError(f"preset {preset!r} is not an EU_868 preset")
        self._rng = random.Random(seed)
        self._lock = threading.RLock()
        own = node_num if node_num is not None else self._rng.randrange(0x10000000, 0xFFFFFFF0)
        self._handsets = make_handsets(handsets, self._rng)
        self._radio = RadioState(own, preset.upper(), self._handsets, self._rng)
        self.faults = Faults(seed=seed)
        self.inbox = Inbox()
        self._air = Air(own, self._handsets, self.faults, self.inbox)
        self._scheduler = Scheduler()
        self._servers: list[TcpServer] = []
        self._pty: PtyTransport | None = None
        self.stats: dict[str, int] = {
            "frames_in": 0,
            "bad_frames": 0,
            "unknown_to_radio": 0,
            "packets_from_client": 0,
            "handshakes": 0,
            "connections": 0,
            "refused": 0,
        }
        self.airtime_seconds = 0.0
        # Every transmission with its real size (``ledger.py``); what the benchmarks count.
        self.air = AirLedger()
        # Channel utilisation the radio hears from nodes the simulator does not model, in %
        # (added to what its own air ledger shows in the device metrics it reports).
        self.channel_busy_pct = 0.0
        self._telemetry_interval: float | None = None
        self._clients = ApiClients(self.stats)
        self.volunteers: AutoVolunteers | None = None
        self._region: RegionAir | None = None

    # -- lifecycle -------------------------------------------------------------------
    def start_tcp(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen for API clients; returns the port (0 picks a free one)."""
        server = TcpServer(self, host, port)
        self._servers.append(server)
        return server.start()

    def start_pty(self) -> str:
        """Open a pseudo-terminal; returns the device path for ``SerialInterface``."""
        if self._pty is None:
            self._pty = PtyTransport(self)
            self._pty.start()
        return self._pty.path

    def stop(self) -> None:
        self._scheduler.stop()
        for server in self._servers:
            server.stop()
        self._servers.clear()
        self._clients.close_all()
        if self._pty is not None:
            self._pty.stop()
            self._pty = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what tests read -------------------------------------------------------------
    @property
    def node_num(self) -> int:
        return self._radio.node_num

    @property
    def node_id(self) -> str:
        return node_id(self._radio.node_num)

    @property
    def handsets(self) -> list[Handset]:
        return list(self._handsets)

    @property
    def preset(self) -> str:
        with self._lock:
            return self._radio.modem_preset

    @property
    def local_config(self) -> Any:
        with self._lock:
            return copy_message(self._radio.local_config)

    @property
    def module_config(self) -> Any:
        with self._lock:
            return copy_message(self._radio.module_config)

    @property
    def channels(self) -> list[Any]:
        with self._lock:
            return [copy_message(c) for c in self._radio.channels]

    @property
    def owner(self) -> Any:
        with self._lock:
            return copy_message(self._radio.owner)

    @property
    def canned_messages(self) -> str:
        with self._lock:
            return self._radio.canned_messages

    @property
    def client_connected(self) -> bool:
        return self._clients.connected

    def handset(self, who: str | int) -> Handset:
        return self._air.handset(who)

    def received(self, who: str | int) -> list[ReceivedText]:
        return self.inbox.texts(self.handset(who).node_num)

    def wait_for_text(
        self,
        who: str | int,
        predicate: Callable[[ReceivedText], bool] | None = None,
        timeout: float = 5.0,
    ) -> ReceivedText:
        """The first text the handset received that matches; TimeoutError if none."""
        found = self.inbox.wait_for(self.handset(who).node_num, predicate or (lambda _t: True), timeout)
        if found is None:
            raise TimeoutError(f"{who} received no matching text within {timeout} s")
        return found

    def wait_for_client(self, timeout: float = 10.0) -> bool:
        return self._clients.wait_for_client(timeout)

    def set_lora(
        self,
        *,
        preset: str | None = None,
        use_preset: bool | None = None,
        bandwidth: int | None = None,
        spread_factor: int | None = None,
        coding_rate: int | None = None,
    ) -> None:
        """Change the radio's LoRa config, served from the next handshake on (as the firmware
        would after ``--set lora.modem_preset``). ``bandwidth`` is in kHz, as in the config."""
        with self._lock:
            self._radio.set_lora(
                preset=preset,
                use_preset=use_preset,
                bandwidth=bandwidth,
                spread_factor=spread_factor,
                coding_rate=coding_rate,
            )

    def set_channel(self, index: int, settings: Any, role: str = "SECONDARY") -> None:
        """Set channel ``index`` (``ChannelSettings``) as an admin ``set_channel`` would."""
        channel = channel_pb2.Channel(index=index, role=channel_pb2.Channel.Role.Value(role))
        channel.settings.CopyFrom(settings)
        with self._lock:
            if not 0 <= index < len(self._radio.channels):
                raise ValueError(f"no channel index {index}")
            self._radio.channels[index] = channel

    # -- the region channel (``region.py``) --------------------------------------------------
    def join_region_air(self, air: RegionAir | None) -> None:
        """Carry the client's packets on ``air.channel_index`` over ``air`` (None: leave it).
        Use ``RegionAir.attach``, which calls this."""
        with self._lock:
            self._region = air

    def hear(self, packet: Any) -> None:
        """A packet another radio sent reaches this radio: pass it up to the client."""
        self._clients.deliver(mesh_pb2.FromRadio(packet=packet))

    def send_routing(self, from_num: int, request: Any, error: str, delay: float) -> None:
        """Hand the client the ACK (``"NONE"``) or NAK for ``request`` after ``delay`` s."""
        self._later_routing(from_num, request, error, delay)

    # -- volunteers who answer by themselves --------------------------------------------
    def answer_like_volunteers(self, behaviour: Behaviour) -> AutoVolunteers:
        """From now on the handsets answer the tasks they receive (see ``volunteers.py``)."""
        volunteers = AutoVolunteers(self, behaviour)
        if self.volunteers is not None:
            self.inbox.listeners.remove(self.volunteers.heard)
        self.volunteers = volunteers
        self.inbox.listeners.append(volunteers.heard)
        return volunteers

    def later(self, delay: float, action: Callable[[], None]) -> None:
        """Run ``action`` on the simulator's timer thread after ``delay`` seconds."""
        self._scheduler.call_later(delay, action)

    # -- drills and faults -----------------------------------------------------------
    def send_text(
        self,
        sender: str | int,
        text: str,
        to: Destination = "radio",
        channel: int = 0,
        pki: bool = False,
        want_ack: bool = False,
    ) -> int:
        """A handset sends ``text``; returns the packet id the client will see."""
        handset = self.handset(sender)
        payload = text.encode("utf-8")
        if len(payload) > MAX_TEXT_BYTES:
            raise ValueError(f"text of {len(payload)} bytes exceeds {MAX_TEXT_BYTES}")
        dest = self._destination(to)
        with self._lock:
            packet_id = self._new_packet_id()
        packet = text_packet(
            from_num=handset.node_num,
            to_num=dest,
            packet_id=packet_id,
            text=payload,
            channel=channel,
            snr=handset.snr,
            rssi=handset.rssi,
            hop_limit=max(self._radio.hop_limit - handset.hops_away, 0),
            hop_start=self._radio.hop_limit,
            want_ack=want_ack and dest != BROADCAST_NUM,
            pki=pki,
        )
        copies = 2 if self.faults.roll(self.faults.duplicate_rate) else 1
        self._charge_air(len(payload))
        self.air.add("handset", packet.decoded.ByteSize(), self.preset)
        for copy in range(copies):
            self._scheduler.call_later(
                self.faults.delay + 0.01 * copy,
                lambda: self._clients.deliver(mesh_pb2.FromRadio(packet=packet)),
            )
        if packet.want_ack and dest == self.node_num:
            # The radio's firmware acknowledges a direct message itself, whatever its client does.
            self._scheduler.call_later(
                self.faults.ack_latency, lambda: self._radio_ack(handset.node_num, packet_id)
            )
        return packet_id

    def acknowledged(self, who: str | int) -> list[int]:
        """Ids of the handset's packets the radio acknowledged (the handset shows them delivered)."""
        return self.inbox.acked(self.handset(who).node_num)

    def send_telemetry(self) -> None:
        """The radio reports its own device metrics to its client (a TELEMETRY_APP packet from
        its own node), as the firmware does every ``device_update_interval``: channel
        utilisation (all air heard in the last minute, plus ``channel_busy_pct``) and
        ``air_util_tx`` (its own transmissions in the last hour), both in %."""
        own: frozenset[AirKind] = frozenset({"hub", "hub_retry", "radio_ack"})
        telemetry = telemetry_pb2.Telemetry(time=int(time.time()))
        metrics = telemetry.device_metrics
        metrics.battery_level = 101
        metrics.channel_utilization = min(
            100.0, self.air.airtime_within(60.0) / 60.0 * 100 + self.channel_busy_pct
        )
        metrics.air_util_tx = self.air.airtime_within(3600.0, own) / 3600.0 * 100
        metrics.uptime_seconds = 3600
        with self._lock:
            packet_id = self._new_packet_id()
        packet = mesh_pb2.MeshPacket(to=BROADCAST_NUM, id=packet_id, rx_time=int(time.time()))
        setattr(packet, "from", self.node_num)
        packet.decoded.portnum = PortNum.Value("TELEMETRY_APP")
        packet.decoded.payload = telemetry.SerializeToString()
        self._clients.deliver(mesh_pb2.FromRadio(packet=packet))

    def report_telemetry_every(self, seconds: float | None) -> None:
        """Send the radio's device metrics every ``seconds`` (None: only on ``send_telemetry``)."""
        first = self._telemetry_interval is None and seconds is not None
        self._telemetry_interval = seconds
        if first and seconds is not None:
            self._scheduler.call_later(seconds, self._telemetry_tick)

    def _telemetry_tick(self) -> None:
        interval = self._telemetry_interval
        if interval is None:
            return
        if self._clients.connected:
            self.send_telemetry()
        self._scheduler.call_later(interval, self._telemetry_tick)

    def _radio_ack(self, handset_num: int, packet_id: int) -> None:
        self.air.add("radio_ack", ROUTING_DATA_BYTES, self.preset)
        self.inbox.add_ack(handset_num, packet_id)

    def send_data(
        self, sender: str | int, portnum: int, payload: bytes, to: Destination = "radio", channel: int = 0
    ) -> int:
        """A handset sends a packet of any port number (even an unknown one) and payload, on
        channel index ``channel``."""
        handset = self.handset(sender)
        with self._lock:
            packet_id = self._new_packet_id()
        packet = text_packet(
            from_num=handset.node_num,
            to_num=self._destination(to),
            packet_id=packet_id,
            text=payload,
            channel=channel,
            snr=handset.snr,
            rssi=handset.rssi,
            hop_limit=self._radio.hop_limit,
            hop_start=self._radio.hop_limit,
            want_ack=False,
            pki=False,
        )
        packet.decoded.portnum = portnum
        self._scheduler.call_later(0.0, lambda: self._clients.deliver(mesh_pb2.FromRadio(packet=packet)))
        return packet_id

    def send_raw(self, data: bytes) -> bool:
        """Write raw bytes (garbage, hand-made frames) to the connected client."""
        active = self._clients.active
        return active is not None and active.send(data)

    def nak_next(self, error: str = "MAX_RETRANSMIT", count: int = 1) -> None:
        """The next ``count`` packets from the client get this NAK instead of an ACK."""
        self.faults.nak_next(error, count)

    def reboot(self) -> None:
        """Announce a reboot (``FromRadio.rebooted``); the client must handshake again."""
        with self._lock:
            self._radio.reboot_count += 1
        active = self._clients.active
        if active is not None:
            self._clients.send(active, mesh_pb2.FromRadio(rebooted=True))
            active.handshaken = False

    def drop_client(self) -> None:
        """Close the current client's connection (a pty is closed for good)."""
        self._clients.drop_active()

    def refuse_connections(self, seconds: float) -> None:
        """For ``seconds``, stop listening: new TCP connections are refused."""
        self.faults.refuse_until(time.monotonic() + seconds)
        for server in self._servers:
            server.refuse_for(seconds)

    # -- SessionHandler --------------------------------------------------------------
    def session_opened(self, session: Session) -> bool:
        if session.kind == "tcp" and self.faults.refusing(time.monotonic()):
            self.stats["refused"] += 1
            return False
        self._clients.add(session)
        return True

    def session_closed(self, session: Session) -> None:
        self._clients.remove(session)

    def session_bytes(self, session: Session, data: bytes) -> None:
        for frame in self._clients.frames(session, data):
            self.stats["frames_in"] += 1
            try:
                self._handle_to_radio(session, frame)
            except Exception:  # garbage must never take the radio down
                self.stats["bad_frames"] += 1
                log.exception("could not handle a ToRadio frame")

    # -- ToRadio ---------------------------------------------------------------------
    def _handle_to_radio(self, session: Session, frame: bytes) -> None:
        to_radio = mesh_pb2.ToRadio()
        try:
            to_radio.ParseFromString(frame)
        except DecodeError:
            self.stats["bad_frames"] += 1
            return
        variant = to_radio.WhichOneof("payload_variant")
        if variant == "want_config_id":
            self._handshake(session, to_radio.want_config_id)
        elif variant == "packet":
            self._handle_packet(session, to_radio.packet)
        elif variant == "heartbeat":
            self._clients.send(session, queue_status(0))
        elif variant == "disconnect":
            session.handshaken = False
            if session.kind == "tcp":
                session.close()
        else:
            self.stats["unknown_to_radio"] += 1

    def _handshake(self, session: Session, nonce: int) -> None:
        with self._lock:
            frames = self._radio.handshake(nonce)
        self._clients.handshake(session, frames)

    def _handle_packet(self, session: Session, packet: Any) -> None:
        self.stats["packets_from_client"] += 1
        self._clients.send(session, queue_status(packet.id))
        if packet.WhichOneof("payload_variant") != "decoded":
            return  # the client always sends decoded packets; ignore others
        portnum = packet.decoded.portnum
        if packet.to == self.node_num and portnum == PortNum.Value("ADMIN_APP"):
            self._handle_admin(session, packet)
            return
        self._charge_air(len(packet.decoded.payload))
        with self._lock:
            region = self._region
        if region is not None and packet.channel == region.channel_index:
            region.carry(self, packet)
            return
        routing = self._air.carry(packet)
        self._ledger(packet, routing)
        if routing is not None:
            self._later_routing(routing.from_num, packet, routing.error, routing.delay)

    def _handle_admin(self, session: Session, packet: Any) -> None:
        admin = admin_pb2.AdminMessage()
        try:
            admin.ParseFromString(packet.decoded.payload)
        except DecodeError:
            self._clients.send(session, self._routing(self.node_num, packet, "BAD_REQUEST"))
            return
        with self._lock:
            outcome = self._radio.handle_admin(admin)
        if outcome.response is not None:
            reply = self._reply_packet(self.node_num, packet)
            reply.decoded.portnum = PortNum.Value("ADMIN_APP")
            reply.decoded.payload = outcome.response.SerializeToString()
            self._clients.send(session, mesh_pb2.FromRadio(packet=reply))
        elif packet.want_ack or packet.decoded.want_response:
            self._clients.send(session, self._routing(self.node_num, packet, "NONE"))
        if outcome.reboot_after is not None:
            self._scheduler.call_later(outcome.reboot_after, self.reboot)

    def _ledger(self, packet: Any, routing: Any) -> None:
        """What the client's packet puts on the air: itself, the firmware's retries when it
        never arrived, the handset's ACK when it did."""
        data_bytes = packet.decoded.ByteSize()
        self.air.add("hub", data_bytes, self.preset)
        if routing is None or packet.to in (BROADCAST_NUM, self.node_num):
            return
        if routing.error == "MAX_RETRANSMIT":
            for _ in range(FIRMWARE_TRANSMISSIONS - 1):
                self.air.add("hub_retry", data_bytes, self.preset)
        elif routing.error == "NONE" and routing.from_num != self.node_num:
            self.air.add("ack", ROUTING_DATA_BYTES, self.preset)

    # -- FromRadio -------------------------------------------------------------------
    def _later_routing(self, from_num: int, request: Any, error: str, delay: float) -> None:
        fr = self._routing(from_num, request, error)
        self._scheduler.call_later(delay, lambda: self._clients.deliver(fr))

    def _reply_packet(self, from_num: int, request: Any) -> Any:
        with self._lock:
            packet_id = self._new_packet_id()
        return reply_packet(
            from_num=from_num,
            to_num=self.node_num,
            packet_id=packet_id,
            request=request,
            hop_limit=self._radio.hop_limit,
        )

    def _routing(self, from_num: int, request: Any, error: str) -> Any:
        if from_num != self.node_num:
            self._charge_air(None)
        return make_routing(self._reply_packet(from_num, request), error)

    def _new_packet_id(self) -> int:
        return self._rng.randrange(1, 0xFFFFFFFF)

    def _destination(self, to: Destination) -> int:
        if to == "radio":
            return self.node_num
        if to == "broadcast":
            return BROADCAST_NUM
        return node_num(to)

    def _charge_air(self, payload_bytes: int | None) -> None:
        preset = EU_868_PRESETS.get(self.preset)
        if preset is None:  # a client set a preset outside EU_868: not counted
            return
        phy = 28 if payload_bytes is None else 16 + payload_bytes + 7
        seconds = time_on_air(preset, phy)
        with self._lock:
            self.airtime_seconds += seconds
