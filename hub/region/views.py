"""What the region's pages show, read from its PostgreSQL: only what hubs sent upstream.

Every figure comes from the hubs' own events (``upstream_events``), whose data each hub shaped
by its share level and its households' consent before it left the hub (``hub/domain/sharing.py``).
Nothing here adds to them: a field a hub did not send is not shown.

When the internet is down, the regional station (``hub region station``) adds what came over
the region's LoRa channel: each hub's latest LoRa summary is shown beside its MQTT figures, "via
LoRa, n minutes old" (:attr:`HubRow.lora`), and its urgent events are rows of
``upstream_events`` with a negative placeholder seq until their MQTT copy replaces them
(:mod:`hub.region.lora`). Those LoRa-only SOS alerts and life-threatening needs are counted
with the hub's figures; once their MQTT copy arrives they count through it, so never twice.

The overview costs one query for all hubs, whatever the number of events: per hub, the latest
``hub.status`` and ``hub.mode_changed`` are a row of ``region_hub_latest`` (kept by a trigger as
events are stored), SOS alerts raised or acknowledged since that status a short index-only
range of the ``(hub, type, seq)`` index (:data:`latest_index`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Index, bindparam, select, text

from hub.region.lora import LoraSummary, summaries_table
from hub.region.store import events_table

# The index the overview's "latest event of a type per hub" probes (made by ``prepare``).
latest_index = Index(
    "ix_upstream_events_hub_type_seq", events_table.c.hub, events_table.c.type, events_table.c.seq
)

STATUS = "hub.status"
MODES = ("normal", "drill", "crisis")


# Per hub, its latest ``hub.status`` and ``hub.mode_changed`` (highest seq), kept by a trigger in
# the transaction that stores the event, whichever consumer stores it: the overview reads 500
# small rows instead of fetching 500 status events from among millions. Updated in place: half of
# each page is left free so an update stays on its page (HOT) until autovacuum tidies up.
_LATEST = [
    """CREATE TABLE IF NOT EXISTS region_hub_latest (
         hub varchar(40) PRIMARY KEY, status_seq bigint, status text, status_at timestamptz,
         mode_seq bigint, mode text) WITH (fillfactor = 50)""",
    """CREATE OR REPLACE FUNCTION region_hub_latest_keep() RETURNS trigger AS $$
       BEGIN
         IF NEW.type = 'hub.status' THEN
           INSERT INTO region_hub_latest AS l (hub, status_seq, status, status_at)
           VALUES (NEW.hub, NEW.seq, NEW.data, NEW.received_at)
           ON CONFLICT (hub) DO UPDATE SET status_seq = EXCLUDED.status_seq,
             status = EXCLUDED.status, status_at = EXCLUDED.status_at
           WHERE l.status_seq IS NULL OR l.status_seq < EXCLUDED.status_seq;
         ELSE
           INSERT INTO region_hub_latest AS l (hub, mode_seq, mode) VALUES (NEW.hub, NEW.seq, NEW.data)
           ON CONFLICT (hub) DO UPDATE SET mode_seq = EXCLUDED.mode_seq, mode = EXCLUDED.mode
           WHERE l.mode_seq IS NULL OR l.mode_seq < EXCLUDED.mode_seq;
         END IF;
         RETURN NULL;
       END $$ LANGUAGE plpgsql""",
    """CREATE OR REPLACE TRIGGER region_hub_latest_keep AFTER INSERT ON upstream_events FOR EACH ROW
       WHEN (NEW.type IN ('hub.status', 'hub.mode_changed')) EXECUTE FUNCTION region_hub_latest_keep()""",
    # What was stored before the trigger existed (the trigger's lock waited for those writers).
    """INSERT INTO region_hub_latest AS l (hub, status_seq, status, status_at)
       SELECT DISTINCT ON (hub) hub, seq, data, received_at FROM upstream_events
       WHERE type = 'hub.status' ORDER BY hub, seq DESC
       ON CONFLICT (hub) DO UPDATE SET status_seq = EXCLUDED.status_seq, status = EXCLUDED.status,
         status_at = EXCLUDED.status_at
       WHERE l.status_seq IS NULL OR l.status_seq < EXCLUDED.status_seq""",
    """INSERT INTO region_hub_latest AS l (hub, mode_seq, mode)
       SELECT DISTINCT ON (hub) hub, seq, data FROM upstream_events
       WHERE type = 'hub.mode_changed' ORDER BY hub, seq DESC
       ON CONFLICT (hub) DO UPDATE SET mode_seq = EXCLUDED.mode_seq, mode = EXCLUDED.mode
       WHERE l.mode_seq IS NULL OR l.mode_seq < EXCLUDED.mode_seq""",
]


def prepare(engine: Engine) -> None:
    """The index and the per-hub latest table the overview reads, on an older database too."""
    latest_index.create(engine, checkfirst=True)
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(4242013)"))  # one server prepares at a time
        for statement in _LATEST:
            conn.execute(text(statement))


@dataclass(frozen=True)
class HubRow:
    """One hub on the overview and the map."""

    hub: str
    name: str
    lat: float | None
    lon: float | None
    last_seen: datetime | None
    stale: bool
    mode: str | None
    clock_trusted: bool | None
    households_ok: int | None
    households_help: int | None
    households_unheard: int | None
    life_needs: int | None
    special_attention_unreached: int | None
    open_alerts: int | None
    links: dict[str, bool]
    outbox_unsent: int | None
    confirmed: int
    highest: int  # events stored (seqs are unique: as many as the highest seq when none is missing)
    events: int
    status_at: datetime | None
    lora: LoraSummary | None = None  # the latest summary heard over LoRa
    supplies: tuple[SupplyRequest, ...] = ()  # open supply requests, oldest first

    @property
    def supply_households(self) -> int:
        return sum(r.households for r in self.supplies)

    @property
    def behind(self) -> int:
        """Events stored above the confirmed mark: they wait for a gap below them to fill."""
        return max(self.highest - self.confirmed, 0)

    @property
    def needs_attention(self) -> bool:
        return self.stale or bool(self.open_alerts) or bool(self.life_needs) or bool(self.households_help)


_OVERVIEW = text(
    """
    SELECT h.hub, h.confirmed, h.events, h.last_seen,
           l.status_seq, l.status, l.status_at, l.mode_seq, l.mode AS mode_event,
           (SELECT count(*) FROM upstream_events a
             WHERE a.hub = h.hub AND a.type = 'alert.raised'
               AND (a.seq > coalesce(l.status_seq, 0) OR a.seq < 0)) AS raised,
           (SELECT count(*) FROM upstream_events n
             WHERE n.hub = h.hub AND n.type = 'need.created' AND n.seq < 0
               AND CAST(n.data AS jsonb) ->> 'urgency' = 'life') AS lora_life,
           (SELECT count(*) FROM upstream_events a
             WHERE a.hub = h.hub AND a.type = 'alert.acknowledged'
               AND a.seq > coalesce(l.status_seq, 0)) AS acked
    FROM upstream_hubs AS h
    LEFT JOIN region_hub_latest AS l ON l.hub = h.hub
    WHERE CAST(:hub AS text) IS NULL OR h.hub = CAST(:hub AS text)
    ORDER BY h.hub
    """
)


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _coordinate(value: Any, limit: float) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value) if -limit <= value <= limit else None
    return None


@dataclass(frozen=True)
class SupplyRequest:
    """A hub's open request for supplies ("water for 40 households"), over MQTT or LoRa."""

    id: str
    category: str
    households: int
    note: str
    drill: bool
    at: str  # the hub's time of the request
    via_lora: bool  # heard over LoRa only so far (its MQTT copy will replace it, same event id)


