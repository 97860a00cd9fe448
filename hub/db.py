"""The database: engines with SQLite's durability pragmas, and the one write path.

Every writer in the hub (web requests, the mesh link, the sync link, the scheduler, the CLI)
hands its work to :class:`Writer` as a function of a session. The writer runs on one thread,
takes every job that is waiting, runs each in its own SAVEPOINT and commits them all at once
(group commit): a commit costs an fsync, not the rows in it. A job's caller is answered only
after that commit is on disk, so "saved" always means saved. One job's error rolls back only
its own savepoint.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, InvalidStateError
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection, Engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.pool import QueuePool
from sqlalchemy.sql import Insert, Select
from sqlmodel import Session, create_engine

from hub.errors import StorageUnavailable

log = logging.getLogger(__name__)

T = TypeVar("T")
Job = Callable[[Session], T]
MAX_BATCH = 256
READ_POOL = 8  # reader connections kept open between reads


class CommitHook(Protocol):
    """Transaction-local work another module adds to every batch of the writer (the outbox's
    rows): state it keeps in ``Session.info``, given back when a job's savepoint rolls back,
    and written just before the commit."""

    def mark(self, session: Session) -> Any:
        """Where the hook's state stands before a job runs in its own savepoint."""

    def undo(self, session: Session, mark: Any) -> None:
        """The job's savepoint rolled back: go back to ``mark``."""

    def before_commit(self, session: Session) -> None:
        """Write what the batch's jobs collected, in the batch's transaction."""


_COMMIT_HOOKS: list[CommitHook] = []


def register_commit_hook(hook: CommitHook) -> None:
    """Run ``hook`` in every batch of every writer (registered once, at import of its module)."""
    if hook not in _COMMIT_HOOKS:
        _COMMIT_HOOKS.append(hook)


def make_engine(url: str, *, writer: bool) -> Engine:
    """An engine for ``url``; for SQLite, WAL + synchronous=FULL + foreign keys on every connection."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    if writer:
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
    else:
        # Readers keep up to READ_POOL connections open between reads: opening one (and its
        # PRAGMAs) cost more than many a read itself. More at once are opened and closed as
        # needed (no overflow limit, nobody waits for a connection).
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 10},
            poolclass=QueuePool,
            pool_size=READ_POOL,
            max_overflow=-1,
        )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, issue BEGIN: needed for SAVEPOINT to work.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")

    return engine


class Prepared:
    """A statement compiled once per dialect and run on the session's own DBAPI connection.

    For a one-row statement on the hot path (a check-in), SQLAlchemy's work per execution (cache
    key, parameter processing, result wrapping) costs several times what SQLite does. This runs
    the compiled SQL with the column types' own bind processors, so the row is stored exactly as
    ``connection.execute(statement, params)`` stores it, in the session's transaction. A dialect
    whose parameters are not positional (``?``) gets that plain execution."""

    def __init__(self, statement: Insert | Select[Any], keys: tuple[str, ...]) -> None:
        self.statement = statement
        self.keys = keys  # the parameters every execution gives (an INSERT's columns)
        self._plans: dict[int, tuple[str, list[tuple[str, Any, Any]]] | None] = {}

    def _plan(self, dialect: Dialect) -> tuple[str, list[tuple[str, Any, Any]]] | None:
        if id(dialect) not in self._plans:
            plan = None
            if dialect.paramstyle == "qmark":
                compiled = self.statement.compile(dialect=dialect, column_keys=list(self.keys))
                binds = []
                for name in compiled.positiontup or ():
                    bind = compiled.binds[name]
                    process = bind.type.dialect_impl(dialect).bind_processor(dialect)
                    binds.append((name, bind.effective_value, process))
                plan = (compiled.string, binds)
            self._plans[id(dialect)] = plan
        return self._plans[id(dialect)]

    def execute(self, session: Session, params: dict[str, Any]) -> Any:
        """Run with ``params``; the DBAPI cursor (``fetchone`` gives plain tuples)."""
        connection = session.connection()
        plan = self._plan(connection.dialect)
        if plan is None:
            return connection.execute(self.statement, params)
        sql, binds = plan
        values = []
        for name, default, process in binds:
            value = params.get(name, default)
            values.append(value if process is None or value is None else process(value))
        dbapi = connection.connection.dbapi_connection
        assert dbapi is not None
        try:
            return dbapi.execute(sql, values)
        except Exception as exc:  # as SQLAlchemy would raise it: IntegrityError, OperationalError
            raise DBAPIError.instance(sql, values, exc, connection.dialect.loaded_dbapi.Error) from exc


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` once the current job's transaction is durable (e.g. wake a link)."""
    session.info.setdefault("after_commit", []).append(callback)


