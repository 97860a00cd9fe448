"""Builders for the packets the simulated radio hands its client (real protobufs)."""

from __future__ import annotations

import time
from typing import Any

from hub.mesh.sim.pb import PortNum, mesh_pb2
from hub.mesh.sim.radio import QUEUE_MAXLEN

ACK_PRIORITY = 120  # MeshPacket.Priority.ACK
# A routing ACK's Data: portnum, a Routing(error_reason) payload and the request id.
ROUTING_DATA_BYTES = mesh_pb2.Data(
    portnum=PortNum.Value("ROUTING_APP"),
    payload=mesh_pb2.Routing(error_reason=mesh_pb2.Routing.Error.Value("NONE")).SerializeToString(),
    request_id=0xFFFFFFFF,
).ByteSize()


def text_packet(
    *,
    from_num: int,
    to_num: int,
    packet_id: int,
    text: bytes,
    channel: int,
    snr: float,
    rssi: int,
    hop_limit: int,
    hop_start: int,
    want_ack: bool,
    pki: bool,
) -> Any:
    """A TEXT_MESSAGE_APP packet as the radio passes it up from a handset."""
    packet = mesh_pb2.MeshPacket(
        to=to_num,
        id=packet_id,
        channel=channel,
        rx_time=int(time.time()),
        rx_snr=snr,
        rx_rssi=rssi,
        hop_limit=hop_limit,
        hop_start=hop_start,
        want_ack=want_ack,
        pki_encrypted=pki,
    )
    setattr(packet, "from", from_num)  # "from" is a Python keyword
    packet.decoded.portnum = PortNum.Value("TEXT_MESSAGE_APP")
    packet.decoded.payload = text
    return packet


def reply_packet(*, from_num: int, to_num: int, packet_id: int, request: Any, hop_limit: int) -> Any:
    """An empty reply to ``request`` (``decoded.request_id`` set)."""
    reply = mesh_pb2.MeshPacket(
        to=to_num,
        id=packet_id,
        channel=request.channel,
        rx_time=int(time.time()),
        hop_limit=hop_limit,
        hop_start=hop_limit,
    )
    setattr(reply, "from", from_num)
    reply.decoded.request_id = request.id
    return reply


def make_routing(reply: Any, error: str) -> Any:
    """Turn ``reply`` into a Routing ACK (``error == "NONE"``) or NAK; FromRadio."""
    reply.priority = ACK_PRIORITY
    reply.decoded.portnum = PortNum.Value("ROUTING_APP")
    routing = mesh_pb2.Routing(error_reason=mesh_pb2.Routing.Error.Value(error))
    reply.decoded.payload = routing.SerializeToString()
    return mesh_pb2.FromRadio(packet=reply)


def queue_status(packet_id: int) -> Any:
    """A QueueStatus with a free queue (never a stale ``free == 0``)."""
    return mesh_pb2.FromRadio(
        queueStatus=mesh_pb2.QueueStatus(
            res=0, free=QUEUE_MAXLEN, maxlen=QUEUE_MAXLEN, mesh_packet_id=packet_id
        )
    )


def copy_message(message: Any) -> Any:
    clone = type(message)()
    clone.CopyFrom(message)
    return clone
