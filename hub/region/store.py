"""The region's store: every hub's events, how far each hub is confirmed, what goes out to hubs.

PostgreSQL in a region (SQLite works too, for one consumer on one machine). Any number of
consumers write at once and none of them keeps state that another needs:

- an event's ``id`` (and its ``(hub, seq)``) is unique: ``INSERT … ON CONFLICT DO NOTHING``
  applies a duplicate delivery once, whichever broker, consumer or replay it came by;
- ``upstream_hubs.confirmed`` is the highest ``seq`` up to which a hub's events are committed
  without a gap. It is moved in the transaction that stores the events, under the hub's row
  lock, from what is committed: the last of two concurrent writers sees both. So any consumer
  can confirm any hub, and a receipt never names an event that is not durable;
- ``region_outbox`` holds what the region sends to hubs (announcements, CAP alerts, inbox
  messages); ``region_outbox_sent`` records per broker that the broker acknowledged it. Each
  consumer publishes what its broker has not acknowledged yet, so a message sent while a
  broker is down goes out through it when it is back. Hubs apply each message once by its id.

The schema is this module's ``metadata``, created with ``create_all`` and stamped in
``region_schema`` (one row, the version). It is not the hub's Alembic chain: the region has
its own database, and a later change of these tables brings its own Alembic environment
starting from version 1.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    DateTime,
    Engine,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    bindparam,
    func,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from hub.db import make_engine
from hub.errors import ConfigError, ValidationError
from hub.models import new_id
from hub.region.deliveries import RECEIPTS, Outgoing
from hub.sync.envelope import Envelope

log = logging.getLogger(__name__)

SCHEMA_VERSION = 3  # 2: region_messages, region_message_hubs, region_deliveries; 3: the LoRa
# station's tables (hub.region.lora). Both added tables only.

metadata = MetaData()
schema_table = Table("region_schema", metadata, Column("version", Integer, nullable=False))
events_table = Table(
    "upstream_events",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("hub", String(40), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("type", String(40), nullable=False),
    Column("at", String(40), nullable=False),
    Column("data", Text, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("hub", "seq", name="uq_upstream_events_hub_seq"),
    Index("ix_upstream_events_hub_type", "hub", "type"),
)
hubs_table = Table(
    "upstream_hubs",
    metadata,
    Column("hub", String(40), primary_key=True),
    Column("confirmed", BigInteger, nullable=False, default=0),
    Column("events", BigInteger, nullable=False, default=0),
    Column("last_seen", DateTime(timezone=True)),
)
outbox_table = Table(
    "region_outbox",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("topic", String(300), nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
sent_table = Table(
    "region_outbox_sent",
    metadata,
    Column("message", String(40), primary_key=True),
    Column("broker", String(200), primary_key=True),
    Column("sent_at", DateTime(timezone=True), nullable=False),
)

# What the region sent (``hub region send``) and where it stands per hub (hub.region.deliveries).
messages_table = Table(
    "region_messages",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("title", String(200), nullable=False),
    Column("key", String(200), nullable=False, unique=True),  # the hubs' external id of it
    Column("everyone", Boolean, nullable=False),
    Column("broadcast", String(40)),  # to every hub: the region_outbox row on the broadcast topic
    Column("mesh", Boolean, nullable=False),
    Column("drill", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
targets_table = Table(
    "region_message_hubs",
    metadata,
    Column("message", String(40), primary_key=True),
    Column("hub", String(40), primary_key=True),
    Column("outbox", String(40), nullable=False),  # the region_outbox row that carries it there
)
deliveries_table = Table(
    "region_deliveries",
    metadata,
    Column("message", String(40), primary_key=True),
    Column("hub", String(40), primary_key=True),
    Column("state", String(10), primary_key=True),  # arrived | shown | meshed
    Column("at", DateTime(timezone=True), nullable=False),  # the hub's time
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

# PostgreSQL: deadlock_detected, serialization_failure (retried; both roll back cleanly).
_RETRY = {"40P01", "40001"}

T = TypeVar("T")


@dataclass(frozen=True)
class HubMark:
    """Where a hub stands after a write: confirmed up to ``confirmed``; ``gap``: events above it."""

    confirmed: int
    gap: bool
    events: int = 0  # stored for this hub, all consumers together


@dataclass(frozen=True)
class Stored:
    fresh: int
    duplicates: int
    marks: dict[str, HubMark]


@dataclass(frozen=True)
class MessageRow:
    id: str
    kind: str
    title: str
    key: str
    everyone: bool
    mesh: bool
    drill: bool
    created_at: datetime
    broadcast: str | None = None


@dataclass(frozen=True)
class DeliveryRows:
    """The rows of some messages' deliveries: messages, targets (message → hub → outbox row),
    first broker acknowledgement per outbox row, receipts (message → (hub, state, at))."""

    messages: list[MessageRow]
    targets: dict[str, dict[str, str]]
    sent: dict[str, datetime]
    receipts: dict[str, list[tuple[str, str, datetime]]]


def _aware(moment: datetime) -> datetime:
    """SQLite gives naive datetimes back; they were written in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _moment(value: object, default: datetime) -> datetime:
    """A receipt's ``at``, or the event's time when it is missing or not a time."""
    if isinstance(value, str):
        try:
            return _aware(datetime.fromisoformat(value))
        except ValueError:
            pass
    return _aware(default)


