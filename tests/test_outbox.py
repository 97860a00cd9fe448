"""The outbox as the sync link sees it: what is pending, where a connection starts, replays, and
the sent and confirmed marks, against a real SQLite file."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlmodel import Session

from hub.runtime import Hub
from hub.services.outbox import Event, Outbox, append_event


def fill(hub: Hub, count: int) -> list[int]:
    def job(session: Session) -> list[int]:
        return [append_event(session, hub.ctx, "test.event", {"n": n}) for n in range(count)]

    return hub.db.writer.run_sync(job)


def test_pending_hands_typed_events_in_seq_order(hub: Hub) -> None:
    assert fill(hub, 5) == [1, 2, 3, 4, 5]
    outbox = Outbox(hub.db)
    events = outbox.pending(2, 3)
    assert [e.seq for e in events] == [2, 3, 4]
    assert all(isinstance(e, Event) and e.type == "test.event" for e in events)
    assert [e.data for e in events] == [{"n": 1}, {"n": 2}, {"n": 3}]
    assert outbox.backlog() == {"unsent": 5, "unconfirmed": 5}


def test_sent_and_confirmed_marks_move_where_a_connection_starts(hub: Hub) -> None:
    fill(hub, 6)
    outbox = Outbox(hub.db)
    assert outbox.lowest_unsent() == 1
    outbox.mark_sent([1, 2, 4]).result(10)
    assert outbox.lowest_unsent() == 3
    assert outbox.backlog() == {"unsent": 3, "unconfirmed": 6}
    outbox.confirm_upto(3).result(10)  # confirmed implies sent
    assert outbox.last_confirmed() == 3
    assert outbox.backlog() == {"unsent": 2, "unconfirmed": 3}
    assert outbox.lowest_unsent() == 5
    assert [e.seq for e in outbox.pending(1, 10)] == [4, 5, 6]
    newest = outbox.newest_unconfirmed_before(6)
    assert newest is not None and newest.seq == 5
    outbox.mark_sent([5, 6]).result(10)
    outbox.confirm_upto(6).result(10)
    assert outbox.lowest_unsent() == 7  # after the last one
    assert outbox.newest_unconfirmed_before(7) is None
    assert outbox.pending(1, 10) == []


def test_a_replay_includes_confirmed_events_below_its_end(hub: Hub) -> None:
    fill(hub, 5)
    outbox = Outbox(hub.db)
    outbox.confirm_upto(4).result(10)
    assert [e.seq for e in outbox.pending(2, 10, replay_until=4)] == [2, 3, 5]
    assert [e.seq for e in outbox.pending(2, 10, replay_until=6)] == [2, 3, 4, 5]
    assert [e.seq for e in outbox.pending(2, 2, replay_until=6)] == [2, 3]


def test_the_unsent_reads_search_only_the_unsent_events(hub: Hub) -> None:
    """The unsent count and where a connection starts use the partial index on the unsent
    events (migration 0015_outbox_unsent), not a pass over every event kept."""
    fill(hub, 50)
    outbox = Outbox(hub.db)
    outbox.mark_sent(list(range(1, 41))).result(10)
    outbox.confirm_upto(30).result(10)
    statements: list[tuple[str, Any]] = []

    def grab(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        statements.append((statement, parameters))

    event.listen(hub.db.read_engine, "before_cursor_execute", grab)
    try:
        assert outbox.backlog() == {"unsent": 10, "unconfirmed": 20}
        assert outbox.lowest_unsent() == 41
    finally:
        event.remove(hub.db.read_engine, "before_cursor_execute", grab)
    unsent = [(s, p) for s, p in statements if "sent_at IS NULL" in s]
    assert len(unsent) == 2, statements
    with hub.db.read_engine.connect() as connection:
        for statement, parameters in unsent:
            plan = [
                str(row[3])
                for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            ]
            assert any(
                "USING INDEX ix_outbox_unsent" in step or "USING COVERING INDEX ix_outbox_unsent" in step
                for step in plan
            ), (
                statement,
                plan,
            )
            assert not any(
                step.startswith("SCAN outbox") and "ix_outbox_unsent" not in step for step in plan
            ), plan
