"""The region channel's frames: compact, signed, refused when forged, replayed or malformed."""

from __future__ import annotations

import contextlib
import random

import pytest

from hub.domain import region_radio as rr
from hub.domain.vocab import NEED_CATEGORIES, URGENCIES

KEY = b"region-key-utrecht-0001"
HUB = rr.hub_tag("hub-lombok")


def _summary(**changes: object) -> rr.Summary:
    values: dict[str, object] = {
        "mode": "crisis",
        "households_ok": 412,
        "households_help": 17,
        "households_silent": 1203,
        "special_not_reached": 9,
        "sos_open": 2,
        "needs_by_urgency": {"life": 1, "urgent": 6, "normal": 30},
        "needs_by_category": {("medical_device", "life"): 1, ("water", "urgent"): 6, ("food", "normal"): 30},
        "battery_percent": 64,
        "on_mains": False,
    }
    values.update(changes)
    return rr.Summary(**values)  # type: ignore[arg-type]


def _header(kind: rr.Kind, seq: int = 1, sent: int = 1_800_000_000) -> rr.Header:
    return rr.Header(kind, HUB, seq, sent)


def test_a_summary_round_trips_in_one_small_packet() -> None:
    summary = _summary()
    frame = rr.encode(KEY, _header(rr.Kind.SUMMARY), summary)
    assert len(frame) <= rr.SUMMARY_LIMIT
    header, body = rr.decode(KEY, frame)
    assert header == _header(rr.Kind.SUMMARY)
    assert body == summary


@pytest.mark.parametrize(("battery", "mains"), [(64, False), (100, True), (None, None), (None, True)])
def test_the_power_state_travels_and_unknown_stays_unknown(battery: int | None, mains: bool | None) -> None:
    _, body = rr.decode(
        KEY, rr.encode(KEY, _header(rr.Kind.SUMMARY), _summary(battery_percent=battery, on_mains=mains))
    )
    assert isinstance(body, rr.Summary)
    assert (body.battery_percent, body.on_mains, body.mode) == (battery, mains, "crisis")


def test_a_summary_claiming_mains_and_battery_at_once_is_refused() -> None:
    frame = rr.encode(KEY, _header(rr.Kind.SUMMARY), _summary(on_mains=True))
    payload = bytearray(frame[: -rr.TAG_BYTES])
    payload[11] |= 0x40  # the mode byte, just after the 11-byte header
    with pytest.raises(rr.FrameError, match="mains and on battery"):
        rr.decode(KEY, bytes(payload) + rr.sign(KEY, bytes(payload)))


def test_a_summary_with_every_category_stays_within_60_bytes_and_keeps_the_most_urgent() -> None:
    every = {(cat, urg): 3 for cat in NEED_CATEGORIES for urg in URGENCIES}
    frame = rr.encode(KEY, _header(rr.Kind.SUMMARY), _summary(needs_by_category=every))
    assert len(frame) <= 60
    _, body = rr.decode(KEY, frame)
    assert isinstance(body, rr.Summary)
    assert body.more_categories
    kept = set(body.needs_by_category)
    assert {(cat, "life") for cat in NEED_CATEGORIES} <= kept, "life-threatening needs are never cut"
    assert body.needs_by_urgency == {"life": 1, "urgent": 6, "normal": 30}, "totals always travel"


def test_counts_beyond_the_field_are_clamped_not_wrapped() -> None:
    frame = rr.encode(KEY, _header(rr.Kind.SUMMARY), _summary(households_silent=100_000, sos_open=999))
    _, body = rr.decode(KEY, frame)
    assert isinstance(body, rr.Summary)
    assert (body.households_silent, body.sos_open) == (0xFFFF, 0xFF)


def test_an_urgent_need_carries_its_event_id_for_deduplication() -> None:
    urgent = rr.Urgent(bytes(range(16)), rr.UrgentWhat.SUPPLIES, "water", 40, "Molenweg: water op")
    header, body = rr.decode(KEY, rr.encode(KEY, _header(rr.Kind.URGENT), urgent))
    assert body == urgent
    ack = rr.Ack(rr.Kind.URGENT, urgent.event_id)
    assert rr.decode(KEY, rr.encode(KEY, _header(rr.Kind.ACK, seq=2), ack))[1] == ack


def test_a_frame_signed_with_another_key_is_refused() -> None:
    frame = rr.encode(b"someone else", _header(rr.Kind.SUMMARY), _summary())
    with pytest.raises(rr.FrameError, match="key"):
        rr.decode(KEY, frame)