class _Pending:
    """A job and who waits for it: a thread (``future``) or a coroutine (``waiter`` on ``loop``).

    A coroutine's answer is handed to its event loop once per batch (``_wake``), not once per
    job through a ``concurrent.futures.Future`` (a condition and its locks), a second, asyncio
    future chained to it and a wake-up of the loop for each: 0.015 ms of a check-in's CPU."""

    __slots__ = ("callbacks", "done", "future", "job", "loop", "waiter")

    def __init__(
        self,
        job: Callable[[Session], Any],
        future: Future[Any] | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
        waiter: asyncio.Future[Any] | None = None,
    ) -> None:
        self.job = job
        self.future = future
        self.loop = loop
        self.waiter = waiter
        self.callbacks: list[Callable[[], None]] = []
        self.done = False

    @property
    def abandoned(self) -> bool:
        """Its caller stopped waiting (a cancelled request) before the job ran: not run."""
        waiter = self.future or self.waiter
        return waiter is not None and waiter.cancelled()

    def fail(self, error: BaseException) -> None:
        self.done = True
        self.loop_or_thread([(self, None, error)])

    def loop_or_thread(self, answers: list[tuple[_Pending, Any, BaseException | None]]) -> None:
        """Hand ``answers`` (this one's, or a whole batch's with the same loop) to the waiters."""
        if self.loop is not None:
            try:
                self.loop.call_soon_threadsafe(_wake, answers)
            except RuntimeError:  # the loop closed: nobody waits any more
                log.debug("an answer for a closed event loop was dropped")
            return
        for pending, value, error in answers:
            future = pending.future
            if future is None or future.done():
                continue
            try:
                if error is None:
                    future.set_result(value)
                else:
                    future.set_exception(error)
            except InvalidStateError:  # cancelled just now
                pass


def _wake(answers: list[tuple[_Pending, Any, BaseException | None]]) -> None:
    """On the event loop: answer each waiting coroutine (one that gave up is skipped)."""
    for pending, value, error in answers:
        waiter = pending.waiter
        if waiter is None or waiter.done():
            continue
        if error is None:
            waiter.set_result(value)
        else:
            waiter.set_exception(error)


