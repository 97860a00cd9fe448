"""The hub's region-link decisions (pure): the MQTT watch, summary periods, urgent events and
their retries, announcements assembled once."""

from __future__ import annotations

from ulid import ULID

from hub.domain.region_link import (
    Announcement,
    Assembler,
    LinkWatch,
    UrgentTracker,
    summary_period_number,
    urgent_event,
)
from hub.domain.region_radio import ALL_HUBS, UrgentWhat, split_announcement

EVENT = str(ULID())
OTHER = str(ULID())


def test_link_watch_counts_from_the_first_tick_it_saw_down() -> None:
    watch = LinkWatch()
    watch.observe(True, 0)
    assert watch.down_for(100) == 0
    watch.observe(False, 10)
    watch.observe(False, 50)
    assert watch.down_for(70) == 60
    watch.observe(True, 80)
    assert watch.down_for(90) == 0


def test_summary_period_turns_at_the_hubs_offset() -> None:
    assert summary_period_number(899, 900, 30) == 0
    assert summary_period_number(929, 900, 30) == 0
    assert summary_period_number(930, 900, 30) == 1
    assert summary_period_number(1829, 900, 30) == 1


def test_which_events_go_urgent() -> None:
    sos = urgent_event(EVENT, "alert.raised", {"kind": "sos", "text": "SOS  brand", "drill": False})
    assert sos is not None and (sos.what, sos.text) == (UrgentWhat.SOS, "SOS brand")
    life = urgent_event(EVENT, "need.created", {"category": "medicine", "urgency": "life"})
    assert life is not None and life.what is UrgentWhat.LIFE_NEED and life.text == ""
    supplies = urgent_event(EVENT, "need.created", {"category": "water", "urgency": "urgent"})
    assert supplies is not None and supplies.what is UrgentWhat.SUPPLIES
    assert urgent_event(EVENT, "need.created", {"category": "transport", "urgency": "urgent"}) is None
    assert urgent_event(EVENT, "need.created", {"category": "water", "urgency": "normal"}) is None
    assert (
        urgent_event(EVENT, "need.created", {"category": "water", "urgency": "life", "drill": True}) is None
    )
    assert urgent_event(EVENT, "checkin.created", {"status": "help"}) is None
    long = urgent_event(EVENT, "alert.raised", {"text": "é" * 200})
    assert long is not None and len(long.text.encode()) <= 120


def test_urgent_tracker_retries_until_acked_and_forgets_what_no_longer_needs_it() -> None:
    tracker = UrgentTracker(retry_seconds=60)
    life = urgent_event(EVENT, "need.created", {"category": "medicine", "urgency": "life"})
    sos = urgent_event(OTHER, "alert.raised", {"text": "SOS"})
    assert life is not None and sos is not None
    tracker.update([life, sos], now=0)
    assert [e.what for e in tracker.due(0)] == [UrgentWhat.SOS, UrgentWhat.LIFE_NEED]
    assert tracker.due(30) == []
    assert len(tracker.due(60)) == 2
    assert tracker.acknowledged(ULID().bytes) is None  # an ACK for nothing waiting
    assert tracker.acknowledged(sos.id_bytes) == sos
    tracker.update([life, sos], now=61)  # acknowledged: never again
    assert tracker.due(200) == [life]
    tracker.update([], now=201)  # closed, or confirmed upstream
    assert tracker.due(500) == [] and tracker.waiting == []


def test_assembler_returns_a_whole_announcement_once_in_any_order() -> None:
    station = b"\x01\x02\x03\x04"
    parts = split_announcement("een twee drie vier vijf zes", target=ALL_HUBS, message_id=3, room=9)
    assert len(parts) >= 3
    assembler = Assembler()
    assert assembler.add(station, parts[2], 0) is None
    assert assembler.add(station, parts[0], 1) is None
    assert assembler.has(station, parts[0]) and not assembler.has(station, parts[1])
    whole = None
    for part in parts[1:]:
        whole = assembler.add(station, part, 2) or whole
    assert whole is not None and whole.text == "een twee drie vier vijf zes"
    assert whole.external_id == "lora:01020304:3"
    assert all(assembler.add(station, part, 3) is None for part in parts)  # repeats: nothing
    other = split_announcement("x " * 80, target=ALL_HUBS, message_id=4)
    assert Assembler().add(station, other[0], 0) is not None
    assert len(whole.title) <= 80


def test_a_part_that_contradicts_the_others_is_ignored() -> None:
    station = b"\x01\x02\x03\x04"
    three = split_announcement("a b c", target=ALL_HUBS, message_id=8, room=2)
    two = split_announcement("x y", target=ALL_HUBS, message_id=8, room=2)
    assembler = Assembler()
    assembler.add(station, three[0], 0)
    assert assembler.add(station, two[1], 0) is None
    assert assembler.add(station, three[1], 0) is None
    whole = assembler.add(station, three[2], 0)
    assert whole is not None and whole.text == "a b c"


def test_an_announcement_from_the_region_shows_its_title_once() -> None:
    station = b"\x01\x02\x03\x04"
    titled = Announcement(station, 1, "Water: Kook het water af tot morgen.")
    assert (titled.title, titled.body) == ("Water", "Kook het water af tot morgen.")
    bare = Announcement(station, 2, "Kook het water af.")
    assert (bare.title, bare.body) == ("Kook het water af.", "Kook het water af.")
    long = Announcement(station, 3, "woord " * 30 + ": rest")
    assert long.title.endswith("…") and len(long.title) <= 80 and long.body == long.text
    assert Announcement(station, 4, ": alleen tekst").title == ": alleen tekst"
