"""The plain copies the admin gets (``hub.services.record_views``) carry every column of their table.

A column added to a table but not to its view is silently dropped between the services and the
admin (a task's ``note_on_air`` was); this finds it. Only what the admin must never see is left out.
"""

from __future__ import annotations

import inspect

import pytest
from sqlmodel import SQLModel

import hub.models as models
from hub.services import record_views

# Columns a view leaves out on purpose.
LEFT_OUT = {"UserView": {"password_hash"}}

VIEWS = [
    view
    for name, view in inspect.getmembers(record_views, inspect.isclass)
    if issubclass(view, record_views._View) and view is not record_views._View
]


def table_of(view: type) -> type[SQLModel]:
    table = getattr(models, view.__name__.removesuffix("View"))
    assert issubclass(table, SQLModel)
    return table


@pytest.mark.parametrize("view", VIEWS, ids=lambda v: v.__name__)
def test_a_view_copies_every_column_of_its_table(view: type[record_views._View]) -> None:
    columns = {column.name for column in table_of(view).__table__.columns}  # type: ignore[attr-defined]
    missing = columns - set(view.model_fields) - LEFT_OUT.get(view.__name__, set())
    assert not missing, f"{view.__name__} drops {sorted(missing)}"


def test_a_view_leaves_out_what_the_admin_must_not_see() -> None:
    assert "password_hash" not in record_views.UserView.model_fields
