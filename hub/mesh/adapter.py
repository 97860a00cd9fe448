"""The ``meshtastic`` library behind a small typed protocol of ours (``RadioLink``).

The library publishes untyped dicts on a process-wide pypubsub bus from its own threads,
holds listeners weakly and swallows their exceptions. So here the listeners are bound
methods of a live object, with the library's ``(packet, interface)`` signature; they only
turn a packet into a typed event (``hub.domain.radio_events``) and put it on a thread-safe queue.
Nothing here blocks, sends or touches the database; no library type leaves this module,
and library errors become ``LinkError``.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from meshtastic.protobuf import mesh_pb2, portnums_pb2
from meshtastic.serial_interface import SerialInterface
from meshtastic.tcp_interface import TCPInterface
from pubsub import pub

from hub.domain.airtime import ModemPreset, modem_from_lora
from hub.domain.radio_events import (
    BROADCAST_NUM,
    AckReceived,
    ChannelReport,
    ConnectionLost,
    DataReceived,
    NakReceived,
    NodeUpdated,
    RadioEvent,
    TextReceived,
    node_id,
)
from hub.errors import LinkError
from hub.mesh.channel import REGION_CHANNEL_INDEX

log = logging.getLogger(__name__)

TOPIC_RECEIVE = "meshtastic.receive"  # parent of every packet topic (text, routing, telemetry, data.*)
TOPIC_NODE = "meshtastic.node.updated"
TOPIC_LOST = "meshtastic.connection.lost"
DEFAULT_TCP_PORT = 4403


@dataclass(frozen=True)
class RadioInfo:
    """The radio we are connected to."""

    node_num: int
    node_id: str
    firmware: str
    nodes: int
    # From the radio's LoRa config: its preset's name ("LONG_FAST", "CUSTOM", or a preset
    # the hub does not know), and the modulation when the hub can compute airtime for it.
    preset_name: str | None = None
    modem: ModemPreset | None = None
    # The name of the radio's channel at the region channel's index, when it is enabled.
    region_channel: str | None = None


class RadioLink(Protocol):
    """What the mesh link needs of a radio (the meshtastic library, or a test twin)."""

    events: queue.Queue[RadioEvent]

    def connect(self) -> RadioInfo: ...

    def close(self) -> None: ...

    def send_text(self, dest: int | None, text: str, want_ack: bool, reply_id: int | None = None) -> int:
        """Send ``text`` to node ``dest`` (None: the channel); returns the packet id.

        With ``reply_id`` the text is a reaction (tapback, ``Data.emoji``) on that packet."""
        ...

    def send_data(self, dest: int | None, payload: bytes, channel: int) -> int:
        """Send ``payload`` as a ``PRIVATE_APP`` packet on channel index ``channel`` (no ACK asked:
        the region link acknowledges its frames itself); returns the packet id."""
        ...

    def heartbeat(self) -> None: ...

    def last_activity(self) -> float:
        """``time.monotonic()`` of the last FromRadio traffic seen."""
        ...


class MeshtasticRadio:
    """A radio reached through ``tcp://host:port`` or ``serial:///dev/ttyACM0``."""

    def __init__(self, url: str, *, timeout: int = 30) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("tcp", "serial"):
            raise LinkError(f"unsupported radio URL {url!r}")
        self.url = url
        self._parts = parts
        self._timeout = timeout
        self.events: queue.Queue[RadioEvent] = queue.Queue()
        self._iface: Any = None
        self._activity = time.monotonic()
        self._queue_status: Any = None
        self._lock = threading.Lock()

    # -- RadioLink ----------------------------------------------------------------------
    def connect(self) -> RadioInfo:
        if self._parts.scheme == "tcp":
            iface: Any = TCPInterface(
                hostname=self._parts.hostname or "127.0.0.1",
                portNumber=self._parts.port or DEFAULT_TCP_PORT,
                connectNow=False,
                timeout=self._timeout,
            )
        else:
            iface = SerialInterface(devPath=self._parts.path, connectNow=False, timeout=self._timeout)
        # Listeners first, and the interface known to them, so that the node infos of the
        # handshake are not missed.
        self._iface = iface
        self._subscribe()
        try:
            iface.connect()
            iface.waitForConfig()
        except BaseException as exc:  # SystemExit included: the library calls sys.exit
            self.close()
            raise LinkError(f"cannot connect to {self.url}: {exc}") from exc
        self._activity = time.monotonic()
        return self._info(iface)

    def close(self) -> None:
        iface, self._iface = self._iface, None
        self._unsubscribe()
        if iface is not None:
            with contextlib.suppress(Exception):
                iface.close()

    def send_text(self, dest: int | None, text: str, want_ack: bool, reply_id: int | None = None) -> int:
        iface = self._iface
        if iface is None or not iface.isConnected.is_set():
            raise LinkError("radio not connected")
        destination = BROADCAST_NUM if dest is None else dest
        try:
            if reply_id is not None:
                packet = _send_reaction(iface, destination, text, reply_id, want_ack)
            else:
                packet = iface.sendText(text, destinationId=destination, wantAck=want_ack)
        except BaseException as exc:
            raise LinkError(f"send failed: {exc}") from exc
        return int(packet.id)

    def send_data(self, dest: int | None, payload: bytes, channel: int) -> int:
        iface = self._iface
        if iface is None or not iface.isConnected.is_set():
            raise LinkError("radio not connected")
        try:
            packet = iface.sendData(
                payload,
                destinationId=BROADCAST_NUM if dest is None else dest,
                portNum=portnums_pb2.PortNum.PRIVATE_APP,
                wantAck=False,
                channelIndex=channel,
            )
        except BaseException as exc:
            raise LinkError(f"send failed: {exc}") from exc
        return int(packet.id)

    def heartbeat(self) -> None:
        iface = self._iface
        if iface is None:
            raise LinkError("radio not connected")
        try:
            iface.sendHeartbeat()
        except BaseException as exc:
            raise LinkError(f"heartbeat failed: {exc}") from exc

    def last_activity(self) -> float:
        """The library keeps no receive clock; a new QueueStatus (the answer to every packet
        and heartbeat) or any event we got counts as traffic."""
        iface = self._iface
        status = getattr(iface, "queueStatus", None) if iface is not None else None
        if status is not None and status is not self._queue_status:
            self._queue_status = status
            self._touch()
        return self._activity

    # -- pubsub listeners: convert, queue, return ------------------------------------------
    def on_receive(self, packet: Any, interface: Any) -> None:
        if interface is not self._iface or interface is None:
            return
        self._touch()
        own = getattr(getattr(interface, "myInfo", None), "my_node_num", None)
        try:
            event = packet_event(packet, own_num=int(own) if isinstance(own, int) else None)
        except Exception:  # a malformed packet is dropped, never raised into the library
            log.warning("could not read a packet from the radio", exc_info=True)
            return
        if event is not None:
            self.events.put(event)

    def on_node(self, node: Any, interface: Any) -> None:
        if interface is not self._iface or interface is None:
            return
        try:
            event = node_event(node)
        except Exception:
            log.warning("could not read a node update", exc_info=True)
            return
        if event is not None:
            self.events.put(event)

    def on_lost(self, interface: Any) -> None:
        if interface is self._iface and interface is not None:
            self.events.put(ConnectionLost("connection lost"))

    # -- helpers -----------------------------------------------------------------------
    def _touch(self) -> None:
        self._activity = time.monotonic()

    def _subscribe(self) -> None:
        pub.subscribe(self.on_receive, TOPIC_RECEIVE)
        pub.subscribe(self.on_node, TOPIC_NODE)
        pub.subscribe(self.on_lost, TOPIC_LOST)

    def _unsubscribe(self) -> None:
        for listener, topic in (
            (self.on_receive, TOPIC_RECEIVE),
            (self.on_node, TOPIC_NODE),
            (self.on_lost, TOPIC_LOST),
        ):
            with contextlib.suppress(Exception):
                pub.unsubscribe(listener, topic)

    @staticmethod
    def _info(iface: Any) -> RadioInfo:
        num = int(iface.myInfo.my_node_num)
        metadata = getattr(iface, "metadata", None)
        firmware = str(getattr(metadata, "firmware_version", "") or "unknown")
        preset_name, modem = _lora(iface)
        return RadioInfo(
            node_num=num,
            node_id=node_id(num),
            firmware=firmware,
            nodes=len(iface.nodes or {}),
            preset_name=preset_name,
            modem=modem,
            region_channel=_channel_name(iface, REGION_CHANNEL_INDEX),
        )


