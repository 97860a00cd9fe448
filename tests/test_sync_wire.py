"""Topics and the wire format: validation before anything touches the database."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hub.errors import ConfigError, ValidationError
from hub.region.store import HubMark, RegionStore
from hub.runtime import Hub
from hub.services.outbox import Outbox, append_event
from hub.sync.client import parse_broker_url
from hub.sync.envelope import (
    MAX_PAYLOAD,
    AnnouncementMessage,
    Envelope,
    Receipt,
    Replay,
    encode_event,
    encode_event_json,
    parse_cap,
    parse_json,
)
from hub.sync.topics import Route, Topics
from hub.sync.worker import Backoff


def test_topic_scheme_round_trips() -> None:
    topics = Topics("buurtbaken/v1")
    assert topics.hub("hub-a", "events") == "buurtbaken/v1/hubs/hub-a/events"
    assert topics.route("buurtbaken/v1/hubs/hub-a/receipts") == Route("receipts", "hub-a")
    assert topics.route("buurtbaken/v1/broadcast/announcements") == Route("announcements")
    assert topics.route("buurtbaken/v1/hubs/hub-a/other") is None
    assert topics.route("elsewhere/hubs/hub-a/events") is None
    with pytest.raises(ValueError):
        topics.hub("hub-a", "secrets")


def test_event_envelope_encodes_and_validates() -> None:
    payload = encode_event("hub-a", 7, "01JX", "checkin.created", datetime(2026, 11, 28, 20, 0), {"a": 1})
    envelope = parse_json(payload, Envelope)
    assert (envelope.hub, envelope.seq, envelope.type) == ("hub-a", 7, "checkin.created")
    assert envelope.at == datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
    assert json.loads(payload)["at"] == "2026-11-28T20:00:00Z"


def test_an_outbox_rows_stored_json_goes_into_the_envelope_as_the_same_data(hub: Hub) -> None:
    """The drain puts the stored JSON text in the envelope without parsing it: what arrives is
    what ``encode_event`` would have sent, for any data the outbox holds."""
    data = {"street": "Kerkstraat", "naam": 'Zoë \u00e9 "quoted"', "n": [1, 2.5, None, True], "x": {}}
    hub.db.writer.run_sync(lambda session: append_event(session, hub.ctx, "test.event", data))
    (row,) = Outbox(hub.db).pending(1, 10)
    assert row.data == data
    raw = encode_event_json("hub-a", row.seq, row.id, row.type, row.at, row.data_json)
    assert json.loads(raw) == json.loads(encode_event("hub-a", row.seq, row.id, row.type, row.at, data))
    assert parse_json(raw, Envelope).data == data


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"\xff\xfe", "not JSON"),
        (b"[1, 2]", "Envelope"),
        (
            json.dumps(
                {"id": "x", "hub": "hub-a", "seq": 0, "type": "a.b", "at": "2026-01-01T00:00:00Z", "data": {}}
            ).encode(),
            "seq",
        ),
        (
            json.dumps(
                {"id": "x", "hub": "Hub A", "seq": 1, "type": "a.b", "at": "2026-01-01T00:00:00Z", "data": {}}
            ).encode(),
            "hub",
        ),
        (b" " * (MAX_PAYLOAD + 1), "over the limit"),
    ],
)
def test_bad_envelopes_are_refused_with_a_reason(payload: bytes, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_json(payload, Envelope)


def test_receipts_replays_and_announcements() -> None:
    assert parse_json(b'{"upto": 12}', Receipt).upto == 12
    assert parse_json(b'{"from": 3}', Replay).start == 3
    with pytest.raises(ValidationError):
        parse_json(b'{"from": 0}', Replay)
    with pytest.raises(ValidationError):
        parse_json(b'{"upto": 1, "extra": true}', Receipt)
    message = parse_json(
        b'{"id": "a1", "title": "Water", "body": "Bij de kerk", "priority": "urgent"}', AnnouncementMessage
    )
    assert message.priority == "urgent"
    assert not message.send_mesh
    with pytest.raises(ValidationError, match="priority"):
        parse_json(b'{"id": "a1", "title": "t", "body": "b", "priority": "panic"}', AnnouncementMessage)


@pytest.mark.parametrize(
    "document",
    [
        b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e "x">]><alert>&e;</alert>',
        b'<?xml version="1.0"?><!DOCTYPE a SYSTEM "file:///etc/passwd"><alert/>',
        b"<alert><unclosed></alert>",
    ],
)
def test_cap_boundary_refuses_dtds_entities_and_broken_xml(document: bytes) -> None:
    with pytest.raises(ValidationError, match="CAP"):
        parse_cap(document)


def test_broker_urls() -> None:
    plain = parse_broker_url("mqtt://broker.local")
    assert (plain.host, plain.port, plain.tls) == ("broker.local", 1883, False)
    secure = parse_broker_url("mqtts://hub%40a:p%3Ass@upstream.example:8884")
    assert (secure.port, secure.tls, secure.username, secure.password) == (8884, True, "hub@a", "p:ss")
    assert secure.display == "mqtts://upstream.example:8884"
    with pytest.raises(ConfigError):
        parse_broker_url("http://x")


def test_backoff_doubles_to_a_minute_and_resets() -> None:
    backoff = Backoff()
    assert [backoff.next() for _ in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]
    backoff.reset()
    assert backoff.next() == 1


def test_contiguous_mark_waits_for_gaps(tmp_path: Path) -> None:
    """The region store confirms a hub only up to what is stored without a gap; once each."""
    store = RegionStore(f"sqlite:///{tmp_path / 'region.sqlite3'}")
    store.create()

    def event(seq: int, event_id: str | None = None) -> Envelope:
        payload = encode_event(
            "hub-a", seq, event_id or f"id-{seq}", "checkin.created", datetime.now(UTC), {}
        )
        return parse_json(payload, Envelope)

    try:
        assert store.store([event(1)]).marks["hub-a"] == HubMark(1, False, 1)
        assert store.store([event(3)]).marks["hub-a"] == HubMark(1, True, 2)
        result = store.store([event(2), event(2), event(3)])
        assert (result.fresh, result.duplicates) == (1, 2)
        assert result.marks["hub-a"] == HubMark(3, False, 3)
        assert store.store([event(4, "id-other")]).fresh == 1
        assert store.store([event(4, "id-another")]).fresh == 0  # (hub, seq) is unique too
        assert store.stored_seqs("hub-a") == [1, 2, 3, 4]
    finally:
        store.dispose()
