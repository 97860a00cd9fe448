"""Where a region message stands at each hub: sent, arrived, shown, on the mesh.

A message from the region (an announcement or a CAP 1.2 alert, to one hub, a selection or all)
goes through these states per hub:

- ``sent``: a regional broker acknowledged the region's publish (``region_outbox_sent``);
- ``arrived``: the hub stored it (its ``announcement.arrived`` event);
- ``shown``: the hub's portal showed it to someone for the first time (``announcement.shown``);
- ``meshed``: its last part went out on the hub's mesh channel (``announcement.meshed``; only
  when the message asks for the mesh, or a CAP alert is urgent).

When the regional station also sends it over the region's LoRa channel (``hub region station``,
:mod:`hub.region.lora`), two more states come in between: ``lora_sent`` (the station put its
first part on the air) before ``sent``, and ``lora_acked`` (the hub acknowledged every part over
LoRa) before ``arrived``.

The hubs' receipts are ordinary outbox events, so they reach the region exactly as the hubs'
other events do, and are recorded once per (message, hub, state) in the transaction that stores
the event: a duplicate receipt changes nothing. Receipts may come in any order (a hub's portal
can show a message before its ``arrived`` event reaches the region); each state keeps its own
time. This module is pure: it builds the messages and folds the rows the store reads into
per-hub states (:mod:`hub.region.delivery_view` reads them for pages and the CLI).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from hub.domain.cap import AnnouncementDraft, to_announcement
from hub.errors import ValidationError
from hub.sync.envelope import AnnouncementMessage, json_key, parse_cap, parse_json

# In the order a message goes through them; ``lora_*`` only for messages sent over LoRa too.
STATES = ("lora_sent", "sent", "lora_acked", "arrived", "shown", "meshed")
# The hub's receipt event of each state after ``sent``.
RECEIPTS = {"announcement.arrived": "arrived", "announcement.shown": "shown", "announcement.meshed": "meshed"}


@dataclass(frozen=True)
class Outgoing:
    """A message ready to keep for the hubs: its wire payload and the key hubs know it by."""

    kind: str  # "announcement" | "cap"
    payload: bytes
    key: str  # the hub's ``external_id`` of the announcement it becomes
    title: str
    mesh: bool  # the hubs are asked to put it on their mesh channel
    drill: bool


def announcement(
    message_id: str,
    *,
    title: str,
    body: str,
    sender: str = "region",
    priority: str = "info",
    mesh: bool = False,
    drill: bool = False,
    expires_at: datetime | None = None,
) -> Outgoing:
    """A JSON announcement (``R/broadcast/announcements``' schema), checked as the hubs check it."""
    data: dict[str, object] = {
        "id": message_id,
        "sender": sender,
        "title": title,
        "body": body,
        "priority": priority,
        "send_mesh": mesh,
        "drill": drill,
    }
    if expires_at is not None:
        data["expires_at"] = expires_at.isoformat()
    payload = json.dumps(data, ensure_ascii=False).encode()
    parsed = parse_json(payload, AnnouncementMessage)  # what a hub would refuse, refused here
    return Outgoing("announcement", payload, json_key(parsed), parsed.title, parsed.send_mesh, parsed.drill)


def cap_alert(xml: bytes, languages: list[str] | None = None) -> Outgoing:
    """A CAP 1.2 alert as given; refused when hubs would show residents nothing of it."""
    alert = parse_cap(xml)
    draft: AnnouncementDraft | None = to_announcement(alert, languages or ["nl", "en"])
    if draft is None:
        raise ValidationError(
            f"CAP alert {alert.identifier!r} (status {alert.status}, {alert.msg_type}) shows nothing "
            "on a hub: only Actual and Exercise alerts, updates and cancellations do"
        )
    return Outgoing("cap", xml, draft.external_id, draft.title, draft.send_mesh, draft.drill)


@dataclass(frozen=True)
class HubDelivery:
    """One hub's states of one message; ``None``: not (yet) reached."""

    hub: str
    targeted: bool  # the message was sent to this hub (a hub that joined later may still answer)
    sent_at: datetime | None = None
    arrived_at: datetime | None = None
    shown_at: datetime | None = None
    meshed_at: datetime | None = None
    lora_sent_at: datetime | None = None  # the station put its first part on the air
    lora_acked_at: datetime | None = None  # the hub acknowledged every part over LoRa

    @property
    def state(self) -> str:
        """The furthest state reached: ``waiting`` (not yet sent), ``lora_sent``, ``sent``,
        ``lora_acked``, ``arrived``, ``shown`` or ``meshed`` (a state counts once reached,
        whatever order the receipts came in)."""
        reached = "waiting"
        for name in STATES:
            if getattr(self, f"{name}_at") is not None:
                reached = name
        return reached

    def reached(self, state: str) -> bool:
        if state not in STATES:
            raise ValueError(f"unknown state {state!r}")
        return getattr(self, f"{state}_at") is not None


@dataclass(frozen=True)
class MessageDeliveries:
    """A message from the region and where it stands at each hub."""

    id: str
    kind: str
    title: str
    key: str
    everyone: bool
    mesh: bool
    drill: bool
    created_at: datetime
    hubs: list[HubDelivery] = field(default_factory=list)

    def count(self, state: str) -> int:
        """How many hubs reached ``state``."""
        return sum(1 for hub in self.hubs if hub.reached(state))


def per_hub(
    targets: dict[str, str],
    sent: dict[str, datetime],
    receipts: list[tuple[str, str, datetime]],
    broadcast: str | None = None,
) -> list[HubDelivery]:
    """Fold the rows into one :class:`HubDelivery` per hub, sorted by hub.

    ``targets``: hub → the outbox row that carries the message to it; ``sent``: outbox row →
    the first broker acknowledgement; ``receipts``: (hub, state, at) as the hubs reported them.
    A hub with a receipt that was not a target (it joined after a message to all) is listed too;
    ``broadcast``, the outbox row of a message to all, tells when it was sent to such a hub.
    """
    states: dict[str, dict[str, datetime]] = {}
    for hub, outbox in targets.items():
        when = sent.get(outbox)
        states[hub] = {"sent": when} if when is not None else {}
    for hub, state, at in receipts:
        if state not in STATES:
            continue
        if hub not in states:
            when = sent.get(broadcast) if broadcast is not None else None
            states[hub] = {"sent": when} if when is not None else {}
        known = states[hub]
        if state not in known or at < known[state]:
            known[state] = at
    return [
        HubDelivery(
            hub,
            hub in targets,
            **{f"{name}_at": moments.get(name) for name in STATES},
        )
        for hub, moments in sorted(states.items())
    ]
