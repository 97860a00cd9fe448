"""``RegionAir``: one LoRa channel shared by several simulated radios (hubs and a station).

A single ``Simulator`` models one radio with handsets behind it. Hubs of a region and the
regional station talk on a channel of their own (a secondary channel, index 1 by default):

    air = RegionAir(loss=0.1, hop_delay=0.3, seed=1)
    hub_a, hub_b, station = Simulator(seed=1), Simulator(seed=2), Simulator(seed=3)
    for radio in (hub_a, hub_b, station):
        air.attach(radio)          # sets the region channel on the radio (provision=False: not)
    # a client of hub_a sends on channel index 1; every other radio's client receives it

Attach a radio before its client connects: the channel table a client sees is the one served in
its handshake.

As on real radios, a radio hears a packet when one of its channels has the sender's channel
name and key and it runs the same modem preset; the receiver's client gets it on *its* index of
that channel. Each transmission is lost for each listener with probability ``loss`` and arrives
``hop_delay`` seconds later per hop. A packet with ``want_ack`` is sent up to three times
(``retry_interval`` apart) until the destination's firmware ACKs it (a direct packet) or any
radio heard it (a broadcast: the implicit ACK of a rebroadcast); then the sender's client gets
the routing ACK, or NAK ``MAX_RETRANSMIT``. A receiver's firmware drops repeats of a packet id
it already passed up. Every transmission is charged to the transmitting radio's air ledger
(``hub``/``hub_retry``/``radio_ack``) and to every listener's as ``heard``.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hub.mesh.sim.packets import ROUTING_DATA_BYTES, copy_message
from hub.mesh.sim.pb import BROADCAST_NUM, channel_pb2

if TYPE_CHECKING:
    from hub.mesh.sim.simulator import Simulator

REGION_CHANNEL_INDEX = 1
FIRMWARE_TRANSMISSIONS = 3
DISABLED = channel_pb2.Channel.Role.Value("DISABLED")


@dataclass(frozen=True)
class Transmission:
    """One packet on the region air, as a test reads it back (``RegionAir.log``)."""

    from_num: int
    to_num: int
    packet_id: int
    portnum: int
    payload: bytes
    attempt: int  # 1 for the first transmission, 2 and 3 for the firmware's retries
    heard_by: tuple[int, ...]  # node numbers of the radios that received it
    at: float = field(default_factory=time.monotonic)


class RegionAir:
    """A shared channel joining several ``Simulator`` radios; thread-safe."""

    def __init__(
        self,
        *,
        name: str = "region",
        psk: bytes | None = None,
        channel_index: int = REGION_CHANNEL_INDEX,
        loss: float = 0.0,
        hop_delay: float = 0.05,
        retry_interval: float = 0.5,
        seed: int | None = None,
    ) -> None:
        self._rng = random.Random(seed)
        self.name = name
        self.psk = psk if psk is not None else bytes(self._rng.getrandbits(8) for _ in range(32))
        self.channel_index = channel_index
        self.loss = loss
        self.hop_delay = hop_delay
        self.retry_interval = retry_interval
        self._lock = threading.Lock()
        self._radios: list[Simulator] = []
        self._hops: dict[frozenset[int], int] = {}
        self._cut: set[int] = set()
        self._passed_up: dict[int, set[tuple[int, int]]] = {}
        self.log: list[Transmission] = []

    # -- membership ----------------------------------------------------------------------
    def attach(self, radio: Simulator, *, provision: bool = True) -> None:
        """Put ``radio`` on this air. ``provision`` sets its channel ``channel_index`` to this
        air's name and key (as ``hub radio provision`` would); without it the radio hears only
        what its own channels let it."""
        if provision:
            settings = channel_pb2.ChannelSettings(name=self.name, psk=self.psk)
            radio.set_channel(self.channel_index, settings, role="SECONDARY")
        with self._lock:
            if radio not in self._radios:
                self._radios.append(radio)
                self._passed_up[radio.node_num] = set()
        radio.join_region_air(self)

    def detach(self, radio: Simulator) -> None:
        with self._lock:
            if radio in self._radios:
                self._radios.remove(radio)
        radio.join_region_air(None)

    @property
    def radios(self) -> list[Simulator]:
        with self._lock:
            return list(self._radios)

    def set_hops(self, a: Simulator, b: Simulator, hops: int) -> None:
        """Radios ``a`` and ``b`` are ``hops`` hops apart (default 1): delay and hop limit."""
        with self._lock:
            self._hops[frozenset((a.node_num, b.node_num))] = max(1, hops)

    def cut(self, radio: Simulator, cut: bool = True) -> None:
        """Take ``radio`` off the air (a dead antenna) or put it back; it still talks to its client."""
        with self._lock:
            if cut:
                self._cut.add(radio.node_num)
            else:
                self._cut.discard(radio.node_num)

    def sent(self, from_num: int | None = None) -> list[Transmission]:
        with self._lock:
            return [t for t in self.log if from_num is None or t.from_num == from_num]

    def wait_sent(
        self, from_num: int | None = None, count: int = 1, timeout: float = 10.0
    ) -> list[Transmission]:
        """The transmissions from ``from_num`` once at least ``count`` are on the air (or at the
        deadline): a client's ``sendData`` returns before its radio has transmitted."""
        deadline = time.monotonic() + timeout
        while len(sent := self.sent(from_num)) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return sent

    # -- carrying ----------------------------------------------------------------------------
    def carry(self, sender: Simulator, packet: Any) -> None:
        """Put a client's packet on the air; called by ``sender`` for its region channel."""
        channel = _channel(sender, packet.channel)
        if channel is None:
            if packet.want_ack:
                sender.send_routing(sender.node_num, packet, "NO_CHANNEL", 0.0)
            return
        listeners = [r for r in self.radios if r is not sender and r.preset == sender.preset]
        tuned = [(r, idx) for r in listeners if (idx := _index_of(r, channel)) is not None]
        if packet.to != BROADCAST_NUM:
            tuned = [(r, idx) for r, idx in tuned if r.node_num == packet.to]
        attempts = FIRMWARE_TRANSMISSIONS if packet.want_ack else 1
        data_bytes = packet.decoded.ByteSize()
        for attempt in range(1, attempts + 1):
            at = (attempt - 1) * self.retry_interval
            sender.air.add("hub" if attempt == 1 else "hub_retry", data_bytes, sender.preset)
            heard = [(r, idx) for r, idx in tuned if self._hears(sender, r)]
            for radio in listeners:
                if self._on_air(sender, radio):
                    radio.air.add("heard", data_bytes, radio.preset)
            self._record(sender, packet, attempt, heard)
            for radio, idx in heard:
                self._pass_up(sender, radio, idx, packet, at)
            if not packet.want_ack:
                return
            if packet.to == BROADCAST_NUM and heard:
                sender.send_routing(sender.node_num, packet, "NONE", at + 2 * self.hop_delay)
                return
            if packet.to != BROADCAST_NUM and heard:
                destination = heard[0][0]
                destination.air.add("radio_ack", ROUTING_DATA_BYTES, destination.preset)
                if self._hears(destination, sender):  # the ACK itself can be lost
                    back = at + 2 * self._delay(sender, destination)
                    sender.send_routing(destination.node_num, packet, "NONE", back)
                    return
        sender.send_routing(sender.node_num, packet, "MAX_RETRANSMIT", attempts * self.retry_interval)

    def _on_air(self, sender: Simulator, receiver: Simulator) -> bool:
        with self._lock:
            return sender.node_num not in self._cut and receiver.node_num not in self._cut

    def _hears(self, sender: Simulator, receiver: Simulator) -> bool:
        if not self._on_air(sender, receiver):
            return False
        with self._lock:
            return not (self.loss > 0 and self._rng.random() < self.loss)

    def _delay(self, a: Simulator, b: Simulator) -> float:
        with self._lock:
            hops = self._hops.get(frozenset((a.node_num, b.node_num)), 1)
        return hops * self.hop_delay

    def _pass_up(self, sender: Simulator, radio: Simulator, index: int, packet: Any, at: float) -> None:
        key = (sender.node_num, packet.id)
        with self._lock:
            seen = self._passed_up.setdefault(radio.node_num, set())
            if key in seen:  # the firmware's packet history drops a repeat
                return
            seen.add(key)
            hops = self._hops.get(frozenset((sender.node_num, radio.node_num)), 1)
        received = copy_message(packet)
        setattr(received, "from", sender.node_num)
        received.channel = index
        received.rx_time = int(time.time())
        received.rx_snr = 6.0
        received.rx_rssi = -90
        start = packet.hop_limit or 3
        received.hop_start = start
        received.hop_limit = max(start - (hops - 1), 0)
        radio.later(at + hops * self.hop_delay, lambda: radio.hear(received))

    def _record(
        self, sender: Simulator, packet: Any, attempt: int, heard: list[tuple[Simulator, int]]
    ) -> None:
        entry = Transmission(
            from_num=sender.node_num,
            to_num=packet.to,
            packet_id=packet.id,
            portnum=packet.decoded.portnum,
            payload=bytes(packet.decoded.payload),
            attempt=attempt,
            heard_by=tuple(r.node_num for r, _ in heard),
        )
        with self._lock:
            self.log.append(entry)


def _channel(radio: Simulator, index: int) -> Any | None:
    channels = radio.channels
    if not 0 <= index < len(channels) or channels[index].role == DISABLED:
        return None
    return channels[index].settings


def _index_of(radio: Simulator, settings: Any) -> int | None:
    """The radio's index of the channel with these settings' name and key, if it has one."""
    for channel in radio.channels:
        if channel.role == DISABLED:
            continue
        if channel.settings.name == settings.name and channel.settings.psk == settings.psk:
            return int(channel.index)
    return None
