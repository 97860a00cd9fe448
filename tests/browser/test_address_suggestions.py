"""The register's addresses on a resident's phone without JavaScript: suggestions in a
``<datalist>``, and a check-in from outside the register saved with a note, in real Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.services import address_register
from tests.browser.conftest import Visit
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

SAMPLE = Path(__file__).parents[2] / "hub" / "data" / "sample-addresses.csv"


def test_a_typo_is_saved_with_a_did_you_mean(phone_without_js: Visit, live: LiveServer) -> None:
    address_register.import_file(live.hub.store, SAMPLE.read_bytes(), actor="test")
    page = phone_without_js.page
    page.goto(f"{live.url}/checkin")
    field = page.locator("#f-address")
    assert field.get_attribute("list") == "l-address"
    assert page.locator("#l-address option").count() == 288
    field.fill("Kerkstrat 5a")
    page.locator("input[name=status][value=ok]").check()
    page.locator("form button[type=submit]").last.click()
    note = page.locator("#not-in-register")
    assert "not in the neighbourhood's address list" in note.inner_text()
    assert "Did you mean: Kerkstraat 5A, Kerkstraat 5, Kerkstraat 59?" in note.inner_text()
    phone_without_js.shoot("address-not-in-register")
    assert phone_without_js.foreign_requests() == []
