"""The regional station's radio: the hub's meshtastic adapter, plus binary frames on a channel.

:class:`hub.mesh.adapter.MeshtasticRadio` connects, supervises and reports texts and ACKs; this
subclass also hands every ``PRIVATE_APP`` packet (the region channel's frames) to
:attr:`StationRadio.frames` as a :class:`FrameHeard`, and sends frames with ``sendData``. As
in the adapter, the pypubsub listener only converts and queues: it never blocks or sends.
"""

from __future__ import annotations

import logging
import queue
from dataclasses import dataclass
from typing import Any

from meshtastic.protobuf import portnums_pb2

from hub.domain.radio_events import BROADCAST_NUM
from hub.errors import LinkError
from hub.mesh.adapter import MeshtasticRadio

log = logging.getLogger(__name__)

PRIVATE_APP = "PRIVATE_APP"


@dataclass(frozen=True)
class FrameHeard:
    """A binary payload the radio heard on ``channel`` from node ``from_num``."""

    from_num: int
    packet_id: int
    channel: int
    payload: bytes


class StationRadio(MeshtasticRadio):
    """A radio at ``tcp://host:port`` or ``serial:///dev/...`` that also carries binary frames."""

    def __init__(self, url: str, *, timeout: int = 30) -> None:
        super().__init__(url, timeout=timeout)
        self.frames: queue.Queue[FrameHeard] = queue.Queue()

    def on_receive(self, packet: Any, interface: Any) -> None:
        if interface is None or interface is not self._iface:
            return
        decoded = packet.get("decoded") if isinstance(packet, dict) else None
        if isinstance(decoded, dict) and decoded.get("portnum") == PRIVATE_APP:
            self._touch()
            payload = decoded.get("payload")
            sender = int(packet.get("from") or 0)
            if isinstance(payload, bytes) and sender:
                self.frames.put(
                    FrameHeard(sender, int(packet.get("id") or 0), int(packet.get("channel") or 0), payload)
                )
            return
        super().on_receive(packet, interface)

    def send_frame(self, payload: bytes, channel: int) -> int:
        """Broadcast ``payload`` on ``channel`` as ``PRIVATE_APP``; returns the packet id. The
        region protocol acknowledges frames itself, so no mesh ACK is asked for."""
        iface = self._iface
        if iface is None or not iface.isConnected.is_set():
            raise LinkError("radio not connected")
        try:
            packet = iface.sendData(
                payload,
                destinationId=BROADCAST_NUM,
                portNum=portnums_pb2.PortNum.PRIVATE_APP,
                wantAck=False,
                channelIndex=channel,
            )
        except BaseException as exc:  # the library raises SystemExit and bare Exceptions
            raise LinkError(f"send failed: {exc}") from exc
        return int(packet.id)
