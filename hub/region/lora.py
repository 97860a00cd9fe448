"""What the regional station keeps of the region channel, in the region's database.

- ``region_lora_summaries``: each hub's latest summary heard over LoRa, with the hub's own
  time and the time it was heard (one row per hub; a newer one replaces it).
- Urgent frames land where MQTT events land, in ``upstream_events``, keyed by the event's own
  ULID. The hub's ``seq`` of the event is not in the frame, so until the MQTT copy arrives the
  row holds a negative placeholder seq (``seq < 0`` means "heard over LoRa only"): it never
  moves a confirmed mark and is not counted in ``upstream_hubs.events``. When the MQTT copy
  arrives, :meth:`hub.region.store.RegionStore.store` replaces the placeholder with it, so the
  event counts once whichever way came first.
- ``region_lora_out`` / ``region_lora_parts``: announcements the station sends, per hub and
  part, with how often each part went out and when the hub acknowledged it. The per-hub
  delivery states ``lora_sent`` and ``lora_acked`` are rows of ``region_deliveries``.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    DateTime,
    Integer,
    String,
    Table,
    Text,
    and_,
    select,
    update,
)
from ulid import ULID

from hub.domain import region_radio as rr
from hub.region.store import (
    RegionStore,
    deliveries_table,
    events_table,
    hubs_table,
    messages_table,
    metadata,
    targets_table,
)

# Delivery states the station records in ``region_deliveries`` (hub.region.deliveries).
LORA_SENT = "lora_sent"
LORA_ACKED = "lora_acked"

summaries_table = Table(
    "region_lora_summaries",
    metadata,
    Column("hub", String(40), primary_key=True),
    Column("figures", Text, nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=False),  # the hub's clock
    Column("received_at", DateTime(timezone=True), nullable=False),
)
lora_out_table = Table(
    "region_lora_out",
    metadata,
    Column("message", String(40), primary_key=True),  # region_messages.id
    Column("lora_id", BigInteger, nullable=False, unique=True),  # the frame's 32-bit message id
    Column("text", Text, nullable=False),
    Column("everyone", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
lora_parts_table = Table(
    "region_lora_parts",
    metadata,
    Column("message", String(40), primary_key=True),
    Column("hub", String(40), primary_key=True),
    Column("part", Integer, primary_key=True),
    Column("parts", Integer, nullable=False),
    Column("sent_count", Integer, nullable=False, default=0),
    Column("last_sent_at", DateTime(timezone=True)),
    Column("acked_at", DateTime(timezone=True)),
)

# What an urgent frame becomes: the event type the hub's own copy has over MQTT.
URGENT_TYPES = {
    rr.UrgentWhat.SOS: "alert.raised",
    rr.UrgentWhat.LIFE_NEED: "need.created",
    rr.UrgentWhat.SUPPLIES: "need.created",
    rr.UrgentWhat.SUPPLY_REQUEST: "supply.requested",
}
URGENT_URGENCY = {rr.UrgentWhat.LIFE_NEED: "life", rr.UrgentWhat.SUPPLIES: "urgent"}


@dataclass(frozen=True)
class LoraSummary:
    hub: str
    figures: dict[str, Any]
    sent_at: datetime
    received_at: datetime

    def minutes_old(self, now: datetime | None = None) -> int:
        moment = now or datetime.now(UTC)
        return max(0, int((moment - _aware(self.received_at)).total_seconds() // 60))


@dataclass(frozen=True)
class DuePart:
    """An announcement part to send: to ``hubs`` (all of them when ``everyone``)."""

    message: str
    lora_id: int
    everyone: bool
    part: int
    parts: int
    text: str
    hubs: tuple[str, ...]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def event_id(raw: bytes) -> str:
    """The ULID string of an urgent frame's 16-byte event id (as the hub's envelope carries it)."""
    return str(ULID.from_bytes(raw))


def placeholder_seq(raw: bytes) -> int:
    """A negative seq unique per event (62 bits of the ULID's randomness)."""
    return -(int.from_bytes(raw[8:16], "big") & ((1 << 62) - 1)) - 1


def summary_figures(summary: rr.Summary) -> dict[str, Any]:
    return {
        "mode": summary.mode,
        "households_ok": summary.households_ok,
        "households_help": summary.households_help,
        "households_silent": summary.households_silent,
        "special_not_reached": summary.special_not_reached,
        "sos_open": summary.sos_open,
        "needs_by_urgency": dict(summary.needs_by_urgency),
        "needs_by_category": [[c, u, n] for (c, u), n in sorted(summary.needs_by_category.items())],
        "more_categories": summary.more_categories,
        "battery_percent": summary.battery_percent,
        "on_mains": summary.on_mains,
    }


class LoraStore:
    """The station's reads and writes; every call one transaction of ``store``."""

    def __init__(self, store: RegionStore) -> None:
        self.store = store
        self.engine = store.engine
        self._insert = store._insert

    # --- from hubs ---

    def _know_hub(self, conn: Connection, hub: str) -> None:
        conn.execute(self._insert(hubs_table).values(hub=hub, confirmed=0, events=0).on_conflict_do_nothing())

    def keep_summary(self, hub: str, summary: rr.Summary, sent_at: datetime, received_at: datetime) -> bool:
        """Keep ``summary`` unless a newer one (by the hub's clock) is kept; True when kept."""
        figures = json.dumps(summary_figures(summary))

        def work(conn: Connection) -> bool:
            self._know_hub(conn, hub)
            statement = self._insert(summaries_table).values(
                hub=hub, figures=figures, sent_at=sent_at, received_at=received_at
            )
            statement = statement.on_conflict_do_update(
                index_elements=[summaries_table.c.hub],
                set_={"figures": figures, "sent_at": sent_at, "received_at": received_at},
                where=summaries_table.c.sent_at <= sent_at,
            )
            return conn.execute(statement.returning(summaries_table.c.hub)).first() is not None

        return self.store._retrying(work)

    def keep_urgent(self, hub: str, urgent: rr.Urgent, sent_at: datetime, received_at: datetime) -> bool:
        """Store an urgent frame as its event, once; False when the event is already stored
        (an earlier frame, or its MQTT copy)."""
        data: dict[str, Any] = {
            "id": event_id(urgent.event_id),
            "via": "lora",
            "description": urgent.text,
            "households": urgent.households,
        }
        if urgent.what is rr.UrgentWhat.SUPPLY_REQUEST:  # the hub's own request ("water for 40 households")
            data = {"id": data["id"], "via": "lora", "category": urgent.category}
            data.update(households=urgent.households, note=urgent.text, status="open")
        elif urgent.what is not rr.UrgentWhat.SOS:
            data.update(category=urgent.category, urgency=URGENT_URGENCY[urgent.what], status="open")
        row = {
            "id": event_id(urgent.event_id),
            "hub": hub,
            "seq": placeholder_seq(urgent.event_id),
            "type": URGENT_TYPES[urgent.what],
            "at": sent_at.isoformat(),
            "data": json.dumps(data, ensure_ascii=False),
            "received_at": received_at,
        }

        def work(conn: Connection) -> bool:
            self._know_hub(conn, hub)
            inserted = conn.execute(
                self._insert(events_table).values(row).on_conflict_do_nothing().returning(events_table.c.id)
            ).first()
            return inserted is not None

        return self.store._retrying(work)

    def has_event(self, raw_id: bytes) -> bool:
        """Whether the event with this 16-byte ULID is stored (over LoRa or MQTT)."""
        with self.engine.connect() as conn:
            found = conn.execute(
                select(events_table.c.id).where(events_table.c.id == event_id(raw_id))
            ).first()
        return found is not None

    def summaries(self, hub: str | None = None) -> dict[str, LoraSummary]:
        query = select(summaries_table)
        if hub is not None:
            query = query.where(summaries_table.c.hub == hub)
        with self.engine.connect() as conn:
            return {
                row.hub: LoraSummary(
                    row.hub, json.loads(row.figures), _aware(row.sent_at), _aware(row.received_at)
                )
                for row in conn.execute(query)
            }

    def known_hubs(self) -> list[str]:
        with self.engine.connect() as conn:
            return [
                str(h) for h in conn.execute(select(hubs_table.c.hub).order_by(hubs_table.c.hub)).scalars()
            ]

    # --- to hubs ---

    def plan(
        self,
        conn: Connection,
        message: str,
        text: str,
        hubs: Sequence[str],
        everyone: bool,
        key: str | None = None,
    ) -> None:
        """In ``RegionStore.send``'s transaction: the parts of ``text`` for each target hub.

        With ``key`` (the hubs' ``external_id`` of the message's MQTT copy) the LoRa message id
        is derived from it (:func:`hub.domain.region_radio.announcement_id`), so a hub that gets
        both copies shows one. Without it, or in the rare case that id is taken by another
        message, it is random."""
        lora_id = rr.announcement_id(key) if key else 0
        taken = conn.execute(select(lora_out_table.c.message).where(lora_out_table.c.lora_id == lora_id))
        while lora_id == 0 or taken.first() is not None:
            lora_id = secrets.randbits(31) + 1
            taken = conn.execute(select(lora_out_table.c.message).where(lora_out_table.c.lora_id == lora_id))
        parts = rr.split_announcement(text, target=rr.ALL_HUBS, message_id=lora_id)
        if not parts or not hubs:
            return
        conn.execute(
            lora_out_table.insert().values(
                message=message, lora_id=lora_id, text=text, everyone=everyone, created_at=datetime.now(UTC)
            )
        )
        conn.execute(
            lora_parts_table.insert(),
            [
                {"message": message, "hub": hub, "part": p.part, "parts": p.parts, "sent_count": 0}
                for hub in sorted(set(hubs))
                for p in parts
            ],
        )

    def due(self, now: datetime, retry_seconds: float, max_retry_seconds: float) -> list[DuePart]:
        """Parts not acknowledged by every hub they are for, whose next try is due (the wait
        doubles with each try, up to ``max_retry_seconds``), oldest message first."""
        query = (
            select(
                lora_parts_table.c.message,
                lora_parts_table.c.hub,
                lora_parts_table.c.part,
                lora_parts_table.c.parts,
                lora_parts_table.c.sent_count,
                lora_parts_table.c.last_sent_at,
                lora_out_table.c.lora_id,
                lora_out_table.c.everyone,
                lora_out_table.c.text,
            )
            .join(lora_out_table, lora_out_table.c.message == lora_parts_table.c.message)
            .where(lora_parts_table.c.acked_at.is_(None))
            .order_by(lora_out_table.c.created_at, lora_parts_table.c.message, lora_parts_table.c.part)
        )
        grouped: dict[tuple[str, int], dict[str, Any]] = {}
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        for row in rows:
            wait = min(retry_seconds * 2 ** max(row.sent_count - 1, 0), max_retry_seconds)
            is_due = row.last_sent_at is None or (now - _aware(row.last_sent_at)).total_seconds() >= wait
            key = (row.message, row.part)
            entry = grouped.setdefault(key, {"row": row, "hubs": [], "due": False})
            entry["hubs"].append(row.hub)
            entry["due"] = entry["due"] or is_due
        due: list[DuePart] = []
        for (message, part), entry in grouped.items():
            if not entry["due"]:
                continue
            row = entry["row"]
            chunks = rr.split_announcement(row.text, target=rr.ALL_HUBS, message_id=row.lora_id)
            due.append(
                DuePart(
                    message,
                    row.lora_id,
                    row.everyone,
                    part,
                    row.parts,
                    chunks[part - 1].text,
                    tuple(entry["hubs"]),
                )
            )
        return due

    def mark_sent(self, item: DuePart, now: datetime) -> None:
        def work(conn: Connection) -> None:
            conn.execute(
                update(lora_parts_table)
                .where(
                    and_(
                        lora_parts_table.c.message == item.message,
                        lora_parts_table.c.part == item.part,
                        lora_parts_table.c.hub.in_(item.hubs),
                        lora_parts_table.c.acked_at.is_(None),
                    )
                )
                .values(sent_count=lora_parts_table.c.sent_count + 1, last_sent_at=now)
            )
            self._record(conn, item.message, item.hubs, LORA_SENT, now)

        self.store._retrying(work)

    def mark_acked(self, hub: str, lora_id: int, part: int, now: datetime) -> bool:
        """The hub acknowledged a part; True when it was one the station waited for. When the
        hub has every part, its delivery state ``lora_acked`` is recorded."""

        def work(conn: Connection) -> bool:
            message = conn.execute(
                select(lora_out_table.c.message).where(lora_out_table.c.lora_id == lora_id)
            ).scalar()
            if message is None:
                return False
            changed = conn.execute(
                update(lora_parts_table)
                .where(
                    and_(
                        lora_parts_table.c.message == message,
                        lora_parts_table.c.hub == hub,
                        lora_parts_table.c.part == part,
                        lora_parts_table.c.acked_at.is_(None),
                    )
                )
                .values(acked_at=now)
            ).rowcount
            waiting = conn.execute(
                select(lora_parts_table.c.part).where(
                    and_(
                        lora_parts_table.c.message == message,
                        lora_parts_table.c.hub == hub,
                        lora_parts_table.c.acked_at.is_(None),
                    )
                )
            ).first()
            if changed and waiting is None:
                self._record(conn, message, (hub,), LORA_ACKED, now)
            return bool(changed)

        return self.store._retrying(work)

    def planned(self, messages: Sequence[str]) -> set[str]:
        """Which of these messages go over LoRa too (the send page says "not asked" for the rest)."""
        ids = sorted(set(messages))
        if not ids:
            return set()
        query = select(lora_out_table.c.message).where(lora_out_table.c.message.in_(ids))
        with self.engine.connect() as conn:
            return {str(message) for (message,) in conn.execute(query)}

    def states(self, messages: Sequence[str]) -> dict[str, dict[str, str]]:
        """Per message, per hub: ``lora_acked`` or ``lora_sent``, the furthest recorded."""
        ids = sorted(set(messages))
        found: dict[str, dict[str, str]] = {}
        if not ids:
            return found
        query = select(deliveries_table.c.message, deliveries_table.c.hub, deliveries_table.c.state).where(
            deliveries_table.c.message.in_(ids), deliveries_table.c.state.in_((LORA_SENT, LORA_ACKED))
        )
        with self.engine.connect() as conn:
            for message, hub, state in conn.execute(query):
                per = found.setdefault(message, {})
                if per.get(hub) != LORA_ACKED:
                    per[hub] = state
        return found

    def parts(self, message: str) -> list[dict[str, Any]]:
        """Each (hub, part) of a message with its tries and acknowledgement (for tests and the CLI)."""
        query = (
            select(lora_parts_table)
            .where(lora_parts_table.c.message == message)
            .order_by(lora_parts_table.c.hub, lora_parts_table.c.part)
        )
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def _record(self, conn: Connection, message: str, hubs: Sequence[str], state: str, now: datetime) -> None:
        rows = [
            {"message": message, "hub": hub, "state": state, "at": now, "recorded_at": now}
            for hub in sorted(hubs)
        ]
        if rows:
            conn.execute(self._insert(deliveries_table).values(rows).on_conflict_do_nothing())


__all__ = [
    "LORA_ACKED",
    "LORA_SENT",
    "DuePart",
    "LoraStore",
    "LoraSummary",
    "event_id",
    "lora_out_table",
    "lora_parts_table",
    "messages_table",
    "summaries_table",
    "targets_table",
]
