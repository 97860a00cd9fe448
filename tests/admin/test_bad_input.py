"""Bad input gets a clear 4xx naming what to fix, and changes nothing; never a 500.

Each case is one a hostile or careless caller sent and that once answered 500 (or was stored
silently wrong): empty ids, dates without a time zone or beyond the year 9999, cursors that are
not a row number, ``²`` and ``true`` as numbers, a key whose record was deleted.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlmodel import SQLModel, func, select

from hub.models import Announcement, AuditEntry, CheckIn, Household, OutboxEvent, Task
from tests.admin.conftest import Admin
from tests.conftest import LiveServer

HOUSEHOLD = {
    "address": "Kerkstraat 5",
    "special_attention": ["alone_75plus"],
    "consent": {"given_by": "mevr. J", "share_upstream": False},
}
TASK = {"kind": "check", "address": "Kerkstraat 1"}
ANNOUNCEMENT = {"title": "Water", "body": "Kook water."}


def count(live: LiveServer, model: type[SQLModel]) -> int:
    with live.hub.db.read() as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def stored(live: LiveServer) -> tuple[int, ...]:
    return tuple(count(live, m) for m in (CheckIn, Household, Task, Announcement, OutboxEvent, AuditEntry))


JSON_CASES = [
    ("/api/v1/admin/households", {**HOUSEHOLD, "buddy_volunteer_id": ""}, "buddy_volunteer_id"),
    ("/api/v1/admin/households", {**HOUSEHOLD, "people": True}, "people"),
    ("/api/v1/admin/households", {**HOUSEHOLD, "people": "3"}, "people"),
    ("/api/v1/admin/tasks", {**TASK, "need_id": ""}, "need_id"),
    ("/api/v1/admin/tasks", {**TASK, "household_id": ""}, "household_id"),
    ("/api/v1/admin/tasks", {**TASK, "volunteer_id": ""}, "volunteer_id"),
    ("/api/v1/admin/announcements", {**ANNOUNCEMENT, "expires_at": "2030-01-01T12:00:00"}, "expires_at"),
    (
        "/api/v1/admin/announcements",
        {**ANNOUNCEMENT, "expires_at": "9999-12-31T23:59:59-23:59"},
        "expires_at",
    ),
    (
        "/api/v1/admin/announcements",
        {**ANNOUNCEMENT, "expires_at": "0001-01-01T00:00:00+01:00"},
        "expires_at",
    ),
    ("/api/v1/checkins", {"address": "Kerkstraat 5", "status": "ok", "people": True}, "people"),
    ("/api/v1/checkins", {"address": "Kerkstraat 5", "status": "ok", "people": 2.5}, "people"),
]


@pytest.mark.parametrize(
    ("url", "body", "field"), JSON_CASES, ids=[f"{c[2]}={c[1][c[2]]!r}" for c in JSON_CASES]
)
def test_bad_json_gets_422_naming_the_field_and_stores_nothing(
    bearer: httpx.Client, live: LiveServer, url: str, body: dict[str, Any], field: str
) -> None:
    before = stored(live)
    response = bearer.post(url, json=body)
    assert response.status_code == 422, response.text
    assert [problem["field"] for problem in response.json()["detail"]] == [field]
    assert stored(live) == before


@pytest.mark.parametrize("cursor", ["9223372036854775808", "²", "1²", "-1", "1e3", " 1", ""])
def test_a_cursor_that_is_no_row_number_gets_422(bearer: httpx.Client, cursor: str) -> None:
    response = bearer.get("/api/v1/admin/checkins", params={"cursor": cursor})
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["field"] == "cursor"


def test_a_service_rule_answers_in_the_same_shape(bearer: httpx.Client) -> None:
    """A rule only a service can check (the need exists) names its field like the schema does."""
    response = bearer.post("/api/v1/admin/tasks", json={**TASK, "need_id": "01NOSUCHNEED"})
    assert response.status_code == 422
    assert response.json() == {
        "detail": [{"field": "need_id", "message": "no such need", "type": "value_error"}]
    }


def test_retrying_a_key_whose_record_was_deleted_gets_409_and_stores_nothing(
    bearer: httpx.Client, live: LiveServer
) -> None:
    key = {"Idempotency-Key": "retry-after-delete"}
    body = {"address": "Kerkstraat 5", "status": "help"}
    assert bearer.post("/api/v1/checkins", json=body, headers=key).status_code == 201
    household = bearer.post("/api/v1/admin/households", json=HOUSEHOLD).json()
    # deleting the household on request deletes its check-ins: the key's record is gone
    assert bearer.delete(f"/api/v1/admin/households/{household['id']}").status_code == 204
    before = stored(live)
    retry = bearer.post("/api/v1/checkins", json=body, headers=key)
    assert retry.status_code == 409, retry.text
    assert "new key" in retry.json()["detail"]
    assert stored(live) == before
    # the same submission with a new key is saved
    assert bearer.post("/api/v1/checkins", json=body, headers={"Idempotency-Key": "new"}).status_code == 201


FORM_CASES = [
    ("/admin/households", {"people": "²"}, "People: fill"),
    ("/admin/households", {"people": "-1"}, "People: fill"),
    ("/admin/households", {"people": "51"}, "People: fill"),
    ("/admin/announcements", {"expires_hours": "99999999"}, "Expires after: fill"),
    ("/admin/announcements", {"expires_hours": "²"}, "Expires after: fill"),
    ("/admin/announcements", {"expires_hours": "-5"}, "Expires after: fill"),
]
FORM_BASE = {
    "/admin/households": {
        "address": "Kerkstraat 7",
        "consent_given_by": "mevr. J",
        "special_attention": "alone_75plus",
    },
    "/admin/announcements": {"title": "Water", "body": "Kook water."},
}


@pytest.mark.parametrize(("url", "data", "error"), FORM_CASES, ids=[f"{c[0]}:{c[1]}" for c in FORM_CASES])
def test_admin_forms_show_the_form_again_with_the_error(
    admin: Admin, live: LiveServer, url: str, data: dict[str, str], error: str
) -> None:
    before = stored(live)
    response = admin.post_form(url, {**FORM_BASE[url], **data})
    assert response.status_code == 303, response.text
    assert response.headers["location"].startswith(url + "?error=")
    page = admin.http.get(response.headers["location"], headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert error in page.text
    assert stored(live) == before


def test_correcting_a_household_with_a_wrong_number_changes_nothing(
    admin: Admin, bearer: httpx.Client, live: LiveServer
) -> None:
    household = bearer.post("/api/v1/admin/households", json={**HOUSEHOLD, "people": 2}).json()
    form = {"address": "Kerkstraat 5", "special_attention": "alone_75plus", "people": "-1"}
    response = admin.post_form(f"/admin/households/{household['id']}", form)
    assert response.status_code == 303
    assert "error=" in response.headers["location"]
    with live.hub.db.read() as session:
        assert session.exec(select(Household)).one().people == 2  # not silently emptied


@pytest.mark.parametrize("people", ["²", "-1", "1.5", "٣"])
def test_portal_form_refuses_a_number_it_cannot_read(
    client: httpx.Client, live: LiveServer, people: str
) -> None:
    form = client.get("/checkin?lang=en").text
    token = form.split('name="token" value="')[1].split('"')[0]
    response = client.post(
        "/checkin?lang=en", data={"token": token, "address": "Kerkstraat 5", "status": "ok", "people": people}
    )
    assert response.status_code == 422
    assert "Fill in a number from 1 to 50" in response.text
    assert count(live, CheckIn) == 0


REFUSED_FORMS = [
    ("/admin/tasks", {"kind": "check", "address": "\x00\x01\x02"}, "(field: Address)"),
    ("/admin/volunteers", {"name": "\x00"}, "(field: Name)"),
    ("/admin/announcements", {"title": "", "body": "Kook water."}, "Check the form"),
    ("/admin/announcements", {"title": "Water", "body": "x" * 2001}, "Check the form"),
    ("/admin/households", {"address": "Kerkstraat 7", "consent_given_by": "mevr. J"}, "Check the form"),
]


@pytest.mark.parametrize(("url", "data", "error"), REFUSED_FORMS, ids=[c[2] + c[0] for c in REFUSED_FORMS])
def test_admin_forms_the_api_would_refuse_store_nothing(
    admin: Admin, live: LiveServer, url: str, data: dict[str, str], error: str
) -> None:
    before = stored(live)
    response = admin.post_form(url, data)
    assert response.status_code == 303, response.text
    assert response.headers["location"].startswith(url + "?error=")
    page = admin.http.get(response.headers["location"], headers={"Accept-Language": "en"})
    assert error in page.text
    assert stored(live) == before


def test_a_form_without_its_csrf_token_is_refused_before_its_fields_are_read(admin: Admin) -> None:
    response = admin.http.post("/admin/announcements", data={"title": ""})
    assert response.status_code == 403


def test_a_portal_form_sent_again_after_its_record_was_deleted_gets_a_fresh_form(
    client: httpx.Client, bearer: httpx.Client, live: LiveServer
) -> None:
    form = client.get("/checkin?lang=en").text
    token = form.split('name="token" value="')[1].split('"')[0]
    data = {"token": token, "address": "Kerkstraat 5", "status": "ok"}
    assert client.post("/checkin?lang=en", data=data).status_code == 303
    household = bearer.post("/api/v1/admin/households", json=HOUSEHOLD).json()
    assert bearer.delete(f"/api/v1/admin/households/{household['id']}").status_code == 204
    before = stored(live)
    again = client.post("/checkin?lang=en", data=data)
    assert again.status_code == 409
    assert f'value="{token}"' not in again.text  # a new token: pressing Send again saves it
    assert stored(live) == before
