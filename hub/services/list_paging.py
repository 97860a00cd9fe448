"""Searching and paging the coordinators' lists (``hub.services.admin_lists``).

A search (``?q=``) matches a record when the typed text is in its address, compared by
:func:`~hub.domain.addresses.address_key` ("Kerkstraat 5a", "kerkstraat 5 A" and "5-A" find the
same door), or in one of its names and texts, without regard to case. Every list pages by a
keyset: ``before`` is the last row of the page before (the first row not to show again), so a
page is an index search from that row on, however many rows the table holds and whatever the
search and the filters are. A list ordered in groups (open needs by urgency, unfinished tasks by
what needs a person first) pages through its groups in turn; a list in an order of its own
(volunteers by name, households in walking order) pages on that order's column and the ``pk``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, String, and_, cast, false, or_
from sqlmodel import Session, SQLModel, col, select

from hub.domain.addresses import address_key, clean_address

M = TypeVar("M", bound=SQLModel)
T = TypeVar("T")

# What a search box takes: more than this is not a search but a paste.
MAX_QUERY = 80


@dataclass(frozen=True)
class Paged(Generic[T]):
    """One page of a list: its rows and the ``before`` of the next page (``None``: the last)."""

    rows: list[T]
    older: int | None


def search_text(q: str | None) -> str:
    """The typed search, trimmed (``""``: no search)."""
    return clean_address(q or "")[:MAX_QUERY]


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def contains(column: Any, text: str) -> ColumnElement[bool]:
    """``text`` anywhere in ``column``, whatever the case (of the letters A to Z in SQLite)."""
    return col(column).ilike(_like(text), escape="\\")


def json_contains(column: Any, text: str) -> ColumnElement[bool]:
    """``text`` anywhere in a JSON column's stored text (an audit entry's details)."""
    return cast(col(column), String).ilike(_like(text), escape="\\")


def address_matches(column: Any, q: str) -> ColumnElement[bool]:
    """The stored ``address_key`` holds the typed address's key ("5 A" finds "5a")."""
    key = address_key(q)
    return contains(column, key) if key else false()


def any_of(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    return or_(*conditions)


def _pk(model: type[SQLModel]) -> Any:
    return col(model.pk)  # type: ignore[attr-defined]


def grouped_page(
    session: Session,
    model: type[M],
    groups: Sequence[ColumnElement[bool]],
    where: Sequence[ColumnElement[bool]],
    before: int | None,
    limit: int,
    *,
    oldest_first: bool = False,
) -> Paged[M]:
    """``limit`` rows of ``groups`` in turn, each newest first (``oldest_first``: oldest first).

    ``before`` is the last row shown: the page goes on from it in its group. A row that has since
    left every group (a need closed, a task done) continues from the first group's rows past it.
    """
    pk = _pk(model)
    start = 0
    if before is not None:
        start = next(
            (
                i
                for i, group in enumerate(groups)
                if session.exec(select(pk).where(pk == before, group)).first() is not None
            ),
            0,
        )
    rows: list[M] = []
    for i in range(start, len(groups)):
        query = select(model).where(groups[i], *where)
        if i == start and before is not None:
            query = query.where(pk > before if oldest_first else pk < before)
        query = query.order_by(pk.asc() if oldest_first else pk.desc()).limit(limit + 1 - len(rows))
        rows.extend(session.exec(query).all())
        if len(rows) > limit:
            break
    return _cut(rows, limit)


def ordered_page(
    session: Session,
    model: type[M],
    order: Any,
    where: Sequence[ColumnElement[bool]],
    before: int | None,
    limit: int,
) -> Paged[M]:
    """``limit`` rows by ``order`` then ``pk``, after the row ``before`` (the last row shown)."""
    pk = _pk(model)
    query = select(model).where(*where)
    if before is not None:
        last = session.exec(select(order).where(pk == before)).first()
        if last is not None:
            query = query.where(or_(col(order) > last, and_(col(order) == last, pk > before)))
    rows = list(session.exec(query.order_by(col(order), pk).limit(limit + 1)).all())
    return _cut(rows, limit)


def _cut(rows: list[M], limit: int) -> Paged[M]:
    more = len(rows) > limit
    rows = rows[:limit]
    return Paged(rows, rows[-1].pk if more and rows else None)  # type: ignore[attr-defined]