_SUPPLIES = text(
    """
    SELECT hub, id, seq, type, at, data FROM upstream_events
    WHERE type IN ('supply.requested', 'supply.closed')
      AND (CAST(:hub AS text) IS NULL OR hub = CAST(:hub AS text))
    ORDER BY hub, seq < 0, seq
    """
)


def _open_supplies(conn: Any, hub: str | None) -> dict[str, tuple[SupplyRequest, ...]]:
    """Per hub, the supply requests not closed. An event heard over LoRa and then over MQTT is
    one row (the MQTT copy replaces it in place, ``RegionStore.store``), so each counts once."""
    requested: dict[str, dict[str, SupplyRequest]] = {}
    closed: dict[str, set[str]] = {}
    for row in conn.execute(_SUPPLIES, {"hub": hub}):
        data = json.loads(row.data)
        request_id = str(data.get("id") or row.id)
        if row.type == "supply.closed":
            closed.setdefault(row.hub, set()).add(request_id)
            continue
        households = _int(data.get("households")) or 1
        requested.setdefault(row.hub, {})[request_id] = SupplyRequest(
            request_id,
            str(data.get("category") or "other"),
            max(households, 1),
            str(data.get("note") or "")[:120],
            bool(data.get("drill")),
            str(row.at),
            row.seq < 0,
        )
    return {
        name: tuple(r for key, r in found.items() if key not in closed.get(name, set()))
        for name, found in requested.items()
    }