def _channel_name(iface: Any, index: int) -> str | None:
    """The name of the radio's channel ``index`` (None: disabled, or not reported)."""
    channels = getattr(getattr(iface, "localNode", None), "channels", None) or []
    if index >= len(channels) or channels[index].role == 0:  # 0: DISABLED
        return None
    return str(channels[index].settings.name)


def _send_reaction(iface: Any, destination: int, emoji: str, reply_id: int, want_ack: bool) -> Any:
    """A tapback: ``emoji`` as a text with ``reply_id`` and ``Data.emoji`` set, as the stock apps
    send it. meshtastic 2.7.11's ``sendData`` has no ``emoji`` argument, so the packet is built
    here as ``sendData`` builds it and handed to the same ``_sendPacket``."""
    packet = mesh_pb2.MeshPacket()
    packet.channel = 0
    packet.decoded.portnum = portnums_pb2.PortNum.TEXT_MESSAGE_APP
    packet.decoded.payload = emoji.encode("utf-8")
    packet.decoded.reply_id = reply_id
    packet.decoded.emoji = 1
    packet.id = iface._generatePacketId()
    return iface._sendPacket(packet, destination, wantAck=want_ack)


def _lora(iface: Any) -> tuple[str | None, ModemPreset | None]:
    """The radio's modulation from ``localNode.localConfig.lora`` (sent in the handshake)."""
    local = getattr(getattr(iface, "localNode", None), "localConfig", None)
    if local is None or not local.HasField("lora"):
        return None, None
    lora = local.lora
    names = lora.DESCRIPTOR.fields_by_name["modem_preset"].enum_type.values_by_number
    known = names.get(lora.modem_preset)
    preset_name = str(known.name) if known is not None else f"preset {lora.modem_preset}"
    modem = modem_from_lora(
        use_preset=bool(lora.use_preset),
        preset_name=preset_name,
        bandwidth_khz=int(lora.bandwidth),
        spread_factor=int(lora.spread_factor),
        coding_rate=int(lora.coding_rate),
    )
    return (preset_name if lora.use_preset else "CUSTOM"), modem


