"""A live hub with the sample address register, and a coordinator logged in over HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hub.services import address_register
from tests.admin.conftest import Admin, login, make_user
from tests.conftest import LiveServer

SAMPLE = Path(__file__).parents[2] / "hub" / "data" / "sample-addresses.csv"
TOKEN = re.compile(r'name="token" value="([^"]+)"')


@pytest.fixture
def registered(live: LiveServer) -> LiveServer:
    address_register.import_file(live.hub.store, SAMPLE.read_bytes(), actor="test")
    return live


@pytest.fixture
def coordinator(registered: LiveServer) -> Iterator[Admin]:
    make_user(registered.hub, "coord")
    with registered.client() as http:
        assert login(http, "coord").status_code == 303
        yield Admin(http)


def token(client: httpx.Client, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text[:300]
    found = TOKEN.search(page.text)
    assert found, "the form has no token"
    return found[1]
