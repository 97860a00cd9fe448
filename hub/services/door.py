"""The one door to the data: how a use case reads, and how it hands a change to the writer.

Callers outside the services (the admin pages and API) name a use case and give it the running
hub (a :class:`~hub.services.context.Door`: anything holding the hub's
:class:`~hub.services.store.Store`, the one handle on the database); the use case opens its own
read session, or hands its work to the writer as a function of a session (the writer
group-commits, one SAVEPOINT per job). Sessions and writer closures never leave ``hub.services``.

``reads`` and ``writes`` turn a function of a session into such a use case::

    assign_task = writes(assign)          # await assign_task(hub, task_id, volunteer_id, actor=...)
    open_alert_count = reads(open_count)  # open_alert_count(hub)

What a read gives back is loaded before its session closes: plain values, dataclasses, or rows
with every column read (the tables have no relationships to load later).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Concatenate, ParamSpec, TypeVar

from sqlmodel import Session

from hub.services.context import Door, HubContext

P = ParamSpec("P")
T = TypeVar("T")


def reads(fn: Callable[Concatenate[Session, P], T]) -> Callable[Concatenate[Door, P], T]:
    """A read use case: ``fn`` in a read session of its own, beside the writer."""

    def read(door: Door, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return door.store.read(lambda session: fn(session, *args, **kwargs))

    read.__doc__ = fn.__doc__
    read.__name__ = fn.__name__
    return read


def writes(
    fn: Callable[Concatenate[Session, HubContext, P], T],
) -> Callable[Concatenate[Door, P], Awaitable[T]]:
    """A write use case: ``fn`` (with the hub's context) through the writer, answered after the commit."""

    async def write(door: Door, /, *args: P.args, **kwargs: P.kwargs) -> T:
        ctx = door.store.ctx
        return await door.store.write_async(lambda session: fn(session, ctx, *args, **kwargs))

    write.__doc__ = fn.__doc__
    write.__name__ = fn.__name__
    return write


def writes_without_context(
    fn: Callable[Concatenate[Session, P], T],
) -> Callable[Concatenate[Door, P], Awaitable[T]]:
    """A write use case for a function that needs no hub context (accounts, access, the audit log)."""

    async def write(door: Door, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return await door.store.write_async(lambda session: fn(session, *args, **kwargs))

    write.__doc__ = fn.__doc__
    write.__name__ = fn.__name__
    return write
