"""Shared column helpers.

Records carry two identities: ``pk``, a local integer that gives insertion order (the
wall clock of a Pi without RTC cannot be trusted for order), and ``id``, a ULID that stays
the same wherever the record travels (upstream, federation, exports).
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict
from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel
from ulid import ULID

from hub.domain.clock import as_utc, utcnow

# The clock helpers live in hub.domain.clock; the models and services keep importing them here.
__all__ = ["Table", "as_utc", "id_field", "json_field", "new_id", "pk_field", "utcnow"]


class Table(SQLModel):
    """The base of every table: its pydantic validator is built when it is first used, not when
    the table is defined. ``hub serve`` imports every table before its first answer; building
    the 31 validators then was 12 ms of CPU, and most of them are not needed at the start."""

    # Merged with SQLModel's own configuration (whose type sqlmodel does not export).
    model_config = ConfigDict(defer_build=True)  # type: ignore[assignment]


def new_id() -> str:
    return str(ULID())


def pk_field() -> Any:
    return Field(default=None, primary_key=True)


def id_field() -> Any:
    return Field(default_factory=new_id, unique=True, index=True, max_length=26)


def json_field(default_factory: Any) -> Any:
    return Field(default_factory=default_factory, sa_column=Column(JSON, nullable=False))