def packet_event(packet: dict[str, Any], own_num: int | None = None) -> RadioEvent | None:
    """The typed event for one received packet dict, or None if the hub has no use for it.

    ``own_num`` is the radio's own node: its device metrics describe the channel."""
    decoded = packet.get("decoded")
    sender = int(packet.get("from") or 0)
    if not isinstance(decoded, dict) or sender == 0:
        return None
    portnum = decoded.get("portnum")
    if portnum == "TEXT_MESSAGE_APP":
        text = decoded.get("text")
        if not isinstance(text, str):
            return None
        return TextReceived(
            from_num=sender,
            node_id=node_id(sender),
            packet_id=int(packet.get("id") or 0),
            text=text,
            channel=int(packet.get("channel") or 0),
            direct=int(packet.get("to") or 0) != BROADCAST_NUM,
            pki=bool(packet.get("pkiEncrypted", False)),
            rx_snr=_float(packet.get("rxSnr")),
            rx_time=_float(packet.get("rxTime")) or None,
            want_ack=bool(packet.get("wantAck", False)),
        )
    if portnum == "PRIVATE_APP":
        payload = decoded.get("payload")
        if not isinstance(payload, bytes):
            return None
        return DataReceived(
            from_num=sender,
            packet_id=int(packet.get("id") or 0),
            channel=int(packet.get("channel") or 0),
            payload=payload,
        )
    if portnum == "ROUTING_APP":
        request_id = decoded.get("requestId")
        routing = decoded.get("routing")
        if request_id is None or not isinstance(routing, dict):
            return None
        reason = str(routing.get("errorReason", "NONE"))
        if reason == "NONE":
            return AckReceived(request_id=int(request_id), from_num=sender)
        return NakReceived(request_id=int(request_id), reason=reason)
    if portnum == "TELEMETRY_APP":
        metrics = (decoded.get("telemetry") or {}).get("deviceMetrics")
        if not isinstance(metrics, dict):
            return None
        if own_num is not None and sender == own_num:
            return ChannelReport(
                channel_utilization=_float(metrics.get("channelUtilization")),
                air_util_tx=_float(metrics.get("airUtilTx")),
                at=time.time(),
            )
        return NodeUpdated(
            node_id=node_id(sender),
            battery=_int(metrics.get("batteryLevel")),
            snr=_float(packet.get("rxSnr")),
            last_heard=_float(packet.get("rxTime")) or time.time(),
        )
    return None


def node_event(node: dict[str, Any]) -> NodeUpdated | None:
    num = node.get("num")
    if num is None:
        return None
    metrics = node.get("deviceMetrics") or {}
    return NodeUpdated(
        node_id=node_id(int(num)),
        battery=_int(metrics.get("batteryLevel")),
        snr=_float(node.get("snr")),
        last_heard=_float(node.get("lastHeard")),
    )


def _float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _int(value: object) -> int | None:
    return int(value) if isinstance(value, int | float) else None