def overview(
    engine: Engine, stale_after: timedelta, now: datetime | None = None, hub: str | None = None
) -> list[HubRow]:
    """Every hub the region heard from (or only ``hub``), by id."""
    moment = now or datetime.now(UTC)
    rows: list[HubRow] = []
    with engine.connect() as conn:
        lora = _lora_summaries(conn, hub)
        supplies = _open_supplies(conn, hub)
        for row in conn.execute(_OVERVIEW, {"hub": hub}):
            status: dict[str, Any] = json.loads(row.status) if row.status else {}
            figures: dict[str, Any] = status.get("figures") or {}
            mode = status.get("mode")
            if row.mode_event and (row.status_seq is None or row.mode_seq > row.status_seq):
                mode = json.loads(row.mode_event).get("mode")
            ok, helps = _int(figures.get("households_ok")), _int(figures.get("households_help"))
            known = _int(status.get("addresses_known"))
            unheard = max(known - (ok or 0) - (helps or 0), 0) if known else None
            alerts = _int(status.get("open_alerts"))
            if alerts is not None or row.raised:
                alerts = max((alerts or 0) + int(row.raised) - int(row.acked), 0)
            links: dict[str, Any] = status["links"] if isinstance(status.get("links"), dict) else {}
            outbox: dict[str, Any] = status["outbox"] if isinstance(status.get("outbox"), dict) else {}
            urgency = figures.get("open_needs_by_urgency")
            life = _int(urgency.get("life")) or 0 if isinstance(urgency, dict) else None
            if row.lora_life:
                life = (life or 0) + int(row.lora_life)
            name = status.get("name")
            rows.append(
                HubRow(
                    hub=row.hub,
                    name=str(name)[:80] if isinstance(name, str) and name.strip() else row.hub,
                    lat=_coordinate(status.get("lat"), 90),
                    lon=_coordinate(status.get("lon"), 180),
                    last_seen=row.last_seen,
                    stale=row.last_seen is None or moment - row.last_seen > stale_after,
                    mode=mode if mode in MODES else None,
                    clock_trusted=status.get("clock_trusted") if status else None,
                    households_ok=ok,
                    households_help=helps,
                    households_unheard=unheard,
                    life_needs=life,
                    special_attention_unreached=_int(figures.get("special_attention_not_reached")),
                    open_alerts=alerts,
                    links={str(k): bool(v) for k, v in links.items()},
                    outbox_unsent=_int(outbox.get("unsent")),
                    confirmed=int(row.confirmed),
                    highest=max(int(row.events), int(row.confirmed)),
                    events=int(row.events),
                    status_at=row.status_at,
                    lora=lora.get(row.hub),
                    supplies=supplies.get(row.hub, ()),
                )
            )
    return rows


def _lora_summaries(conn: Any, hub: str | None) -> dict[str, LoraSummary]:
    query = select(summaries_table)
    if hub is not None:
        query = query.where(summaries_table.c.hub == hub)
    found: dict[str, LoraSummary] = {}
    for row in conn.execute(query):
        try:
            figures = json.loads(row.figures)
        except ValueError:
            continue
        found[row.hub] = LoraSummary(row.hub, figures, _utc(row.sent_at), _utc(row.received_at))
    return found


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Totals:
    hubs: int = 0
    stale: int = 0
    crisis: int = 0
    drill: int = 0
    open_alerts: int = 0
    life_needs: int = 0
    households_help: int = 0


def totals(rows: Sequence[HubRow]) -> Totals:
    return Totals(
        hubs=len(rows),
        stale=sum(1 for r in rows if r.stale),
        crisis=sum(1 for r in rows if r.mode == "crisis"),
        drill=sum(1 for r in rows if r.mode == "drill"),
        open_alerts=sum(r.open_alerts or 0 for r in rows),
        life_needs=sum(r.life_needs or 0 for r in rows),
        households_help=sum(r.households_help or 0 for r in rows),
    )


# --- one hub ---


@dataclass(frozen=True)
class Record:
    """An open need or an available offer as the hub sent it (its fields, nothing more)."""

    id: str
    kind: str
    drill: bool
    fields: dict[str, Any]


