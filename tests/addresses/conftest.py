"""The admin's fixtures for the address pages' tests."""

from __future__ import annotations

from tests.admin.conftest import admin  # noqa: F401 (fixture)
