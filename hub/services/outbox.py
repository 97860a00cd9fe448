"""The transactional outbox, in one place: events written in the same transaction as the change,
handed to the sync link, and marked sent (the broker's PUBACK) and confirmed (upstream's receipt).

Writing: :func:`append_event` allocates the next gap-free ``seq`` inside the writer's transaction
and collects the row; the writer inserts all rows of a batch in one statement just before its
commit, through the commit hook this module registers (:func:`hub.db.register_commit_hook`). A
job whose savepoint rolls back gives its seqs and rows back.

Reading and marking: :class:`Outbox` is the link's typed view (:class:`Event` values, never the
table model): what to send, where a connection starts, and the sent and confirmed marks.

No other module knows the outbox table's columns (``tests/test_outbox_boundary.py``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, String, delete, func, insert, type_coerce, update
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, or_, select

from hub.db import Database, after_commit, register_commit_hook
from hub.domain.sharing import shape_event
from hub.models import OutboxEvent, new_id, utcnow
from hub.services.context import HubContext

# Session.info key under which the outbox keeps the next seq within one transaction.
SEQ_CACHE = "outbox_next_seq"
# Session.info key of outbox rows waiting to be inserted in one statement before the commit.
PENDING_OUTBOX = "outbox_pending"
# Sent marks are written in chunks of this many seqs (SQLite's bound-parameter limit).
MARK_CHUNK = 500


@dataclass(frozen=True, slots=True)
class Event:
    """One outbox event as the link sends it. ``data_json`` is the data as stored (JSON text):
    the link puts it in the envelope as it is, rather than parsing it only to write it again."""

    seq: int
    id: str
    type: str
    at: datetime
    data_json: str

    @property
    def data(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.data_json)
        return parsed


# --- writing (inside a writer job) ---


def next_seq(session: Session) -> int:
    """Gap-free: the writer is the only one inserting, inside its transaction.

    The value is cached for the rest of the transaction (the commit hook gives a rolled back
    job's seqs back)."""
    cached = session.info.get(SEQ_CACHE)
    if cached is None:
        current = session.exec(select(func.max(OutboxEvent.seq))).one()
        cached = int(current or 0) + 1
    session.info[SEQ_CACHE] = cached + 1
    return int(cached)


def append_event(
    session: Session, ctx: HubContext, event_type: str, data: dict[str, Any], *, shape: str | None = None
) -> int:
    """Add an event and return its seq; ``shape`` names the record kind to minimise first.

    Rows are collected and written in one statement before the writer's commit (see
    :class:`_OutboxRows`): the outbox is the hot path of every submission."""
    payload = shape_event(shape, data, ctx.share) if shape else data
    seq = next_seq(session)
    session.info.setdefault(PENDING_OUTBOX, []).append(
        {"seq": seq, "id": new_id(), "type": event_type, "at": utcnow(), "data": payload}
    )
    for wake in ctx.sync_wakers:
        after_commit(session, wake)
    return seq


class _OutboxRows:
    """The writer's commit hook: the seq cache and the collected rows of one transaction."""

    def mark(self, session: Session) -> tuple[int | None, int]:
        return session.info.get(SEQ_CACHE), len(session.info.get(PENDING_OUTBOX, []))

    def undo(self, session: Session, mark: tuple[int | None, int]) -> None:
        """A job's savepoint rolled back: its seqs and rows go; the next job goes on from the
        earlier jobs' rows (not in the table yet)."""
        seq_mark, rows_mark = mark
        if seq_mark is None:
            session.info.pop(SEQ_CACHE, None)
        else:
            session.info[SEQ_CACHE] = seq_mark
        del session.info.get(PENDING_OUTBOX, [])[rows_mark:]

    def before_commit(self, session: Session) -> None:
        rows = session.info.pop(PENDING_OUTBOX, None)
        if rows:
            session.flush()
            session.connection().execute(insert(OutboxEvent.__table__), rows)  # type: ignore[attr-defined]


register_commit_hook(_OutboxRows())


def scrub(session: Session, ids: Sequence[str]) -> None:
    """The outbox keeps events until the region confirms them and for replays: keep only the id.

    One scan of the outbox; for a coordinator's deletion, not for the retention job's batches."""
    about = col(OutboxEvent.data)["id"].as_string().in_(ids)
    for event in session.exec(select(OutboxEvent).where(about)).all():
        event.data = {"id": event.data["id"], "erased": True}
        session.add(event)
    wanted = set(ids)
    for row in session.info.get(PENDING_OUTBOX, []):  # events of this very commit, not yet written
        if row["data"].get("id") in wanted:
            row["data"] = {"id": row["data"]["id"], "erased": True}


def prune(session: Session, cutoff: datetime, limit: int) -> int:
    """Delete up to ``limit`` confirmed events from before ``cutoff``, never the newest."""
    newest = session.exec(select(func.max(OutboxEvent.seq))).one()
    if newest is None:
        return 0
    seqs = session.exec(
        select(OutboxEvent.seq)
        .where(
            col(OutboxEvent.confirmed_at).is_not(None),
            col(OutboxEvent.at) < cutoff,
            col(OutboxEvent.seq) < newest,
        )
        .order_by(col(OutboxEvent.seq))
        .limit(limit)
    ).all()
    if not seqs:
        return 0
    result = session.exec(delete(OutboxEvent).where(col(OutboxEvent.seq).in_(seqs)))
    return int(result.rowcount or 0)


def unconfirmed_of_types(session: Session, types: Sequence[str], limit: int = 100) -> list[Event]:
    """The oldest ``limit`` events of these types that upstream has not confirmed yet (what the
    region has not heard over MQTT: the region channel's urgent frames)."""
    rows = session.execute(
        _events()
        .where(col(OutboxEvent.confirmed_at).is_(None), col(OutboxEvent.type).in_(list(types)))
        .order_by(col(OutboxEvent.seq))
        .limit(limit)
    ).all()
    return [Event(*row) for row in rows]


def depth(session: Session) -> dict[str, int]:
    """Unsent and unconfirmed events (the backlog coordinators see)."""
    unsent = session.exec(select(func.count()).where(col(OutboxEvent.sent_at).is_(None))).one()
    unconfirmed = session.exec(select(func.count()).where(col(OutboxEvent.confirmed_at).is_(None))).one()
    return {"unsent": int(unsent), "unconfirmed": int(unconfirmed)}


@dataclass(frozen=True, slots=True)
class EventMarks:
    """One outbox event as coordinators see it: what, when, and its sent and confirmed marks."""

    seq: int
    type: str
    at: datetime
    sent_at: datetime | None
    confirmed_at: datetime | None


def latest(session: Session, limit: int = 50) -> list[EventMarks]:
    """The newest ``limit`` events, newest first (the admin sync page)."""
    rows = session.execute(
        select_columns(
            col(OutboxEvent.seq),
            col(OutboxEvent.type),
            col(OutboxEvent.at),
            col(OutboxEvent.sent_at),
            col(OutboxEvent.confirmed_at),
        )
        .order_by(col(OutboxEvent.seq).desc())
        .limit(limit)
    ).all()
    return [EventMarks(*row) for row in rows]


def exported(session: Session) -> list[dict[str, Any]]:
    """Every event with every field, in seq order (the full export)."""
    rows = session.exec(select(OutboxEvent).order_by(col(OutboxEvent.seq))).all()
    return [row.model_dump() for row in rows]


# --- the sync link's view ---


def _events() -> Select[int, str, str, datetime, str]:
    """The columns an :class:`Event` is made of, as Core reads them on a plain connection: no ORM
    session or objects on the drain's hot path, and the data left as its stored JSON text."""
    table = OutboxEvent.__table__.c  # type: ignore[attr-defined]
    return select_columns(table.seq, table.id, table.type, table.at, type_coerce(table.data, String))


class Outbox:
    """The outbox as the sync link sees it: reads on the read engine, marks through the writer."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def pending(self, start: int, limit: int, *, replay_until: int = 0) -> list[Event]:
        """Up to ``limit`` unconfirmed events from seq ``start`` on, in seq order; during a
        replay (``replay_until``) the confirmed ones below that seq too."""
        query = (
            _events()
            .where(
                col(OutboxEvent.seq) >= start,
                or_(col(OutboxEvent.confirmed_at).is_(None), col(OutboxEvent.seq) < replay_until),
            )
            .order_by(col(OutboxEvent.seq))
            .limit(limit)
        )
        with self.db.connect() as conn:
            return [Event(*row) for row in conn.execute(query)]

    def lowest_unsent(self) -> int:
        """Where a new connection starts: the first event no broker acknowledged yet, or the
        seq after the last one. A confirmed event is always sent too (:meth:`confirm_upto`), so
        the unsent ones are all there is to search: the partial index ``ix_outbox_unsent``."""
        with self.db.read() as session:
            row = session.exec(
                select(OutboxEvent.seq)
                .where(col(OutboxEvent.sent_at).is_(None))
                .order_by(col(OutboxEvent.seq))
                .limit(1)
            ).first()
            if row is not None:
                return int(row)
            newest = select(OutboxEvent.seq).order_by(col(OutboxEvent.seq).desc()).limit(1)
            last = session.exec(newest).first()
        return int(last or 0) + 1

    def newest_unconfirmed_before(self, seq: int) -> Event | None:
        """The event a stalled link probes with."""
        with self.db.connect() as conn:
            row = conn.execute(
                _events()
                .where(col(OutboxEvent.confirmed_at).is_(None), col(OutboxEvent.seq) < seq)
                .order_by(col(OutboxEvent.seq).desc())
                .limit(1)
            ).first()
        return Event(*row) if row is not None else None

    def last_confirmed(self) -> int:
        """The highest seq upstream confirmed (0 when none)."""
        with self.db.read() as session:
            seq = session.exec(
                select(OutboxEvent.seq)
                .where(col(OutboxEvent.confirmed_at).is_not(None))
                .order_by(col(OutboxEvent.seq).desc())
                .limit(1)
            ).first()
        return int(seq or 0)

    def backlog(self) -> dict[str, int]:
        """Unsent and unconfirmed counts (see :func:`depth`)."""
        with self.db.read() as session:
            return depth(session)

    def mark_sent(self, seqs: Sequence[int]) -> Future[None]:
        """The broker acknowledged these events (a sent mark; a confirmed one is never undone)."""
        return self.mark(seqs, None)

    def confirm_upto(self, seq: int) -> Future[None]:
        """Upstream has every event up to ``seq``: confirmed, and so sent, whichever PUBACK a
        restart lost."""
        return self.mark((), seq)

    def mark(self, sent: Sequence[int], confirmed_upto: int | None) -> Future[None]:
        """Both marks in one writer job (one commit): the events the broker acknowledged, and
        every event up to ``confirmed_upto`` (when not None) confirmed by upstream."""
        chunks = [list(sent[i : i + MARK_CHUNK]) for i in range(0, len(sent), MARK_CHUNK)]

        def mark(session: Session) -> None:
            now = datetime.now(UTC)
            for chunk in chunks:
                session.execute(
                    update(OutboxEvent)
                    .where(col(OutboxEvent.seq).in_(chunk), col(OutboxEvent.sent_at).is_(None))
                    .values(sent_at=now)
                    .execution_options(synchronize_session=False)  # no ORM objects to keep in step
                )
            if confirmed_upto is not None:
                session.execute(
                    update(OutboxEvent)
                    .where(col(OutboxEvent.seq) <= confirmed_upto, col(OutboxEvent.confirmed_at).is_(None))
                    .values(confirmed_at=now, sent_at=func.coalesce(col(OutboxEvent.sent_at), now))
                    .execution_options(synchronize_session=False)
                )

        return self.db.writer.submit(mark)
