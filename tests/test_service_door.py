"""The use cases that web, mesh, sync and jobs call answer with plain values, never table rows.

A table row outside the services could load more on attribute access after its session closed,
or be changed and never saved; the import contract keeps the models out of those packages, and
this test keeps them out of what the door hands back.
"""

from __future__ import annotations

import inspect
import typing
from types import ModuleType
from typing import Any

import pytest
from sqlmodel import SQLModel

from hub.services import mesh_traffic, overview, received, scheduled, submissions

DOORS = (submissions, overview, mesh_traffic, received, scheduled)


def _types_in(annotation: Any) -> set[Any]:
    found = {annotation}
    for arg in typing.get_args(annotation):
        found |= _types_in(arg)
    return found


def _use_cases(module: ModuleType) -> list[tuple[str, Any]]:
    return [
        (name, fn)
        for name, fn in inspect.getmembers(module, inspect.isfunction)
        if fn.__module__ == module.__name__ and not name.startswith("_")
    ]


def _is_table(kind: Any) -> bool:
    return (
        inspect.isclass(kind) and issubclass(kind, SQLModel) and getattr(kind, "__table__", None) is not None
    )


@pytest.mark.parametrize("module", DOORS, ids=lambda module: module.__name__)
def test_no_use_case_answers_with_a_table_row(module: ModuleType) -> None:
    cases = _use_cases(module)
    assert cases, f"{module.__name__} has no use cases"
    for name, fn in cases:
        answer = typing.get_type_hints(fn, vars(module))["return"]
        rows = [kind.__name__ for kind in _types_in(answer) if _is_table(kind)]
        assert not rows, f"{module.__name__}.{name} answers with table rows: {rows}"


@pytest.mark.parametrize("module", DOORS, ids=lambda module: module.__name__)
def test_every_use_case_takes_the_store_not_a_session(module: ModuleType) -> None:
    for name, fn in _use_cases(module):
        hints = typing.get_type_hints(fn, vars(module))
        params = list(inspect.signature(fn).parameters)
        if params and params[0] == "store":
            assert all("Session" not in repr(hints[p]) for p in params), f"{name} takes a session"
        else:
            assert name in PURE, f"{module.__name__}.{name} does not take the store"


# Functions of the door modules that touch no storage at all.
PURE = {"summary_text"}


def test_the_check_finds_a_row() -> None:
    """The check itself sees a table model inside a container type."""
    from hub.models import CheckIn

    assert any(_is_table(kind) for kind in _types_in(list[CheckIn] | None))
    assert not any(_is_table(kind) for kind in _types_in(list[scheduled.TaskMoved] | None))