@pytest.mark.parametrize("position", range(0, 37, 5))
def test_a_changed_byte_is_refused(position: int) -> None:
    frame = bytearray(rr.encode(KEY, _header(rr.Kind.SUMMARY), _summary()))
    frame[position] ^= 0x01
    with pytest.raises(rr.FrameError):
        rr.decode(KEY, bytes(frame))


def test_every_truncation_and_signed_garbage_is_a_frame_error_never_a_crash() -> None:
    frame = rr.encode(KEY, _header(rr.Kind.URGENT), rr.Urgent(bytes(16), rr.UrgentWhat.SOS, "other", 1, "x"))
    for end in range(len(frame)):
        with pytest.raises(rr.FrameError):
            rr.decode(KEY, frame[:end])
    randomness = random.Random(7)
    for _ in range(2000):
        body = randomness.randbytes(randomness.randrange(0, 40))
        head = bytes([0x10 | randomness.randrange(0, 16)]) + randomness.randbytes(10)
        payload = head + body
        with contextlib.suppress(rr.FrameError):
            rr.decode(KEY, payload + rr.sign(KEY, payload))


def test_an_unknown_version_is_refused() -> None:
    frame = rr.encode(KEY, _header(rr.Kind.SUMMARY), _summary())
    payload = bytes([0x20 | frame[0] & 0x0F]) + frame[1:-8]
    with pytest.raises(rr.FrameError, match="version"):
        rr.decode(KEY, payload + rr.sign(KEY, payload))


def test_replayed_and_stale_frames_are_refused_and_a_restarted_hub_is_heard() -> None:
    guard = rr.ReplayGuard(max_age_seconds=3600, restart_seconds=60)
    now = 1_800_000_000
    assert guard.accept(_header(rr.Kind.SUMMARY, seq=10, sent=now), now)
    assert not guard.accept(_header(rr.Kind.SUMMARY, seq=10, sent=now), now), "the same frame again"
    assert not guard.accept(_header(rr.Kind.SUMMARY, seq=9, sent=now), now), "an older one"
    assert guard.accept(_header(rr.Kind.SUMMARY, seq=11, sent=now + 1), now)
    assert guard.accept(_header(rr.Kind.SUMMARY, seq=0, sent=now + 600), now + 600), "restarted at 0"
    assert not guard.accept(_header(rr.Kind.SUMMARY, seq=1, sent=now - 7200), now + 600), "too old"
    wrapped = rr.ReplayGuard()
    assert wrapped.accept(_header(rr.Kind.SUMMARY, seq=0xFFFF, sent=now), now)
    assert wrapped.accept(_header(rr.Kind.SUMMARY, seq=0, sent=now), now), "seq wraps"


def test_a_long_announcement_is_split_into_frames_that_fit_and_join_again() -> None:
    text = "Drinkwater bij de Lombokschool van 10 tot 16 uur, neem eigen flessen mee. " * 6
    parts = rr.split_announcement(text, target=rr.ALL_HUBS, message_id=77)
    assert len(parts) > 1
    frames = [rr.encode(KEY, _header(rr.Kind.ANNOUNCE, seq=i), p) for i, p in enumerate(parts)]
    assert all(len(f) <= rr.FRAME_LIMIT for f in frames)
    decoded = [rr.decode(KEY, f)[1] for f in frames]
    assert " ".join(p.text for p in decoded if isinstance(p, rr.AnnouncePart)) == " ".join(text.split())
    assert [(p.part, p.parts) for p in parts] == [(i, len(parts)) for i in range(1, len(parts) + 1)]


def test_hubs_on_one_channel_take_turns() -> None:
    assert [rr.summary_offset(f"hub-{i}", 900, 60, slot=i) for i in range(3)] == [0, 60, 120]
    offsets = {rr.summary_offset(f"hub-{i}", 900, 60) for i in range(5)}
    assert all(0 <= o < 900 and o % 60 == 0 for o in offsets)
    assert rr.summary_offset("hub-a", 900, 60) == rr.summary_offset("hub-a", 900, 60)


@pytest.mark.parametrize(("preset", "ceiling"), [("MEDIUM_FAST", 0.005), ("LONG_FAST", 0.01)])
def test_a_summary_every_15_minutes_costs_a_sliver_of_the_duty_cycle(preset: str, ceiling: float) -> None:
    frame = rr.encode(KEY, _header(rr.Kind.SUMMARY), _summary())
    share = rr.summary_duty_share(preset, frame, period_seconds=900)
    assert 0 < share < ceiling
