"""The neighbourhood status board: counts only, never a name or an address."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import distinct, func
from sqlmodel import Session, col, select

from hub.models import CheckIn, Need
from hub.services.state import is_drill


@dataclass(frozen=True)
class StatusBoard:
    households_checked_in: int
    open_needs: dict[str, int] = field(default_factory=dict)

    @property
    def open_needs_total(self) -> int:
        return sum(self.open_needs.values())


def start_of_today(now: datetime | None = None) -> datetime:
    """Midnight in the hub's local time zone (the system's), in UTC."""
    local = (now or datetime.now(UTC)).astimezone()
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.astimezone(UTC)


def status_board(session: Session, now: datetime | None = None) -> StatusBoard:
    """Households checked in since midnight, open needs by category (drill data only in a drill)."""
    drill = is_drill(session)
    checked_in = session.exec(
        select(func.count(distinct(col(CheckIn.address_key)))).where(
            col(CheckIn.created_at) >= start_of_today(now), col(CheckIn.drill) == drill
        )
    ).one()
    rows = session.exec(
        select(Need.category, func.count())
        .where(col(Need.status) == "open", col(Need.drill) == drill)
        .group_by(col(Need.category))
    ).all()
    return StatusBoard(households_checked_in=int(checked_in), open_needs={cat: int(n) for cat, n in rows})
