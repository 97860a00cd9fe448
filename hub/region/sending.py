"""What the region's pages send to hubs: an announcement or a CAP 1.2 alert, to all or a selection.

:func:`send` is the one call the region's web pages make; it goes the way ``hub region send``
goes (:meth:`hub.region.store.RegionStore.send`): the message is kept in the region's outbox,
from where every consumer publishes it through its broker until the broker acknowledges it,
with one target row per hub, so :mod:`hub.region.delivery_view` shows per hub: sent, arrived
at the hub, shown on its portal, sent on its mesh (the hubs' receipts, back as events).

- to **all hubs**: one message on ``R/broadcast/announcements`` (JSON, or the CAP XML);
- to **a selection**: the same message on each chosen hub's ``R/hubs/<id>/announcements``.

An ``urgent`` message asks the hubs to put it on their mesh channel too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from hub.domain.cap import to_cap_xml
from hub.errors import ValidationError
from hub.models import new_id
from hub.region import deliveries
from hub.region.deliveries import Outgoing
from hub.region.store import RegionStore

Kind = Literal["announcement", "cap"]


def N_(message: str) -> str:
    """Marks a message for the catalogs; the page translates it when it shows it."""
    return message


PRIORITIES = ("info", "warning", "urgent")


@dataclass(frozen=True)
class Draft:
    kind: Kind
    title: str
    body: str
    priority: str
    drill: bool
    hubs: Sequence[str] | None  # None: every hub
    lora: bool = False  # also over the region's LoRa channel (hub region station)


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


def outgoing(draft: Draft, sender: str) -> Outgoing:
    """The checked ``draft`` as the message the hubs get, checked as a hub checks it."""
    message_id = new_id()
    mesh = draft.priority == "urgent"
    if draft.kind == "cap":
        alert = _Cap(
            message_id, draft.title, draft.body, draft.priority, datetime.now(UTC), None, draft.drill, {}
        )
        return deliveries.cap_alert(to_cap_xml(alert, sender="buurtbaken-region", sender_name=sender[:80]))
    return deliveries.announcement(
        message_id,
        title=draft.title,
        body=draft.body,
        sender=sender[:80],
        priority=draft.priority,
        mesh=mesh,
        drill=draft.drill,
    )


def send(store: RegionStore, draft: Draft, *, sender: str, topic_root: str, known_hubs: Sequence[str]) -> str:
    """Check ``draft`` and keep it for its hubs as ``hub region send`` does; its message id."""
    draft = check(draft, known_hubs)
    lora_text = f"{draft.title}: {draft.body}" if draft.lora else None
    return store.send(outgoing(draft, sender), topic_root, draft.hubs, lora_text=lora_text)