@dataclass(frozen=True)
class HubDetail:
    row: HubRow
    hours: list[tuple[datetime, int]]  # events received per hour, oldest first
    by_type: dict[str, int]
    needs: list[Record]
    offers: list[Record]
    drill_reports: list[dict[str, Any]] = field(default_factory=list)


# The fields of a need or offer the page shows, in this order, when the hub sent them.
SHOWN_FIELDS = ("category", "urgency", "street", "address", "description", "contact")


def hub_exists(engine: Engine, hub: str) -> bool:
    with engine.connect() as conn:
        found = conn.execute(text("SELECT 1 FROM upstream_hubs WHERE hub = :hub"), {"hub": hub}).first()
    return found is not None


def hub_detail(
    engine: Engine, hub: str, stale_after: timedelta, hours: int = 48, now: datetime | None = None
) -> HubDetail | None:
    moment = now or datetime.now(UTC)
    row = next(iter(overview(engine, stale_after, moment, hub)), None)
    if row is None:
        return None
    start = (moment - timedelta(hours=hours - 1)).replace(minute=0, second=0, microsecond=0)
    with engine.connect() as conn:
        counted: dict[datetime, int] = dict(
            conn.execute(
                text(
                    "SELECT date_trunc('hour', received_at) AS hour, count(*) FROM upstream_events"
                    " WHERE hub = :hub AND received_at >= :start GROUP BY 1"
                ),
                {"hub": hub, "start": start},
            ).all()
        )
        by_type: dict[str, int] = dict(
            conn.execute(
                text(
                    "SELECT type, count(*) FROM upstream_events WHERE hub = :hub GROUP BY type ORDER BY type"
                ),
                {"hub": hub},
            ).all()
        )
        record_events = conn.execute(
            text(
                "SELECT type, data FROM upstream_events WHERE hub = :hub AND type IN :types ORDER BY seq"
            ).bindparams(bindparam("types", expanding=True)),
            {
                "hub": hub,
                "types": [
                    "need.created",
                    "need.status",
                    "need.deleted",
                    "offer.created",
                    "offer.status",
                    "offer.deleted",
                ],
            },
        ).all()
        reports = conn.execute(
            text(
                "SELECT data FROM upstream_events WHERE hub = :hub AND type = 'drill.report'"
                " ORDER BY seq DESC LIMIT 10"
            ),
            {"hub": hub},
        ).all()
    series = []
    for n in range(hours):
        hour = start + timedelta(hours=n)
        series.append((hour, int(counted.get(hour, 0))))
    needs, offers = _open_records(record_events)
    return HubDetail(
        row=row,
        hours=series,
        by_type={str(k): int(v) for k, v in by_type.items()},
        needs=needs,
        offers=offers,
        drill_reports=[json.loads(data) for (data,) in reports],
    )


def _open_records(events: Sequence[Any]) -> tuple[list[Record], list[Record]]:
    """Needs still open and offers still available, from the hub's events in seq order."""
    records: dict[str, dict[str, Any]] = {}
    states: dict[str, str] = {}
    kinds: dict[str, str] = {}
    for event_type, data in events:
        payload = json.loads(data)
        record_id = str(payload.get("id", ""))
        if not record_id:
            continue
        kind, _, action = event_type.partition(".")
        if action == "created":
            records[record_id] = payload
            kinds[record_id] = kind
            states.setdefault(
                record_id, str(payload.get("status") or ("open" if kind == "need" else "available"))
            )
        elif action == "status":
            states[record_id] = str(payload.get("status"))
        elif action == "deleted":
            records.pop(record_id, None)
    needs: list[Record] = []
    offers: list[Record] = []
    for record_id, payload in records.items():
        kind = kinds[record_id]
        if kind == "need" and states.get(record_id) == "open":
            needs.append(_record(record_id, kind, payload))
        elif kind == "offer" and states.get(record_id) == "available":
            offers.append(_record(record_id, kind, payload))
    return needs, offers


def _record(record_id: str, kind: str, payload: dict[str, Any]) -> Record:
    fields = {name: payload[name] for name in SHOWN_FIELDS if payload.get(name) not in (None, "", [])}
    return Record(record_id, kind, bool(payload.get("drill")), fields)


def hub_ids(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return [str(hub) for (hub,) in conn.execute(text("SELECT hub FROM upstream_hubs ORDER BY hub"))]
