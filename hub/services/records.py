"""One record by its ``id``, for the services that act on a task, volunteer, household, check-in, message."""

from __future__ import annotations

from typing import TypeVar

from sqlmodel import Session, select

from hub.errors import NotFound
from hub.models import Announcement, CheckIn, Household, MeshMessage, Offer, Signal, Task, Volunteer

Record = TypeVar("Record", Announcement, CheckIn, Household, MeshMessage, Offer, Signal, Task, Volunteer)


def get_by_id(session: Session, model: type[Record], record_id: str) -> Record:
    """The record with this ``id``; ``NotFound`` ("no task …") when there is none."""
    record = session.exec(select(model).where(model.id == record_id)).first()
    if record is None:
        raise NotFound(f"no {model.__name__.lower()} {record_id}")
    return record