@dataclass(frozen=True)
class OutMessage:
    id: str
    topic: str
    payload: bytes


class RegionStore:
    """The region's database; thread-safe (one engine, a transaction per call)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = make_engine(url, writer=True)
        self._insert = postgresql.insert if self.engine.dialect.name == "postgresql" else sqlite.insert

    # --- schema ---

    def create(self) -> None:
        """Create the tables when missing; refuse a database of a newer schema."""
        import hub.region.lora  # noqa: F401  (its tables are on this metadata)

        metadata.create_all(self.engine)
        with self.engine.begin() as conn:
            version = conn.execute(select(schema_table.c.version)).scalar()
            if version is None:
                conn.execute(schema_table.insert().values(version=SCHEMA_VERSION))
            elif version > SCHEMA_VERSION:
                raise ConfigError(
                    f"the region database has schema version {version}; this hub knows {SCHEMA_VERSION}"
                )
            elif version < SCHEMA_VERSION:  # 1 → 2 → 3 added tables only, made by create_all above
                conn.execute(schema_table.update().values(version=SCHEMA_VERSION))

    def dispose(self) -> None:
        self.engine.dispose()

    def _retrying(self, work: Callable[[Connection], T]) -> T:
        for attempt in range(8):
            try:
                with self.engine.begin() as conn:
                    return work(conn)
            except DBAPIError as exc:
                code = getattr(exc.orig, "sqlstate", None)
                if code not in _RETRY or attempt == 7:
                    raise
                log.info("region store: %s; trying again", code)
                time.sleep(0.01 * (attempt + 1))
        raise AssertionError("unreachable")

    # --- events in ---

    def store(self, envelopes: Sequence[Envelope]) -> Stored:
        """Store a batch once each; move and return the marks of the hubs it touched."""
        unique = {e.id: e for e in envelopes}
        now = datetime.now(UTC)
        rows = [
            {
                "id": e.id,
                "hub": e.hub,
                "seq": e.seq,
                "type": e.type,
                "at": e.at.isoformat(),
                "data": json.dumps(e.data, ensure_ascii=False),
                "received_at": now,
            }
            for e in sorted(unique.values(), key=lambda e: e.id)  # one lock order for every writer
        ]
        hubs = sorted({e.hub for e in unique.values()})
        receipts = [e for e in unique.values() if e.type in RECEIPTS]

        def work(conn: Connection) -> Stored:
            inserted = self._replace_lora_copies(conn, rows)
            for start in range(0, len(rows), 500):
                statement = (
                    self._insert(events_table)
                    .values(rows[start : start + 500])
                    .on_conflict_do_nothing()
                    .returning(events_table.c.hub)
                )
                inserted.extend(conn.execute(statement).scalars())
            per_hub: dict[str, int] = {}
            for hub in inserted:
                per_hub[hub] = per_hub.get(hub, 0) + 1
            if receipts:
                self._record_receipts(conn, receipts, now)
            marks = self._advance(conn, hubs, per_hub, now)
            return Stored(len(inserted), len(envelopes) - len(inserted), marks)

        return self._retrying(work)

    @staticmethod
    def _replace_lora_copies(conn: Connection, rows: list[dict[str, Any]]) -> list[str]:
        """Events heard over LoRa first (placeholder ``seq < 0``, see :mod:`hub.region.lora`)
        become their MQTT copy in place; returns those copies' hubs. They then count as stored
        now, once: the LoRa row was never counted."""
        ids = [row["id"] for row in rows]
        known: set[str] = set()
        for start in range(0, len(ids), 500):
            known.update(
                conn.execute(
                    select(events_table.c.id).where(
                        events_table.c.id.in_(ids[start : start + 500]), events_table.c.seq < 0
                    )
                ).scalars()
            )
        replaced = [row for row in rows if row["id"] in known]
        if replaced:
            conn.execute(
                events_table.update()
                .where(events_table.c.id == bindparam("key"))
                .values(
                    hub=bindparam("new_hub"),
                    seq=bindparam("new_seq"),
                    type=bindparam("new_type"),
                    at=bindparam("new_at"),
                    data=bindparam("new_data"),
                ),
                [
                    {
                        "key": row["id"],
                        "new_hub": row["hub"],
                        "new_seq": row["seq"],
                        "new_type": row["type"],
                        "new_at": row["at"],
                        "new_data": row["data"],
                    }
                    for row in replaced
                ],
            )
        return [row["hub"] for row in replaced]

    def _record_receipts(self, conn: Connection, receipts: list[Envelope], now: datetime) -> None:
        """Hubs' delivery receipts of region messages, once per (message, hub, state); receipts
        of announcements the region did not send (another sender's) are only events."""
        keyed: list[tuple[str, str, str, datetime]] = []
        for e in receipts:
            key = e.data.get("external_id")
            if not isinstance(key, str) or not key:
                log.warning("region store: %s's %s (seq %d) names no message", e.hub, e.type, e.seq)
                continue
            keyed.append((key, e.hub, RECEIPTS[e.type], _moment(e.data.get("at"), e.at)))
        if not keyed:
            return
        ids = dict(
            conn.execute(
                select(messages_table.c.key, messages_table.c.id).where(
                    messages_table.c.key.in_(sorted({k for k, *_ in keyed}))
                )
            ).all()
        )
        rows = {
            (ids[key], hub, state): {
                "message": ids[key],
                "hub": hub,
                "state": state,
                "at": at,
                "recorded_at": now,
            }
            for key, hub, state, at in keyed
            if key in ids
        }
        if rows:
            conn.execute(
                self._insert(deliveries_table)
                .values([rows[k] for k in sorted(rows)])
                .on_conflict_do_nothing()
            )

    def advance(self, hubs: Iterable[str]) -> dict[str, HubMark]:
        """Recompute the marks of ``hubs`` from what is committed (a gap another consumer filled)."""
        ordered = sorted(set(hubs))
        return self._retrying(lambda conn: self._advance(conn, ordered, {}, None))

    def _advance(
        self, conn: Connection, hubs: list[str], added: dict[str, int], now: datetime | None
    ) -> dict[str, HubMark]:
        if not hubs:
            return {}
        conn.execute(
            self._insert(hubs_table)
            .values([{"hub": hub, "confirmed": 0, "events": 0} for hub in hubs])
            .on_conflict_do_nothing()
        )
        locked = conn.execute(
            select(hubs_table.c.hub, hubs_table.c.confirmed, hubs_table.c.events)
            .where(hubs_table.c.hub.in_(hubs))
            .order_by(hubs_table.c.hub)
            .with_for_update()
        ).all()
        runs = self._contiguous(conn, hubs)
        marks: dict[str, HubMark] = {}
        updates: list[dict[str, Any]] = []
        for hub, confirmed, events in locked:
            run_end, highest = runs.get(hub, (None, None))
            mark = max(int(confirmed), run_end or 0)
            gap = highest is not None and highest > mark
            count = int(events) + added.get(hub, 0)
            if mark != confirmed or added.get(hub):
                updates.append({"key": hub, "new_mark": mark, "new_events": count, "seen": now})
            marks[hub] = HubMark(mark, gap, count)
        if updates:
            conn.execute(
                hubs_table.update()
                .where(hubs_table.c.hub == bindparam("key"))
                .values(
                    confirmed=bindparam("new_mark"),
                    events=bindparam("new_events"),
                    last_seen=func.coalesce(
                        bindparam("seen", type_=DateTime(timezone=True)), hubs_table.c.last_seen
                    ),
                ),
                updates,
            )
        return marks

    @staticmethod
    def _contiguous(conn: Connection, hubs: list[str]) -> dict[str, tuple[int | None, int | None]]:
        """Per hub (its row locked): the end of the run of seqs ``confirmed+1, confirmed+2, …``
        stored, and the highest seq stored above ``confirmed``; one query for all of them.

        Seqs are unique per hub, so ``seq - row_number()`` only grows: the run is where it
        equals ``confirmed``.
        """
        rows = conn.execute(
            text(
                "SELECT hub, max(CASE WHEN seq - rn = mark THEN seq END), max(seq) FROM ("
                " SELECT e.hub, e.seq, h.confirmed AS mark,"
                " row_number() OVER (PARTITION BY e.hub ORDER BY e.seq) AS rn"
                " FROM upstream_events AS e JOIN upstream_hubs AS h ON h.hub = e.hub"
                " WHERE e.hub IN :hubs AND e.seq > h.confirmed) AS above GROUP BY hub"
            ).bindparams(bindparam("hubs", expanding=True)),
            {"hubs": hubs},
        ).all()
        return {
            hub: (int(run_end) if run_end is not None else None, int(top) if top is not None else None)
            for hub, run_end, top in rows
        }

    # --- what it knows ---

    def marks(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return {
                hub: int(confirmed)
                for hub, confirmed in conn.execute(select(hubs_table.c.hub, hubs_table.c.confirmed))
            }

    def hub_counts(self) -> dict[str, dict[str, int]]:
        """Per hub: confirmed up to (``contiguous``) and events stored."""
        with self.engine.connect() as conn:
            return {
                hub: {"contiguous": int(confirmed), "events": int(events)}
                for hub, confirmed, events in conn.execute(
                    select(hubs_table.c.hub, hubs_table.c.confirmed, hubs_table.c.events)
                )
            }

    def overview(self) -> dict[str, dict[str, Any]]:
        """Per hub: events, confirmed, events by type, last seen."""
        with self.engine.connect() as conn:
            hubs = conn.execute(
                select(hubs_table.c.hub, hubs_table.c.events, hubs_table.c.confirmed, hubs_table.c.last_seen)
            ).all()
            by_type: dict[str, dict[str, int]] = {}
            for hub, event_type, count in conn.execute(
                select(events_table.c.hub, events_table.c.type, func.count()).group_by(
                    events_table.c.hub, events_table.c.type
                )
            ):
                by_type.setdefault(hub, {})[event_type] = int(count)
        return {
            hub: {
                "events": int(events),
                "contiguous": int(confirmed),
                "by_type": by_type.get(hub, {}),
                "last_seen": last_seen.isoformat() if last_seen else None,
            }
            for hub, events, confirmed, last_seen in sorted(hubs)
        }

    def stored_seqs(self, hub: str) -> list[int]:
        with self.engine.connect() as conn:
            query = (
                select(events_table.c.seq)
                .where(events_table.c.hub == hub, events_table.c.seq > 0)  # not LoRa placeholders
                .order_by(events_table.c.seq)
            )
            return [int(seq) for seq in conn.execute(query).scalars()]

    # --- messages out ---

    def send(
        self, outgoing: Outgoing, topic_root: str, hubs: Sequence[str] | None, lora_text: str | None = None
    ) -> str:
        """Keep a message for ``hubs`` (``None``: every hub) and note where it goes, in one
        transaction; returns its id. To every hub: one publish on ``R/broadcast/announcements``,
        whose targets are the hubs known now. To some: one publish per hub on its own
        ``R/hubs/<id>/announcements``. Refused when the same message (its key) was sent before.
        With ``lora_text`` the regional station also sends that text over the region channel to
        each target hub (:mod:`hub.region.lora`), until each hub acknowledges every part.
        """
        message_id = new_id()
        now = datetime.now(UTC)
        if hubs is not None and not hubs:
            raise ValidationError("no hub to send to")

        broadcast = new_id() if hubs is None else None

        def work(conn: Connection) -> str:
            known = conn.execute(
                select(messages_table.c.id).where(messages_table.c.key == outgoing.key)
            ).scalar()
            if known is not None:
                raise ValidationError(f"this message was sent before, as {known}")
            conn.execute(
                messages_table.insert().values(
                    id=message_id,
                    kind=outgoing.kind,
                    title=outgoing.title[:200],
                    key=outgoing.key,
                    everyone=hubs is None,
                    broadcast=broadcast,
                    mesh=outgoing.mesh,
                    drill=outgoing.drill,
                    created_at=now,
                )
            )
            outbox: list[dict[str, Any]] = []
            targets: list[dict[str, Any]] = []
            if broadcast is not None:
                topic = f"{topic_root}/broadcast/announcements"
                outbox.append({"id": broadcast, "topic": topic, "payload": outgoing.payload})
                known_hubs = conn.execute(select(hubs_table.c.hub)).scalars()
                targets = [{"message": message_id, "hub": hub, "outbox": broadcast} for hub in known_hubs]
            else:
                for hub in sorted(set(hubs or ())):
                    row_id = new_id()
                    topic = f"{topic_root}/hubs/{hub}/announcements"
                    outbox.append({"id": row_id, "topic": topic, "payload": outgoing.payload})
                    targets.append({"message": message_id, "hub": hub, "outbox": row_id})
            conn.execute(outbox_table.insert(), [{**row, "created_at": now} for row in outbox])
            if targets:
                conn.execute(targets_table.insert(), targets)
            if lora_text:
                from hub.region.lora import LoraStore

                LoraStore(self).plan(
                    conn,
                    message_id,
                    lora_text,
                    [t["hub"] for t in targets],
                    everyone=hubs is None,
                    key=outgoing.key,
                )
            return message_id

        return self._retrying(work)

    def delivery_rows(self, message_ids: Sequence[str]) -> DeliveryRows:
        """What :func:`hub.region.deliveries.per_hub` folds, for these messages."""
        ids = sorted(set(message_ids))
        if not ids:
            return DeliveryRows([], {}, {}, {})
        with self.engine.connect() as conn:
            messages = [
                MessageRow(*row)
                for row in conn.execute(
                    select(
                        messages_table.c.id,
                        messages_table.c.kind,
                        messages_table.c.title,
                        messages_table.c.key,
                        messages_table.c.everyone,
                        messages_table.c.mesh,
                        messages_table.c.drill,
                        messages_table.c.created_at,
                        messages_table.c.broadcast,
                    ).where(messages_table.c.id.in_(ids))
                )
            ]
            targets: dict[str, dict[str, str]] = {}
            for message, hub, outbox in conn.execute(
                select(targets_table.c.message, targets_table.c.hub, targets_table.c.outbox).where(
                    targets_table.c.message.in_(ids)
                )
            ):
                targets.setdefault(message, {})[hub] = outbox
            outboxes = sorted(
                {o for per in targets.values() for o in per.values()}
                | {m.broadcast for m in messages if m.broadcast}
            )
            sent: dict[str, datetime] = {}
            for start in range(0, len(outboxes), 500):
                for outbox, first in conn.execute(
                    select(sent_table.c.message, func.min(sent_table.c.sent_at))
                    .where(sent_table.c.message.in_(outboxes[start : start + 500]))
                    .group_by(sent_table.c.message)
                ):
                    sent[outbox] = _aware(first)
            receipts: dict[str, list[tuple[str, str, datetime]]] = {}
            for message, hub, state, at in conn.execute(
                select(
                    deliveries_table.c.message,
                    deliveries_table.c.hub,
                    deliveries_table.c.state,
                    deliveries_table.c.at,
                ).where(deliveries_table.c.message.in_(ids))
            ):
                receipts.setdefault(message, []).append((hub, state, _aware(at)))
        return DeliveryRows(messages, targets, sent, receipts)

    def recent_messages(self, limit: int = 20, hub: str | None = None) -> list[str]:
        """The ids of the last ``limit`` messages the region sent (to ``hub``, when given), newest first."""
        query = select(messages_table.c.id)
        if hub is not None:
            to_hub = select(targets_table.c.message).where(targets_table.c.hub == hub)
            query = query.where((messages_table.c.id.in_(to_hub)) | messages_table.c.everyone)
        query = query.order_by(messages_table.c.created_at.desc(), messages_table.c.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            return list(conn.execute(query).scalars())

    def unsent(self, broker: str, limit: int = 100) -> list[OutMessage]:
        """Messages ``broker`` has not acknowledged yet, oldest first."""
        sent = select(sent_table.c.message).where(sent_table.c.broker == broker)
        query = (
            select(outbox_table.c.id, outbox_table.c.topic, outbox_table.c.payload)
            .where(outbox_table.c.id.not_in(sent))
            .order_by(outbox_table.c.created_at, outbox_table.c.id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [OutMessage(i, t, bytes(p)) for i, t, p in conn.execute(query)]

    def recent(self, seconds: float, limit: int = 1000) -> list[OutMessage]:
        """Messages kept for hubs in the last ``seconds``, oldest first."""
        since = datetime.now(UTC) - timedelta(seconds=seconds)
        query = (
            select(outbox_table.c.id, outbox_table.c.topic, outbox_table.c.payload)
            .where(outbox_table.c.created_at >= since)
            .order_by(outbox_table.c.created_at, outbox_table.c.id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [OutMessage(i, t, bytes(p)) for i, t, p in conn.execute(query)]

    def mark_sent(self, broker: str, message_ids: Iterable[str]) -> None:
        now = datetime.now(UTC)
        rows = [{"message": m, "broker": broker, "sent_at": now} for m in sorted(set(message_ids))]
        if rows:
            self._retrying(
                lambda conn: conn.execute(self._insert(sent_table).values(rows).on_conflict_do_nothing())
            )
