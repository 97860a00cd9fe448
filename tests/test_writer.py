"""The one write path: a job that fails, in the job or at its commit, fails alone.

Batches are made deterministic with a blocker: a first job that holds the writer thread until
every job of the batch is queued, so that the writer takes them all at once.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from hub.config import Settings
from hub.models import new_id, utcnow
from hub.runtime import Hub
from hub.schemas import CheckInCreate, Consent, HouseholdCreate
from hub.services.outbox import append_event
from hub.services.residents import _CHECKINS, _INSERT_CHECKIN, create_checkin, register_household


class Boom(Exception):
    """A job's own error."""


T = TypeVar("T")


def submit_batch(hub: Hub, jobs: list[Callable[[Session], Any]]) -> list[Future[Any]]:
    """Queue ``jobs`` while the writer is held, so that it takes them as one batch."""
    started, release = threading.Event(), threading.Event()

    def blocker(_session: Session) -> None:
        started.set()
        release.wait(10)

    held = hub.db.writer.submit(blocker)
    assert started.wait(10)
    futures = [hub.db.writer.submit(job) for job in jobs]
    release.set()
    held.result(10)
    return futures


def checkin_job(hub: Hub, n: int) -> Callable[[Session], str]:
    def job(session: Session) -> str:
        data = CheckInCreate(address=f"Kerkstraat {n}", status="ok")
        return create_checkin(session, hub.ctx, data).id

    return job


def raising_job(hub: Hub) -> Callable[[Session], None]:
    """Writes an event and a row, then raises: none of it may stay."""

    def job(session: Session) -> None:
        create_checkin(session, hub.ctx, CheckInCreate(address="Raamweg 13", status="help"))
        append_event(session, hub.ctx, "test.noise", {})
        raise Boom("this job fails")

    return job


def household(buddy: str) -> HouseholdCreate:
    return HouseholdCreate(
        address="Dorpsstraat 4",
        special_attention=["alone_75plus"],
        consent=Consent(given_by="mevr. J"),
        buddy_volunteer_id=buddy,
    )


def flush_failing_job(hub: Hub) -> Callable[[Session], None]:
    """A household whose buddy does not exist: the foreign key fails when the row is written."""

    def job(session: Session) -> None:
        register_household(session, hub.ctx, household("no-such-buddy"))

    return job


def commit_failing_job(hub: Hub) -> Callable[[Session], None]:
    """The same foreign-key failure, deferred by SQLite until the transaction commits."""

    def job(session: Session) -> None:
        session.connection().exec_driver_sql("PRAGMA defer_foreign_keys=ON")
        register_household(session, hub.ctx, household("no-such-volunteer"))
        session.flush()

    return job


def stored(settings: Settings) -> tuple[set[str], list[int]]:
    connection = sqlite3.connect(settings.data_dir / "hub.sqlite3")
    try:
        checkins = {row[0] for row in connection.execute("SELECT id FROM checkins")}
        seqs = [row[0] for row in connection.execute("SELECT seq FROM outbox ORDER BY seq")]
    finally:
        connection.close()
    return checkins, seqs


def test_a_job_that_raises_does_not_fail_the_next_one_in_its_batch(hub: Hub, settings: Settings) -> None:
    first, failing, last = submit_batch(hub, [checkin_job(hub, 1), raising_job(hub), checkin_job(hub, 2)])
    with pytest.raises(Boom):
        failing.result(10)
    ids = {first.result(10), last.result(10)}
    checkins, seqs = stored(settings)
    assert checkins == ids
    assert seqs == [1, 2]


def test_a_constraint_error_at_flush_fails_only_its_own_job(hub: Hub, settings: Settings) -> None:
    jobs = [checkin_job(hub, n) for n in range(30)]
    jobs.insert(7, flush_failing_job(hub))
    futures = submit_batch(hub, jobs)
    with pytest.raises(IntegrityError):
        futures.pop(7).result(10)
    ids = {future.result(10) for future in futures}
    checkins, seqs = stored(settings)
    assert checkins == ids
    assert seqs == list(range(1, 31))


def test_a_constraint_error_at_commit_fails_only_its_own_job(hub: Hub, settings: Settings) -> None:
    futures = submit_batch(hub, [checkin_job(hub, 1), commit_failing_job(hub), checkin_job(hub, 2)])
    with pytest.raises(IntegrityError):
        futures[1].result(10)
    ids = {futures[0].result(10), futures[2].result(10)}
    checkins, seqs = stored(settings)
    assert checkins == ids
    assert seqs == [1, 2]


KINDS = ("good", "raises", "fails_at_flush", "fails_at_commit")


