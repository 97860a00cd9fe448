"""The region channel's wire format: compact, versioned, authenticated frames (pure).

When the internet is down for days, hubs and the regional station talk over a LoRa channel of
their own. Every frame is a few bytes of ``struct``, never JSON, so a hub's summary fits one
packet of at most :data:`SUMMARY_LIMIT` bytes::

    frame   = header body tag
    header  = version:4 bits | kind:4 bits, sender:4 bytes, seq:2 bytes, sent:4 bytes (unix s)
    tag     = the first 8 bytes of HMAC-SHA256(region key, header + body)

``sender`` is the first 4 bytes of SHA-256 of the hub's id (:func:`hub_tag`); the station knows
its hubs' ids and so their tags. The region key is shared by the region's hubs and station only:
a stranger who holds the neighbourhood channel's key still cannot forge a hub's summary, and
:class:`ReplayGuard` refuses a frame recorded and sent again.

Kinds:

- ``SUMMARY``: a snapshot of a hub's figures (households OK / help / not heard from, open needs
  by urgency and the largest by category, special attention not reached, open SOS, mode,
  battery and mains). Snapshots replace each other, so they are never acknowledged.
- ``URGENT``: an SOS, a life-threatening need or a request for supplies ("water for 40
  households"), carrying the event's own 16-byte ULID so the region stores it once, whether it
  came over LoRa, over MQTT or both.
- ``ANNOUNCE``: part of an announcement from the region to one hub or all, with a message id.
- ``ACK``: the receiver's acknowledgement of an ``URGENT`` frame or an ``ANNOUNCE`` part.

A frame that is too short, has an unknown version or kind, or a wrong tag raises
:class:`FrameError`; nothing in it is trusted.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum

from hub.domain.airtime import (
    DATA_OVERHEAD_BYTES,
    EU_868_DUTY_CYCLE,
    MESH_HEADER_BYTES,
    ModemPreset,
    time_on_air,
)
from hub.domain.vocab import MODES, NEED_CATEGORIES, URGENCIES, URGENCY_RANK

VERSION = 1
TAG_BYTES = 8
SUMMARY_LIMIT = 60
FRAME_LIMIT = 200  # well inside a Meshtastic payload (~230 bytes), room for the mesh header

_HEADER = struct.Struct(">B4sHI")
_SUMMARY = struct.Struct(
    ">BBHHHHB3H"
)  # mode|mains, battery, ok, help, silent, special, sos, needs by urgency
_URGENT = struct.Struct(">16sBBH")  # event id, what, category, households
_ANNOUNCE = struct.Struct(">4sIBB")  # target hub (zeros: all), message id, part, parts
_ACK = struct.Struct(">B16sB")  # kind acknowledged, id (event ulid, or message id + zeros), part

ALL_HUBS = bytes(4)
BATTERY_UNKNOWN = 255
# The summary's mode byte: the mode in the low bits; mains known on, or known off (neither: unknown).
_ON_MAINS = 0x80
_ON_BATTERY = 0x40
_MODE_BITS = 0x3F


class FrameError(ValueError):
    """A frame the hub must not act on: malformed, unknown, forged or replayed."""


class Kind(IntEnum):
    SUMMARY = 1
    URGENT = 2
    ANNOUNCE = 3
    ACK = 4


class UrgentWhat(IntEnum):
    SOS = 1
    LIFE_NEED = 2
    SUPPLIES = 3  # a resident's urgent need for water, food, medicine, power, a medical device
    SUPPLY_REQUEST = 4  # the coordinators' request for supplies for a number of households


def hub_tag(hub_id: str) -> bytes:
    """The 4 bytes that name a hub on the region channel."""
    return hashlib.sha256(hub_id.encode()).digest()[:4]


@dataclass(frozen=True)
class Header:
    kind: Kind
    sender: bytes
    seq: int
    sent: int  # unix seconds, from the sender's clock


@dataclass(frozen=True)
class Summary:
    """One hub's figures, as the region station shows them "via LoRa, n minutes old"."""

    mode: str
    households_ok: int
    households_help: int
    households_silent: int
    special_not_reached: int
    sos_open: int
    needs_by_urgency: Mapping[str, int]
    needs_by_category: Mapping[tuple[str, str], int] = field(default_factory=dict)
    battery_percent: int | None = None
    on_mains: bool | None = None  # None: the hub does not know
    more_categories: bool = False  # some (category, urgency) counts did not fit the packet


@dataclass(frozen=True)
class Urgent:
    event_id: bytes  # the ULID's 16 bytes
    what: UrgentWhat
    category: str  # a need category; "other" for an SOS
    households: int
    text: str


@dataclass(frozen=True)
class AnnouncePart:
    target: bytes  # a hub tag, or ALL_HUBS
    message_id: int
    part: int
    parts: int
    text: str


@dataclass(frozen=True)
class Ack:
    kind: Kind
    ref: bytes  # 16 bytes: an URGENT's event id, or a message id padded with zeros
    part: int = 0


Body = Summary | Urgent | AnnouncePart | Ack


