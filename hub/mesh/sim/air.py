"""``Air``: what becomes of the client's packets between the simulated radio and its handsets.

A packet reaches the handsets it is meant for unless a fault (``Faults``) drops it; a
text a handset hears goes into the ``Inbox``. For each packet ``carry`` answers with the
ACK or NAK the firmware would hand back to the client, and after how long.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hub.mesh.sim.faults import Faults
from hub.mesh.sim.handsets import Handset, Inbox, ReceivedText, node_num
from hub.mesh.sim.pb import BROADCAST_NUM, PortNum


@dataclass(frozen=True)
class Routing:
    """The ACK (``error == "NONE"``) or NAK for a client's packet, sent by ``from_num``."""

    from_num: int
    error: str
    delay: float


class Air:
    """The handsets around the radio ``own_num`` and the faults between them."""

    def __init__(self, own_num: int, handsets: list[Handset], faults: Faults, inbox: Inbox) -> None:
        self._own_num = own_num
        self._handsets = handsets
        self._faults = faults
        self._inbox = inbox

    def handset(self, who: str | int) -> Handset:
        num = node_num(who)
        for handset in self._handsets:
            if handset.node_num == num:
                return handset
        raise KeyError(f"no handset {who!r}")

    def carry(self, packet: Any) -> Routing | None:
        """Take the client's packet to its handsets; the ACK or NAK, if it wants one."""
        nak = self._faults.take_nak()
        if nak is not None:
            return self._ack(self._own_num, packet, nak)
        if packet.to == BROADCAST_NUM:
            return self._broadcast(packet)
        if packet.to == self._own_num:
            return self._ack(self._own_num, packet)
        return self._direct(packet)

    def _broadcast(self, packet: Any) -> Routing | None:
        heard = False
        for handset in self._handsets:
            if not self._faults.roll(self._faults.drop_rate):
                self._record(handset, packet, broadcast=True)
                heard = True
        if heard:  # implicit ACK: a rebroadcast was heard, from our own node
            return self._ack(self._own_num, packet)
        return self._lost(packet)

    def _direct(self, packet: Any) -> Routing | None:
        try:
            handset = self.handset(packet.to)
        except KeyError:
            handset = None
        if handset is None or self._faults.roll(self._faults.drop_rate):
            return self._lost(packet)
        self._record(handset, packet, broadcast=False)
        return self._ack(handset.node_num, packet)

    def _ack(self, from_num: int, packet: Any, error: str = "NONE") -> Routing | None:
        if not packet.want_ack:
            return None
        return Routing(from_num, error, self._faults.ack_latency + self._faults.delay)

    def _lost(self, packet: Any) -> Routing | None:
        if not packet.want_ack:
            return None
        return Routing(self._own_num, "MAX_RETRANSMIT", self._faults.retransmit_timeout)

    def _record(self, handset: Handset, packet: Any, broadcast: bool) -> None:
        if packet.decoded.portnum != PortNum.Value("TEXT_MESSAGE_APP"):
            return
        self._inbox.add(
            handset.node_num,
            ReceivedText(
                from_num=self._own_num,
                to_num=packet.to,
                text=packet.decoded.payload.decode("utf-8", errors="replace"),
                packet_id=packet.id,
                channel=packet.channel,
                want_ack=packet.want_ack,
                broadcast=broadcast,
                pki_encrypted=packet.pki_encrypted,
                hop_limit=packet.hop_limit,
                reply_id=packet.decoded.reply_id,
                emoji=bool(packet.decoded.emoji),
            ),
        )