def test_random_batches_fail_exactly_their_failing_jobs(hub: Hub, settings: Settings) -> None:
    """One hub for every example: the outbox must stay unique and gap-free across all of them."""
    counter = iter(range(1_000_000))
    every_id: set[str] = set()

    @hypothesis_settings(
        max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
    )
    @given(st.lists(st.sampled_from(KINDS), min_size=1, max_size=16))
    def run(kinds: list[str]) -> None:
        makers: dict[str, Callable[[], Callable[[Session], Any]]] = {
            "good": lambda: checkin_job(hub, next(counter)),
            "raises": lambda: raising_job(hub),
            "fails_at_flush": lambda: flush_failing_job(hub),
            "fails_at_commit": lambda: commit_failing_job(hub),
        }
        futures = submit_batch(hub, [makers[kind]() for kind in kinds])
        for kind, future in zip(kinds, futures, strict=True):
            error = future.exception(10)
            if kind == "good":
                assert error is None, error
                every_id.add(future.result())
            elif kind == "raises":
                assert isinstance(error, Boom)
            else:
                assert isinstance(error, IntegrityError), error
        checkins, seqs = stored(settings)
        assert checkins == every_id
        assert seqs == list(range(1, len(every_id) + 1))

    run()


def in_own_loop(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """``asyncio.run(main())`` in a thread of its own: a browser test's Playwright (sync API) may
    hold a running event loop in this worker's main thread, where ``asyncio.run`` refuses."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(main())).result(60)


def test_coroutines_get_their_own_answers_and_errors_from_one_batch(hub: Hub, settings: Settings) -> None:
    """``Writer.run``: the answers of a batch go to the event loop together, each to its caller."""
    started, release = threading.Event(), threading.Event()

    def blocker(_session: Session) -> None:
        started.set()
        release.wait(10)

    async def run() -> list[Any]:
        held = hub.db.writer.submit(blocker)
        assert started.wait(10)
        jobs = [checkin_job(hub, 1), raising_job(hub), flush_failing_job(hub), checkin_job(hub, 2)]
        tasks = [asyncio.ensure_future(hub.db.writer.run(job)) for job in jobs]
        await asyncio.sleep(0.05)  # every job queued behind the blocker
        release.set()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        held.result(10)
        return results

    first, boom, integrity, last = in_own_loop(run)
    assert isinstance(boom, Boom)
    assert isinstance(integrity, IntegrityError)
    checkins, seqs = stored(settings)
    assert checkins == {first, last}
    assert seqs == [1, 2]


def test_a_job_whose_caller_gave_up_before_it_ran_is_not_run(hub: Hub, settings: Settings) -> None:
    started, release = threading.Event(), threading.Event()

    def blocker(_session: Session) -> None:
        started.set()
        release.wait(10)

    async def run() -> str:
        held = hub.db.writer.submit(blocker)
        assert started.wait(10)
        abandoned = asyncio.ensure_future(hub.db.writer.run(checkin_job(hub, 1)))
        kept = asyncio.ensure_future(hub.db.writer.run(checkin_job(hub, 2)))
        await asyncio.sleep(0.05)
        abandoned.cancel()  # the client left while the job waited for the writer
        await asyncio.sleep(0)
        release.set()
        held.result(10)
        return await kept

    kept_id = in_own_loop(run)
    checkins, seqs = stored(settings)
    assert checkins == {kept_id}
    assert seqs == [1]


def test_the_prepared_check_in_stores_the_row_as_sqlalchemy_does(hub: Hub, settings: Settings) -> None:
    """``Prepared`` runs compiled SQL on the DBAPI connection: the stored values and their SQLite
    types are those of ``connection.execute(insert(...))``."""
    row = {
        "address": "Kerkstraat 5",
        "address_key": "kerkstraat 5",
        "status": "help",
        "people": 2,
        "note": "knie",
        "source": "api",
        "volunteer_id": None,
        "household_id": None,
        "verified": True,
        "verified_by": "code",
        "drill": False,
        "created_at": utcnow(),
    }
    prepared, plain = new_id(), new_id()

    def job(session: Session) -> None:
        _INSERT_CHECKIN.execute(session, {**row, "id": prepared})
        session.connection().execute(insert(_CHECKINS), {**row, "id": plain})

    hub.db.writer.run_sync(job)
    connection = sqlite3.connect(settings.data_dir / "hub.sqlite3")
    try:
        columns = [name for name in row if name != "id"]
        select = ", ".join(f"{name}, typeof({name})" for name in columns)
        stored_rows = {
            found_id: values for found_id, *values in connection.execute(f"SELECT id, {select} FROM checkins")
        }
    finally:
        connection.close()
    assert stored_rows[prepared] == stored_rows[plain]
