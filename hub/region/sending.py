"""What the region sends to hubs: an announcement or a CAP 1.2 alert, to all hubs or a selection.

:func:`send` is the one call the region's web pages make. It builds the messages in the
shapes of ``docs/reference/mqtt.md`` and keeps them in the region's outbox
(:meth:`hub.region.store.RegionStore.enqueue`), from where every consumer publishes them
through its broker until the broker acknowledges them; each hub applies a message once, by its
id. A row in ``region_sends`` remembers who sent what to whom, and which outbox message went to
which hub (``*``: the broadcast topic, every hub), for :mod:`hub.region.delivery_view`.

- to **all hubs**: one message on ``R/broadcast/announcements`` (JSON, or the CAP XML);
- to **a selection**: per hub, a message for its coordinators on ``R/hubs/<id>/inbox`` (the
  topic scheme has no per-hub announcement topic yet; the hub's coordinators see it under Sync).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import Boolean, Column, DateTime, Engine, MetaData, String, Table, Text, select

from hub.domain.cap import to_cap_xml
from hub.errors import ValidationError
from hub.models import new_id
from hub.region.deliveries import cap_alert
from hub.region.lora import LoraStore
from hub.region.store import RegionStore
from hub.sync.envelope import AnnouncementMessage, json_key, parse_json
from hub.sync.topics import Topics

Kind = Literal["announcement", "cap"]


def N_(message: str) -> str:
    """Marks a message for the catalogs; the page translates it when it shows it."""
    return message


PRIORITIES = ("info", "warning", "urgent")
ALL = "*"

metadata = MetaData()
sends_table = Table(
    "region_sends",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("by", String(80), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("title", String(120), nullable=False),
    Column("priority", String(10), nullable=False),
    Column("drill", Boolean, nullable=False),
    # {hub id or "*": region outbox message id}
    Column("messages", Text, nullable=False),
)


def create(engine: Engine) -> None:
    metadata.create_all(engine)


@dataclass(frozen=True)
class Draft:
    kind: Kind
    title: str
    body: str
    priority: str
    drill: bool
    hubs: Sequence[str] | None  # None: every hub
    lora: bool = False  # also over the region's LoRa channel (hub region station)


@dataclass(frozen=True)
class Sent:
    id: str
    at: datetime
    by: str
    kind: str
    title: str
    priority: str
    drill: bool
    messages: dict[str, str]


@dataclass
class _Cap:
    """The fields of :class:`hub.domain.cap.AnnouncementLike`."""

    id: str
    title: str
    body: str
    priority: str
    created_at: datetime
    expires_at: datetime | None
    drill: bool
    translations: dict[str, dict[str, str]]


def check(draft: Draft, known_hubs: Sequence[str]) -> Draft:
    """The draft with its text trimmed, or a :class:`ValidationError` naming the field."""
    title, body = draft.title.strip(), draft.body.strip()
    if draft.kind not in ("announcement", "cap"):
        raise ValidationError(N_("choose an announcement or a CAP alert"), "kind")
    if not title or len(title) > 120:
        raise ValidationError(N_("a title of 1 to 120 characters"), "title")
    if not body or len(body) > 2000:
        raise ValidationError(N_("a text of 1 to 2,000 characters"), "body")
    if draft.priority not in PRIORITIES:
        raise ValidationError(N_("choose a priority from the list"), "priority")
    hubs = None
    if draft.hubs is not None:
        hubs = sorted(set(draft.hubs))
        if not hubs:
            raise ValidationError(N_("choose at least one hub, or all hubs"), "hubs")
        if not set(hubs) <= set(known_hubs):
            raise ValidationError(N_("a chosen hub is unknown to the region"), "hubs")
    return Draft(draft.kind, title, body, draft.priority, draft.drill, hubs, draft.lora)


def send(
    store: RegionStore, draft: Draft, *, sender: str, topic_root: str, known_hubs: Sequence[str]
) -> Sent:
    """Check ``draft`` and keep its messages in the region's outbox; the one call of the pages."""
    draft = check(draft, known_hubs)
    topics = Topics(topic_root)
    now = datetime.now(UTC)
    send_id = new_id()
    messages: dict[str, str] = {}
    portal_key: str | None = None  # what the hubs know the broadcast by (its LoRa id comes from it)
    if draft.hubs is None:
        broadcast = _broadcast(send_id, draft, sender, now)
        messages[ALL] = store.enqueue(topics.announcements, broadcast)
        portal_key = _portal_key(draft.kind, broadcast)
    else:
        for hub in draft.hubs:
            payload = {
                "id": f"{send_id}-{hub}",
                "sender": sender[:80],
                "subject": (("OEFENING: " if draft.drill else "") + draft.title)[:120],
                "body": draft.body,
                "sent_at": now.isoformat(),
            }
            messages[hub] = store.enqueue(topics.hub(hub, "inbox"), json.dumps(payload).encode())
    sent = Sent(send_id, now, sender, draft.kind, draft.title, draft.priority, draft.drill, messages)
    with store.engine.begin() as conn:
        if draft.lora:  # the regional station sends it over LoRa too, per hub until acknowledged
            LoraStore(store).plan(
                conn,
                send_id,
                f"{draft.title}: {draft.body}",
                draft.hubs if draft.hubs is not None else known_hubs,
                everyone=draft.hubs is None,
                key=portal_key,
            )
        conn.execute(
            sends_table.insert().values(
                id=sent.id,
                at=now,
                by=sender,
                kind=sent.kind,
                title=sent.title,
                priority=sent.priority,
                drill=sent.drill,
                messages=json.dumps(messages, sort_keys=True),
            )
        )
    return sent


def _portal_key(kind: Kind, payload: bytes) -> str:
    """The ``external_id`` a hub gives the broadcast (``hub.sync.apply``)."""
    if kind == "cap":
        return cap_alert(payload).key
    return json_key(parse_json(payload, AnnouncementMessage))


def _broadcast(send_id: str, draft: Draft, sender: str, now: datetime) -> bytes:
    if draft.kind == "cap":
        alert = _Cap(send_id, draft.title, draft.body, draft.priority, now, None, draft.drill, {})
        return to_cap_xml(alert, sender="buurtbaken-region", sender_name=sender)
    message = {
        "id": send_id,
        "sender": sender[:80],
        "title": draft.title,
        "body": draft.body,
        "priority": draft.priority,
        "send_mesh": draft.priority == "urgent",
        "drill": draft.drill,
    }
    return json.dumps(message, ensure_ascii=False).encode()


def recent(engine: Engine, limit: int = 50) -> list[Sent]:
    query = select(sends_table).order_by(sends_table.c.at.desc()).limit(limit)
    with engine.connect() as conn:
        return [
            Sent(r.id, r.at, r.by, r.kind, r.title, r.priority, r.drill, json.loads(r.messages))
            for r in conn.execute(query)
        ]