def _clamp16(value: int) -> int:
    return max(0, min(0xFFFF, value))


def sign(key: bytes, data: bytes) -> bytes:
    """The frame's tag: HMAC-SHA256 with the region key, cut to TAG_BYTES."""
    return hmac.new(key, data, hashlib.sha256).digest()[:TAG_BYTES]


def encode(key: bytes, header: Header, body: Body) -> bytes:
    """The signed frame for ``body``; FrameError if it would not fit its limit."""
    head = _HEADER.pack((VERSION << 4) | int(header.kind), header.sender, header.seq & 0xFFFF, header.sent)
    payload = head + _encode_body(body)
    frame = payload + sign(key, payload)
    limit = SUMMARY_LIMIT if header.kind is Kind.SUMMARY else FRAME_LIMIT
    if len(frame) > limit:
        raise FrameError(f"{header.kind.name.lower()} frame is {len(frame)} bytes, limit {limit}")
    return frame


def _encode_body(body: Body) -> bytes:
    if isinstance(body, Summary):
        return _encode_summary(body)
    if isinstance(body, Urgent):
        fixed = _URGENT.pack(
            body.event_id, int(body.what), NEED_CATEGORIES.index(body.category), _clamp16(body.households)
        )
        return fixed + body.text.encode()
    if isinstance(body, AnnouncePart):
        return _ANNOUNCE.pack(body.target, body.message_id, body.part, body.parts) + body.text.encode()
    return _ACK.pack(int(body.kind), body.ref, body.part)


