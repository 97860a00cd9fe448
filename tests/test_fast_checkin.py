"""The check-in's fast path answers exactly as FastAPI's route does, over real HTTP.

Two hubs side by side, one as shipped (the guard hands a check-in to ``hub.web.fast_checkin``)
and one whose fast path gives every request back to FastAPI. The same requests go to both, in
the same order; the answers are compared whole: status, headers (but the date), body (with the
stored row's own id and time set aside). The shipped hub's fast path is watched, so the test
knows which requests it answered itself: a fast path that never answered would fail here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import func, select

import hub.app
from hub.config import load_settings
from hub.errors import StorageUnavailable
from hub.models import CheckIn, OutboxEvent
from hub.services import submissions
from hub.web.fast_checkin import FastCheckIn
from hub.web.security import BodyReplay, Scope, Send
from tests.admin.conftest import make_token
from tests.conftest import LiveServer

OK = {"address": "Kerkstraat 5", "status": "ok", "people": 2}
HOUSEHOLD = {
    "address": "Molenweg 2",
    "special_attention": ["no_phone"],
    "consent": {"given_by": "zoon", "share_upstream": False},
}


Pair = tuple[LiveServer, LiveServer, list[bool]]  # shipped, framework only, what the fast path did


class Watched(FastCheckIn):
    answered: list[bool]

    async def answer(self, scope: Scope, receive: BodyReplay, send: Send) -> bool:
        done = await super().answer(scope, receive, send)
        self.answered.append(done)
        return done


class Never(FastCheckIn):
    async def answer(self, scope: Scope, receive: BodyReplay, send: Send) -> bool:
        return False


def serve(tmp_path: Path, name: str, fast: type[FastCheckIn], monkeypatch: pytest.MonkeyPatch) -> LiveServer:
    settings = load_settings(
        data_dir=tmp_path / name, rate_limit=30, secret_key="test-secret-key-0123456789-abcdefghijklmnop"
    )
    with monkeypatch.context() as patch:
        patch.setattr(hub.app, "FastCheckIn", fast)
        return LiveServer(settings)


@pytest.fixture
def pair(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pair]:
    answered: list[bool] = []
    monkeypatch.setattr(Watched, "answered", answered, raising=False)
    with (
        serve(tmp_path, "fast", Watched, monkeypatch) as fast,
        serve(tmp_path, "framework", Never, monkeypatch) as framework,
    ):
        yield fast, framework, answered


def normal(response: httpx.Response) -> tuple[int, list[tuple[str, str]], Any]:
    """The whole answer, but the date and the stored row's own id and time."""
    headers = [(k, v) for k, v in response.headers.multi_items() if k not in ("date", "content-length")]
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    if isinstance(body, dict):
        body = {k: ("…" if k in ("id", "created_at") else v) for k, v in body.items()}
    return response.status_code, headers, body


Headers = dict[str, str] | list[tuple[str, str]]


def both(
    servers: tuple[LiveServer, LiveServer], content: bytes, headers: Headers
) -> tuple[httpx.Response, httpx.Response]:
    answers = []
    for server in servers:
        with server.client() as http:
            answers.append(http.post("/api/v1/checkins", content=content, headers=headers))
    fast, framework = answers
    assert normal(fast) == normal(framework), (content, headers)
    if fast.status_code == 201:  # the same bytes for the same row: only id and time differ
        assert len(fast.content) == len(framework.content)
    return fast, framework


JSON = {"content-type": "application/json"}


