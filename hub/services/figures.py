"""The one read of the neighbourhood's figures (definitions in ``hub.domain.figures``).

Every count is an aggregate in SQL (``COUNT``, ``GROUP BY``, ``EXISTS``): no view loads the
check-ins into Python to count them. The households' figures read ``address_states`` (each
address's latest check-in, kept by triggers in the transaction that writes the check-in), not
the check-ins since the crisis began.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, func, literal_column, or_
from sqlmodel import Session, col, select

from hub.domain.addresses import address_key
from hub.domain.figures import Figures
from hub.domain.task_states import ON_HAND, UNFINISHED, TaskStatus, statuses
from hub.models import AddressState, CheckIn, Household, Need, Task, Volunteer
from hub.models.base import utcnow
from hub.services.state import is_drill, mode_since
from hub.services.volunteers import UNHEARD_AFTER

# The upstream event that carries ``Figures.summary()`` (hourly, with the mesh summary).
FIGURES_EVENT = "figures.summary"


def current_figures(session: Session, now: datetime | None = None) -> Figures:
    """The figures every view shows: since the current mode began, drill or real as the mode is."""
    return neighbourhood_figures(session, mode_since(session), drill=is_drill(session), now=now)


def neighbourhood_figures(
    session: Session, since: datetime | None, *, drill: bool, now: datetime | None = None
) -> Figures:
    """The figures of the drill's records (``drill=True``) or the real ones, since ``since``."""
    ok, helps = _households(session, since, drill)
    by_urgency: dict[str, int] = {}
    by_category: dict[str, int] = {}
    for urgency, category, n in session.exec(
        select(Need.urgency, Need.category, func.count())
        .where(col(Need.status) == "open", col(Need.drill) == drill)
        .group_by(col(Need.urgency), col(Need.category))
    ).all():
        by_urgency[urgency] = by_urgency.get(urgency, 0) + int(n)
        by_category[category] = by_category.get(category, 0) + int(n)
    registered = select(func.count()).select_from(Household)
    if not drill:  # a drill practises on the real register too; drill households never count as real
        registered = registered.where(col(Household.drill).is_(False))
    reached = registered.where(_reached(session, since, drill))
    tasks_open = (
        select(func.count())
        .select_from(Task)
        .where(col(Task.status).in_(statuses(UNFINISHED)), col(Task.drill) == drill)
    )
    return Figures(
        since=since,
        drill=drill,
        households_ok=ok,
        households_help=helps,
        open_needs_by_urgency=by_urgency,
        open_needs_by_category=by_category,
        special_attention_registered=int(session.exec(registered).one()),
        special_attention_reached=int(session.exec(reached).one()),
        volunteers_available=_volunteers_available(session, now or utcnow()),
        tasks_open=int(session.exec(tasks_open).one()),
    )


def reached_households(session: Session, since: datetime | None, *, drill: bool) -> set[str]:
    """Ids of the special-attention households reached since ``since`` (the door-knock list's rule)."""
    return set(session.exec(select(Household.id).where(_reached(session, since, drill))).all())


def _latest_states(since: datetime | None, drill: bool) -> list[ColumnElement[bool]]:
    """The condition on ``address_states``: an address whose latest check-in (drill or real) is
    since ``since``, i.e. the latest of its check-ins since then (check-ins are numbered in the
    order of their time, so the latest since a moment is the latest of all when it is after it).
    One row per address: the cost follows the addresses, not the check-ins."""
    where = [col(AddressState.drill) == drill]
    if since is not None:
        where.append(col(AddressState.created_at) >= since)
    return where


def latest_statuses(session: Session, since: datetime | None, *, drill: bool) -> dict[str, str]:
    """Each address's (``address_key``) latest check-in status since ``since``: the household's
    status by the rules of ``hub.domain.figures`` (coverage per street counts these)."""
    rows = session.exec(
        select(AddressState.address_key, AddressState.status).where(*_latest_states(since, drill))
    )
    return dict(rows.all())


def current_statuses(session: Session) -> dict[str, str]:
    """:func:`latest_statuses` since the current mode began, drill or real as the mode is."""
    return latest_statuses(session, mode_since(session), drill=is_drill(session))


def _households(session: Session, since: datetime | None, drill: bool) -> tuple[int, int]:
    """Addresses whose latest check-in since ``since`` says OK, and those whose latest says help."""
    counts = dict(
        session.exec(
            select(AddressState.status, func.count())
            .where(*_latest_states(since, drill))
            .group_by(col(AddressState.status))
        ).all()
    )
    return int(counts.get("ok", 0)), int(counts.get("help", 0))


def _reached(session: Session, since: datetime | None, drill: bool) -> ColumnElement[bool]:
    """The condition on a household: reached since ``since`` (a verified check-in at its address,
    or a task for it done)."""
    # Two EXISTS, one per way a check-in names its household, so that each is a search in its
    # own index ((household_id, verified, created_at) and (address_key, ...)). ``+drill`` keeps
    # SQLite from choosing the (drill, created_at) index instead: a scan of every check-in
    # since the crisis began, for every household (0.6 s a view with 100k check-ins).
    unindexed_drill: ColumnElement[bool] = literal_column(f"+{CheckIn.__tablename__}.drill")
    verified = [col(CheckIn.verified).is_(True), unindexed_drill == drill]
    done = [
        col(Task.status) == TaskStatus.DONE.value,
        col(Task.drill) == drill,
        col(Task.done_at).is_not(None),
    ]
    if since is not None:
        verified.append(col(CheckIn.created_at) >= since)
        done.append(col(Task.done_at) >= since)
    # A done task at a free address reaches the household living there: few rows, keyed here.
    free = select(Task.address).where(*done, col(Task.household_id).is_(None)).distinct()
    keys = {address_key(address) for address in session.exec(free).all()}
    return or_(
        exists().where(and_(*verified, col(CheckIn.household_id) == col(Household.id))),
        exists().where(and_(*verified, col(CheckIn.address_key) == col(Household.address_key))),
        exists().where(and_(*done, col(Task.household_id) == col(Household.id))),
        col(Household.address_key).in_(keys),
    )


def _volunteers_available(session: Session, now: datetime) -> int:
    """Willing, heard lately when they carry a handset, and no task in hand."""
    in_hand = exists().where(
        col(Task.volunteer_id) == col(Volunteer.id), col(Task.status).in_(statuses(ON_HAND))
    )
    query = (
        select(func.count())
        .select_from(Volunteer)
        .where(
            col(Volunteer.available).is_(True),
            or_(col(Volunteer.node_id).is_(None), col(Volunteer.last_heard_at) >= now - UNHEARD_AFTER),
            ~in_hand,
        )
    )
    return int(session.exec(query).one())


def households_not_heard(session: Session, since: datetime | None, *, drill: bool) -> int:
    """Registered households whose address has not checked in (OK or help) since ``since``: the
    region summary's "not heard from"."""
    heard = select(AddressState.address_key).where(*_latest_states(since, drill))
    query = select(func.count()).select_from(Household).where(col(Household.address_key).not_in(heard))
    if not drill:
        query = query.where(col(Household.drill).is_(False))
    return int(session.exec(query).one())


def open_needs_by_category_urgency(session: Session, *, drill: bool) -> dict[tuple[str, str], int]:
    """Open needs counted by (category, urgency): the region summary's largest counts."""
    rows = session.exec(
        select(Need.category, Need.urgency, func.count())
        .where(col(Need.status) == "open", col(Need.drill) == drill)
        .group_by(col(Need.category), col(Need.urgency))
    ).all()
    return {(category, urgency): int(n) for category, urgency, n in rows}