def _encode_summary(summary: Summary) -> bytes:
    mains = {True: _ON_MAINS, False: _ON_BATTERY, None: 0}[summary.on_mains]
    mode_byte = MODES.index(summary.mode) | mains
    battery = (
        BATTERY_UNKNOWN if summary.battery_percent is None else max(0, min(100, summary.battery_percent))
    )
    fixed = _SUMMARY.pack(
        mode_byte,
        battery,
        _clamp16(summary.households_ok),
        _clamp16(summary.households_help),
        _clamp16(summary.households_silent),
        _clamp16(summary.special_not_reached),
        max(0, min(0xFF, summary.sos_open)),
        *(_clamp16(summary.needs_by_urgency.get(u, 0)) for u in URGENCIES),
    )
    room = SUMMARY_LIMIT - _HEADER.size - len(fixed) - TAG_BYTES - 1  # one byte counts the entries
    ranked = sorted(
        ((cat, urg, n) for (cat, urg), n in summary.needs_by_category.items() if n > 0),
        key=lambda item: (URGENCY_RANK[item[1]], -item[2], item[0]),
    )
    fitting = ranked[: room // 2]
    more = summary.more_categories or len(fitting) < len(ranked)
    entries = bytes(
        byte
        for cat, urg, n in fitting
        for byte in ((NEED_CATEGORIES.index(cat) << 2) | URGENCIES.index(urg), min(0xFF, n))
    )
    return fixed + bytes([len(fitting) | (0x80 if more else 0)]) + entries


def decode(key: bytes, frame: bytes) -> tuple[Header, Body]:
    """Check the tag and read a frame; FrameError for anything the hub must not act on."""
    if len(frame) < _HEADER.size + TAG_BYTES:
        raise FrameError("frame too short")
    payload, tag = frame[:-TAG_BYTES], frame[-TAG_BYTES:]
    if not hmac.compare_digest(sign(key, payload), tag):
        raise FrameError("tag does not match: not signed with this region's key")
    kind_byte, sender, seq, sent = _HEADER.unpack_from(payload)
    if kind_byte >> 4 != VERSION:
        raise FrameError(f"unknown version {kind_byte >> 4}")
    try:
        kind = Kind(kind_byte & 0x0F)
    except ValueError:
        raise FrameError(f"unknown kind {kind_byte & 0x0F}") from None
    try:
        body = _decode_body(kind, payload[_HEADER.size :])
    except (struct.error, IndexError, UnicodeDecodeError, ValueError) as exc:
        raise FrameError(f"malformed {kind.name.lower()} body: {exc}") from exc
    return Header(kind, sender, seq, sent), body


def _decode_body(kind: Kind, data: bytes) -> Body:
    if kind is Kind.SUMMARY:
        return _decode_summary(data)
    if kind is Kind.URGENT:
        event_id, what, category, households = _URGENT.unpack_from(data)
        return Urgent(
            event_id, UrgentWhat(what), NEED_CATEGORIES[category], households, data[_URGENT.size :].decode()
        )
    if kind is Kind.ANNOUNCE:
        target, message_id, part, parts = _ANNOUNCE.unpack_from(data)
        if not 1 <= part <= parts:
            raise ValueError(f"part {part} of {parts}")
        return AnnouncePart(target, message_id, part, parts, data[_ANNOUNCE.size :].decode())
    acked, ref, part = _ACK.unpack(data)
    return Ack(Kind(acked), ref, part)


def _decode_summary(data: bytes) -> Summary:
    mode_byte, battery, ok, help_, silent, special, sos, *by_urgency = _SUMMARY.unpack_from(data)
    if mode_byte & _ON_MAINS and mode_byte & _ON_BATTERY:
        raise ValueError("both on mains and on battery")
    count_byte = data[_SUMMARY.size]
    count = count_byte & 0x7F
    entries = data[_SUMMARY.size + 1 :]
    if len(entries) != 2 * count:
        raise ValueError(f"{count} need entries announced, {len(entries)} bytes follow")
    by_category = {
        (NEED_CATEGORIES[entries[i] >> 2], URGENCIES[entries[i] & 0x03]): entries[i + 1]
        for i in range(0, len(entries), 2)
    }
    return Summary(
        mode=MODES[mode_byte & _MODE_BITS],
        households_ok=ok,
        households_help=help_,
        households_silent=silent,
        special_not_reached=special,
        sos_open=sos,
        needs_by_urgency=dict(zip(URGENCIES, by_urgency, strict=True)),
        needs_by_category=by_category,
        battery_percent=None if battery == BATTERY_UNKNOWN else battery,
        on_mains=True if mode_byte & _ON_MAINS else False if mode_byte & _ON_BATTERY else None,
        more_categories=bool(count_byte & 0x80),
    )


def announcement_id(key: str) -> int:
    """The message id an announcement goes by over LoRa, derived from the key the hubs know its
    MQTT copy by (``json:<sender>:<id>``, ``cap:<sender>:<identifier>``): a hub that gets both
    copies computes the one from the other and shows the announcement once. 31 bits, never 0."""
    return (int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big") & 0x7FFFFFFF) or 1


def split_announcement(
    text: str, *, target: bytes, message_id: int, room: int | None = None
) -> list[AnnouncePart]:
    """Cut an announcement into parts that each fit one frame, on word boundaries where possible."""
    room = room or FRAME_LIMIT - _HEADER.size - _ANNOUNCE.size - TAG_BYTES
    chunks: list[str] = []
    rest = " ".join(text.split())
    while rest:
        cut = rest.encode()[:room].decode(errors="ignore")
        if len(cut) < len(rest) and " " in cut:
            cut = cut[: cut.rindex(" ")]
        chunks.append(cut)
        rest = rest[len(cut) :].lstrip()
    if len(chunks) > 0xFF:
        raise FrameError("announcement too long for the region channel")
    return [AnnouncePart(target, message_id, i, len(chunks), chunk) for i, chunk in enumerate(chunks, 1)]


@dataclass
class ReplayGuard:
    """Refuses frames replayed or much older than the newest seen from the same sender.

    ``seq`` wraps at 65,536; a frame is new when its ``seq`` is ahead of the last one seen by less
    than half the range, or when it is sent more than ``restart_seconds`` later (the sender
    restarted and counts again from zero). Frames older than ``max_age_seconds`` by the receiver's
    clock are refused too.
    """

    max_age_seconds: int = 6 * 3600
    restart_seconds: int = 60
    _last: dict[bytes, tuple[int, int]] = field(default_factory=dict)

    def accept(self, header: Header, now: int) -> bool:
        if now - header.sent > self.max_age_seconds:
            return False
        last = self._last.get(header.sender)
        if last is not None:
            last_seq, last_sent = last
            ahead = (header.seq - last_seq) % 0x10000
            restarted = header.sent > last_sent + self.restart_seconds
            if not (0 < ahead < 0x8000 or restarted):
                return False
        self._last[header.sender] = (header.seq, max(header.sent, last[1] if last else 0))
        return True


def summary_offset(hub_id: str, period_seconds: int, slot_seconds: int, slot: int | None = None) -> int:
    """Seconds into each summary period at which this hub sends, so hubs on one channel take turns.

    A configured ``slot`` wins; otherwise the hub's id picks one, so neighbours spread out without
    coordination (two hubs can still share a slot; the channel's own listen-before-talk covers it).
    """
    slots = max(1, period_seconds // slot_seconds)
    chosen = slot if slot is not None else zlib.crc32(hub_id.encode()) % slots
    return (chosen % slots) * slot_seconds


def frame_airtime(preset: ModemPreset | str, frame: bytes) -> float:
    """Seconds on air of one frame sent on the region channel (mesh header and Data wrapper added)."""
    return time_on_air(preset, MESH_HEADER_BYTES + DATA_OVERHEAD_BYTES + len(frame))


def summary_duty_share(
    preset: ModemPreset | str, frame: bytes, period_seconds: int, duty_cycle: float = EU_868_DUTY_CYCLE
) -> float:
    """Share of the duty-cycle budget one hub's summaries use when sent once every period."""
    per_hour = 3600 / period_seconds * frame_airtime(preset, frame)
    return per_hour / (3600 * duty_cycle)


def needs_by_category(needs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Counts of open needs by (category, urgency), from (category, urgency) pairs."""
    counts: dict[tuple[str, str], int] = {}
    for key in needs:
        counts[key] = counts.get(key, 0) + 1
    return counts