def test_every_answer_is_the_frameworks_and_the_ordinary_ones_come_from_the_fast_path(
    pair: Pair,
) -> None:
    fast, framework, answered = pair
    servers = (fast, framework)
    cases: list[tuple[bytes, Headers, bool]] = [
        (json.dumps(OK).encode(), JSON, True),
        (b'{"address": " Kerkstraat  7 ", "status": "help", "note": "geen water"}', JSON, True),
        (json.dumps(OK).encode(), {"content-type": "application/json; charset=utf-8"}, True),
        (json.dumps(OK).encode(), {"content-type": "text/plain"}, False),
        (json.dumps(OK).encode(), {}, False),
        (
            json.dumps(OK).encode(),
            [("content-type", "text/plain"), ("content-type", "application/json")],
            False,
        ),
        (
            json.dumps(OK).encode(),
            [("content-type", "application/json"), ("content-type", "text/plain")],
            True,
        ),
        (b'{"address": "Kerkstraat 5", "status": "maybe"}', JSON, False),
        (b'{"address": "Kerkstraat 5", "status": "ok", "extra": 1}', JSON, False),
        (b'{"address": "Kerkstraat 5", "status": "ok", "people": "2"}', JSON, False),
        (b'{"address": "", "status": "ok"}', JSON, False),
        (b"{not json", JSON, False),
        (b"[]", JSON, False),
        (b"null", JSON, False),
        (b"\xff\xfe", JSON, False),
        (json.dumps(OK).encode(), {**JSON, "Idempotency-Key": "k" * 201}, False),
    ]
    for content, headers, by_fast_path in cases:
        answered.clear()
        both(servers, content, headers)
        assert answered == [by_fast_path], (content, headers)


def test_a_replayed_key_gives_the_first_answer_on_both_paths(
    pair: Pair,
) -> None:
    fast, framework, answered = pair
    headers = {**JSON, "Idempotency-Key": "telefoon-7"}
    first, _ = both((fast, framework), json.dumps(OK).encode(), headers)
    again, _ = both((fast, framework), json.dumps(OK).encode(), headers)
    assert again.json() == first.json()
    assert answered == [True, True]
    with fast.hub.db.read() as session:
        assert session.exec(select(func.count()).select_from(CheckIn)).one() == 1
        assert session.exec(select(func.count()).select_from(OutboxEvent)).one() == 1


def test_refusals_go_through_the_apps_own_handlers(pair: Pair, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, framework, answered = pair
    servers = (fast, framework)
    for server in servers:
        with server.client(headers={"Authorization": f"Bearer {make_token(server.hub)}"}) as bearer:
            assert bearer.post("/api/v1/admin/households", json=HOUSEHOLD).status_code == 201
    # a wrong household code: 422 on `code`, nothing stored; then the guesses run out: 429
    wrong = json.dumps({"address": "Molenweg 2", "status": "ok", "code": "AAAAAA"}).encode()
    statuses = [both(servers, wrong, JSON)[0].status_code for _ in range(6)]
    assert statuses[0] == 422 and statuses[-1] == 429, statuses
    # storage down: the 503 the app's handler gives, with its Retry-After
    real = submissions.check_in

    async def down(*args: Any, **kwargs: Any) -> Any:
        raise StorageUnavailable("disk full")

    monkeypatch.setattr(submissions, "check_in", down)
    broken, _ = both(servers, json.dumps({**OK, "address": "Kerkstraat 9"}).encode(), JSON)
    assert (broken.status_code, broken.headers["retry-after"]) == (503, "30")

    async def bug(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug nobody handles")

    monkeypatch.setattr(submissions, "check_in", bug)
    crashed, _ = both(servers, json.dumps({**OK, "address": "Kerkstraat 9"}).encode(), JSON)
    assert crashed.status_code == 500 and "Nothing was changed" in crashed.text
    monkeypatch.setattr(submissions, "check_in", real)
    # the rate limit (30 a minute here): the 429 with its Retry-After, on both paths alike
    limited = [both(servers, json.dumps(OK).encode(), JSON)[0] for _ in range(30)]
    assert limited[-1].status_code == 429 and limited[-1].headers["retry-after"] == "60"
    assert True in answered


def test_the_fast_path_is_counted_and_timed_as_the_route(
    pair: Pair,
) -> None:
    fast, _, answered = pair
    with fast.client() as http:
        assert http.post("/api/v1/checkins", json=OK).status_code == 201
        assert http.put("/api/v1/checkins", json=OK).status_code == 405
        metrics = http.get("/metrics").text
    assert answered == [True]
    line = next(
        line
        for line in metrics.splitlines()
        if line.startswith("hub_http_request_duration_seconds_count")
        and 'route="/api/v1/checkins"' in line
        and 'method="POST"' in line
    )
    assert 'status="2xx"' in line and line.endswith(" 1.0"), line
