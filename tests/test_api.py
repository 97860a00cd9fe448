"""The resident JSON API through real HTTP."""

from __future__ import annotations

import concurrent.futures
from pathlib import Path

import httpx
from sqlmodel import func, select

from hub.config import load_settings
from hub.models import CheckIn, OutboxEvent
from tests.conftest import LiveServer


def test_checkin_is_stored_with_its_outbox_event(client: httpx.Client, live: LiveServer) -> None:
    response = client.post(
        "/api/v1/checkins", json={"address": " Kerkstraat  5 ", "status": "ok", "people": 2}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["address"] == "Kerkstraat 5"
    with live.hub.db.read() as session:
        checkin = session.exec(select(CheckIn).where(CheckIn.id == body["id"])).one()
        event = session.exec(select(OutboxEvent).where(OutboxEvent.type == "checkin.created")).one()
    assert checkin.people == 2
    assert event.data["id"] == body["id"]
    assert event.seq == 1


def test_bad_input_names_the_field_and_stores_nothing(client: httpx.Client, live: LiveServer) -> None:
    cases = [
        ({"address": "Kerkstraat 5", "status": "maybe"}, "status"),
        ({"address": "", "status": "ok"}, "address"),
        ({"address": "Kerkstraat 5", "status": "ok", "people": -1}, "people"),
        ({"address": "Kerkstraat 5", "status": "ok", "extra": 1}, "extra"),
    ]
    for body, field in cases:
        response = client.post("/api/v1/checkins", json=body)
        assert response.status_code == 422, body
        assert field in {error["field"] for error in response.json()["detail"]}
    for raw in (b"{not json", b"[]", b"null", b"\xff\xfe"):
        response = client.post("/api/v1/checkins", content=raw, headers={"content-type": "application/json"})
        assert response.status_code == 422
    with live.hub.db.read() as session:
        assert session.exec(select(func.count()).select_from(CheckIn)).one() == 0
        assert session.exec(select(func.count()).select_from(OutboxEvent)).one() == 0


def test_a_too_long_idempotency_key_is_refused_and_stores_nothing(
    client: httpx.Client, live: LiveServer
) -> None:
    body = {"address": "Kerkstraat 5", "status": "ok"}
    response = client.post("/api/v1/checkins", json=body, headers={"Idempotency-Key": "k" * 201})
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "field": "Idempotency-Key",
            "message": "String should have at most 200 characters",
            "type": "string_too_long",
        }
    ]
    with live.hub.db.read() as session:
        assert session.exec(select(func.count()).select_from(CheckIn)).one() == 0
    longest = {"Idempotency-Key": "k" * 200}
    first = client.post("/api/v1/checkins", json=body, headers=longest)
    again = client.post("/api/v1/checkins", json=body, headers=longest)
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["id"] == again.json()["id"]


def test_oversized_body_is_refused(client: httpx.Client) -> None:
    response = client.post(
        "/api/v1/needs",
        json={
            "address": "Kerkstraat 5",
            "category": "water",
            "urgency": "normal",
            "description": "x" * 20_000,
        },
    )
    assert response.status_code == 413


def test_life_threatening_need_says_call_112(client: httpx.Client) -> None:
    response = client.post(
        "/api/v1/needs",
        json={
            "address": "Dorpsstraat 21",
            "category": "medical_device",
            "urgency": "life",
            "description": "zuurstof",
        },
    )
    assert response.status_code == 201
    assert response.json()["call_112"] is True


def test_same_idempotency_key_concurrently_makes_one_row(client: httpx.Client, live: LiveServer) -> None:
    def submit(_: int) -> httpx.Response:
        with live.client() as http:
            return http.post(
                "/api/v1/checkins",
                json={"address": "Molenweg 2", "status": "help"},
                headers={"Idempotency-Key": "same-key-1"},
            )

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        responses = list(pool.map(submit, range(32)))
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    with live.hub.db.read() as session:
        assert session.exec(select(func.count()).select_from(CheckIn)).one() == 1
        assert session.exec(select(func.count()).select_from(OutboxEvent)).one() == 1


def test_status_and_announcements_are_public(client: httpx.Client) -> None:
    status = client.get("/api/v1/status").json()
    assert status["hub_id"] == "buurtbaken-1"
    assert status["mode"] == "normal"
    assert client.get("/api/v1/announcements").json() == []


def test_security_headers_and_no_docs(client: httpx.Client) -> None:
    response = client.get("/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert client.get("/docs").status_code == 404
    assert client.get("/openapi.json").status_code == 200


def test_streamed_oversized_body_is_refused(client: httpx.Client) -> None:
    def chunks():  # no Content-Length: the body arrives in pieces
        for _ in range(40):
            yield b"x" * 1024

    response = client.post("/api/v1/checkins", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_too_many_submissions_get_a_plain_429(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, rate_limit=2)
    with LiveServer(settings) as live, live.client() as http:
        answers = [
            http.post("/api/v1/checkins", json={"address": f"Molenweg {n}", "status": "ok"}) for n in range(3)
        ]
        assert [a.status_code for a in answers] == [201, 201, 429]
        assert "Wait a minute" in answers[2].json()["detail"]
        with live.hub.db.read() as session:
            assert session.exec(select(func.count()).select_from(CheckIn)).one() == 2
