"""Over real HTTP: poisoned requests do not fail the innocent ones group-committed with them."""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter

import httpx

from hub.config import Settings
from tests.admin.conftest import make_token
from tests.conftest import LiveServer

RESIDENTS = 32
CHECKINS_EACH = 12


def test_poisoned_requests_fail_alone_under_load(live: LiveServer, settings: Settings) -> None:
    token = make_token(live.hub)
    with live.client() as http:
        need = http.post(
            "/api/v1/needs",
            json={"address": "Kerkstraat 9", "category": "water", "description": "geen water"},
            headers={"Idempotency-Key": "need-key-1"},
        )
        assert need.status_code == 201
    innocent: Counter[int] = Counter()
    guilty: Counter[int] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(RESIDENTS + 4 + 2)

    def resident(n: int) -> None:
        with httpx.Client(base_url=live.url, timeout=10) as http:
            start.wait(10)
            for i in range(CHECKINS_EACH):
                body = {"address": f"Dorpsstraat {n}-{i}", "status": "ok"}
                code = http.post("/api/v1/checkins", json=body).status_code
                with lock:
                    innocent[code] += 1

    def key_reuser() -> None:
        with httpx.Client(base_url=live.url, timeout=10) as http:
            start.wait(10)
            for _ in range(CHECKINS_EACH):
                body = {"address": "Kerkstraat 9", "status": "ok"}
                code = http.post(
                    "/api/v1/checkins", json=body, headers={"Idempotency-Key": "need-key-1"}
                ).status_code
                with lock:
                    guilty[code] += 1

    def poisoner() -> None:
        household = {
            "address": "Molenweg 2",
            "special_attention": ["mobility"],
            "consent": {"given_by": "buurman"},
            "buddy_volunteer_id": "",
        }
        with httpx.Client(
            base_url=live.url, timeout=10, headers={"Authorization": f"Bearer {token}"}
        ) as http:
            start.wait(10)
            for _ in range(CHECKINS_EACH):
                try:
                    code = http.post("/api/v1/admin/households", json=household).status_code
                except httpx.TransportError:  # how the guilty request fails is not this test's matter
                    code = 599
                with lock:
                    guilty[code] += 1

    threads = [threading.Thread(target=resident, args=(n,)) for n in range(RESIDENTS)]
    threads += [threading.Thread(target=key_reuser) for _ in range(4)]
    threads += [threading.Thread(target=poisoner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)

    assert innocent == {201: RESIDENTS * CHECKINS_EACH}, innocent
    assert sum(guilty.values()) == 6 * CHECKINS_EACH
    assert set(guilty) <= {409, 422}, guilty  # the key reusers' 409, the empty buddy id's 422
    connection = sqlite3.connect(settings.data_dir / "hub.sqlite3")
    try:
        checkins = connection.execute("SELECT count(*) FROM checkins").fetchone()[0]
        seqs = [row[0] for row in connection.execute("SELECT seq FROM outbox ORDER BY seq")]
    finally:
        connection.close()
    assert checkins == RESIDENTS * CHECKINS_EACH
    assert seqs == list(range(1, len(seqs) + 1))
    assert len(seqs) == checkins + 1  # and the need


def test_a_key_used_for_another_kind_is_the_callers_own_409(client: httpx.Client) -> None:
    """A conflicting key is the caller's own 409, with the reason."""
    assert (
        client.post(
            "/api/v1/offers",
            json={"category": "tools", "description": "ladder"},
            headers={"Idempotency-Key": "k-2"},
        ).status_code
        == 201
    )
    answer = client.post(
        "/api/v1/checkins",
        json={"address": "Kerkstraat 1", "status": "ok"},
        headers={"Idempotency-Key": "k-2"},
    )
    assert answer.status_code == 409