class Writer:
    """The single write path: a thread that group-commits jobs handed to it."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._queue: queue.Queue[_Pending | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self.commits = 0
        self.jobs = 0
        # Batches or jobs refused by the storage (disk full, I/O error), and how many of them a
        # health probe as large as a real write has outlived since (see ``/healthz``).
        self.storage_failures = 0
        self.storage_recovered = 0

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="hub-writer", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=30)
            self._thread = None

    def submit(self, job: Job[T]) -> Future[T]:
        if self._thread is None:
            raise StorageUnavailable("the writer is not running")
        future: Future[T] = Future()
        self._queue.put(_Pending(job, future=future))
        return future

    def run_sync(self, job: Job[T], timeout: float = 60) -> T:
        """Run ``job`` and wait for its commit (for threads and the CLI)."""
        return self.submit(job).result(timeout=timeout)

    async def run(self, job: Job[T]) -> T:
        """Run ``job`` and await its commit (for async code)."""
        if self._thread is None:
            raise StorageUnavailable("the writer is not running")
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[T] = loop.create_future()
        self._queue.put(_Pending(job, loop=loop, waiter=waiter))
        return await waiter

    def _loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < MAX_BATCH:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                batch.append(nxt)
            self._commit_batch(batch)
            if stop:
                return

    def _commit_batch(self, batch: list[_Pending]) -> None:
        """Fast path: all jobs in one transaction. When that fails for any reason but the
        storage itself, redo the batch with a SAVEPOINT per job so that only a failing job is
        lost; when even that commit fails (a constraint checked at commit), run each job alone
        (jobs must be re-runnable). When the storage fails, nobody in the batch is saved."""
        try:
            self._resolve(self._run_batch(batch, isolate=False))
            return
        except Exception as exc:
            if _is_storage_failure(exc):
                self._fail(batch, exc)
                return
        try:
            self._resolve(self._run_batch(batch, isolate=True))
            return
        except Exception as exc:
            if _is_storage_failure(exc):
                self._fail(batch, exc)
                return
            log.warning("commit of %d jobs failed, running each alone: %s", len(batch), exc)
        for pending in batch:
            if pending.done:  # failed in the isolated pass already
                continue
            try:
                self._resolve(self._run_batch([pending], isolate=True))
            except Exception as exc:
                if _is_storage_failure(exc):
                    self._fail(batch, exc)
                    return
                pending.fail(_convert(exc))

    def _resolve(self, results: list[tuple[_Pending, Any]]) -> None:
        self.commits += 1
        self.jobs += len(results)
        by_loop: dict[int, list[tuple[_Pending, Any, BaseException | None]]] = {}
        for pending, value in results:
            pending.done = True
            if pending.loop is None:
                pending.loop_or_thread([(pending, value, None)])
            else:
                by_loop.setdefault(id(pending.loop), []).append((pending, value, None))
        for answers in by_loop.values():
            answers[0][0].loop_or_thread(answers)
        for pending, _value in results:
            for callback in pending.callbacks:
                try:
                    callback()
                except Exception:
                    log.exception("after-commit callback failed")

    def _run_batch(self, batch: list[_Pending], *, isolate: bool) -> list[tuple[_Pending, Any]]:
        results: list[tuple[_Pending, Any]] = []
        hooks = tuple(_COMMIT_HOOKS)
        with Session(self._engine, expire_on_commit=False) as session:
            for pending in batch:
                if pending.done or pending.abandoned:  # failed in the isolated pass already
                    continue
                session.info["after_commit"] = []
                if not isolate:
                    try:
                        value = pending.job(session)
                    except Exception as exc:
                        raise _JobFailed from exc
                    pending.callbacks = session.info["after_commit"]
                    results.append((pending, value))
                    continue
                # What the hooks collected for earlier jobs is not written yet: a rolled back
                # job gives its part back, and the next job goes on from the earlier jobs'.
                marks = [hook.mark(session) for hook in hooks]
                savepoint = session.begin_nested()
                try:
                    value = pending.job(session)
                    session.flush()
                    savepoint.commit()
                except Exception as exc:  # the job's own error: only its savepoint goes
                    savepoint.rollback()
                    for hook, mark in zip(hooks, marks, strict=True):
                        hook.undo(session, mark)
                    pending.fail(self._convert(exc))
                    continue
                pending.callbacks = session.info["after_commit"]
                results.append((pending, value))
            for hook in hooks:
                hook.before_commit(session)
            _commit(session)
        return results

    def _fail(self, batch: list[_Pending], exc: Exception) -> None:
        """The storage failed: nobody in the batch (not failed already) is saved."""
        log.error("commit of %d jobs failed: %s", len(batch), exc)
        error = self._convert(exc)
        for pending in batch:
            if not pending.done:
                pending.fail(error)

    def _convert(self, exc: Exception) -> Exception:
        error = _convert(exc)
        if isinstance(error, StorageUnavailable):
            self.storage_failures += 1
        return error

    @property
    def storage_failing(self) -> bool:
        """The storage refused a write, and no write as large has reached the disk since."""
        return self.storage_failures > self.storage_recovered


class _JobFailed(Exception):
    pass


def _commit(session: Session) -> None:
    """Commit; when the COMMIT itself fails (a deferred constraint), SQLite keeps the
    transaction open and SQLAlchemy hands the connection back without a rollback: roll it
    back here, or the next batch fails with "cannot start a transaction within a transaction"."""
    raw = session.connection().connection.dbapi_connection
    try:
        session.commit()
    except Exception:
        if raw is not None:
            raw.rollback()
        raise


def _convert(exc: Exception) -> Exception:
    if isinstance(exc, OperationalError | DBAPIError) and not _is_constraint(exc):
        return StorageUnavailable(f"database unavailable: {exc.orig}")
    return exc


def _is_storage_failure(exc: Exception) -> bool:
    """The database could not be reached or written (disk full, locked, gone): running the
    jobs one by one would not help and would only hold every caller longer."""
    return not isinstance(exc, _JobFailed) and isinstance(_convert(exc), StorageUnavailable)


def _is_constraint(exc: DBAPIError) -> bool:
    return "constraint" in str(exc.orig).lower()


class Database:
    """Engines for reading and the writer, for one database URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.write_engine = make_engine(url, writer=True)
        self.read_engine = make_engine(url, writer=False) if url.startswith("sqlite") else self.write_engine
        self.writer = Writer(self.write_engine)

    @contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self.read_engine) as session:
            try:
                yield session
            except OperationalError as exc:
                raise StorageUnavailable(f"database unavailable: {exc.orig}") from exc

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A plain read connection, for Core reads on a hot path (no ORM session to set up)."""
        with self.read_engine.connect() as conn:
            try:
                yield conn
            except OperationalError as exc:
                raise StorageUnavailable(f"database unavailable: {exc.orig}") from exc

    def start(self) -> None:
        self.writer.start()

    def close(self) -> None:
        self.writer.stop()
        self.write_engine.dispose()
        self.read_engine.dispose()
