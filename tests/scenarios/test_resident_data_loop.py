"""Loops 7 and 8 end to end: a resident's need is closed and deleted, and the region follows.

Real parts: ``hub serve`` (uvicorn) as a process, a real Mosquitto as the region's broker and
``hub upstream`` as a process storing what arrives. A resident posts a need over HTTP; the
coordinator resolves it and then deletes it on the resident's request; a resident's call for
help becomes a task in one click. The region receives ``need.created``, ``need.status`` and
``need.deleted`` (carrying only the id), in order, confirmed; a retried submission of the deleted
need is refused and stores nothing; the export for the municipality holds none of it.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from tests.scenarios.test_power_cut import HUB_ID, HubProcess
from tests.sync.conftest import MosquittoBroker, wait_for


def _region_events(db: Path) -> list[tuple[int, str, dict[str, Any]]]:
    if not db.exists():
        return []
    with sqlite3.connect(db) as conn:
        try:
            rows = conn.execute(
                "SELECT seq, type, data FROM upstream_events WHERE hub = ? ORDER BY seq", (HUB_ID,)
            ).fetchall()
        except sqlite3.OperationalError:  # the consumer has not created its table yet
            return []
    return [(int(seq), str(kind), json.loads(data)) for seq, kind, data in rows]


def test_a_need_resolved_and_deleted_on_the_hub_is_resolved_and_deleted_in_the_region(tmp_path: Path) -> None:
    broker = MosquittoBroker(tmp_path / "broker")
    broker.start()
    region_db = tmp_path / "region.sqlite3"
    hub = HubProcess(tmp_path, "none", broker.url)
    upstream = subprocess.Popen(
        [sys.executable, "-m", "hub", "upstream", "--mqtt", broker.url, "--db", f"sqlite:///{region_db}",
         "--hubs", HUB_ID, "--client-id", "region-test", "--overview-every", "0"],
        env=hub.env,
        stdout=(tmp_path / "upstream.log").open("ab"),
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        hub.start()
        token = hub.cli("token", "create", "coordinator").strip().splitlines()[-1]
        admin = httpx.Client(base_url=hub.url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        resident = httpx.Client(base_url=hub.url, timeout=30)

        # A resident asks for help with water, from a phone that may retry.
        key = {"Idempotency-Key": "phone-7f3a-need-1"}
        body = {
            "address": "Molenweg 2",
            "category": "water",
            "urgency": "urgent",
            "description": "twee kratten",
        }
        posted = resident.post("/api/v1/needs", json=body, headers=key)
        assert posted.status_code == 201, posted.text
        need_id = posted.json()["id"]
        call = resident.post("/api/v1/checkins", json={"address": "Dorpsstraat 21", "status": "help"})
        assert call.status_code == 201

        # The coordinator handles the call for help with one click, and resolves the need.
        worklist = admin.get("/api/v1/admin/worklist").json()["items"]
        assert [c["id"] for c in worklist] == [call.json()["id"]]
        task = admin.post(f"/api/v1/admin/checkins/{call.json()['id']}/task", json={})
        assert task.status_code == 201 and task.json()["address"] == "Dorpsstraat 21"
        assert admin.get("/api/v1/admin/worklist").json()["items"] == []
        resolved = admin.post(f"/api/v1/admin/needs/{need_id}/status", json={"status": "resolved"})
        assert resolved.status_code == 200, resolved.text
        assert (
            admin.post(f"/api/v1/admin/needs/{need_id}/status", json={"status": "duplicate"}).status_code
            == 422
        )

        def region_has(event_type: str) -> bool:
            return any(kind == event_type for _, kind, _ in _region_events(region_db))

        wait_for(lambda: region_has("need.status"), 60, "need.status in the region")

        # The resident asks for their data to be deleted; their phone then retries the old post.
        assert admin.delete(f"/api/v1/admin/needs/{need_id}").status_code == 204
        retried = resident.post("/api/v1/needs", json=body, headers=key)
        assert retried.status_code == 410, retried.text
        assert all(n["id"] != need_id for n in admin.get("/api/v1/admin/needs").json()["items"])
        assert admin.get("/api/v1/admin/needs").json()["items"] == []

        def confirmed() -> bool:
            sync = resident.get("/api/v1/status").json()["sync"]
            return bool(sync["unconfirmed"] == 0 and region_has("need.deleted"))

        wait_for(confirmed, 60, "every event confirmed by the region")
        events = _region_events(region_db)
        assert [seq for seq, _, _ in events] == list(range(1, len(events) + 1))
        about_need = [(kind, data) for _, kind, data in events if data.get("id") == need_id]
        assert [kind for kind, _ in about_need] == ["need.created", "need.status", "need.deleted"]
        assert about_need[1][1] == {"id": need_id, "status": "resolved", "duplicate_of": None}
        assert about_need[2][1] == {"id": need_id}
        assert "twee kratten" not in json.dumps([data for _, _, data in events])  # aggregate share level

        # The export for the municipality holds neither the deleted need nor the address of the call.
        exported = hub.cli("export", "--format", "json")
        assert need_id not in exported and "Dorpsstraat 21" not in exported
        assert json.loads(exported)["scope"] == "minimised"
    finally:
        hub.stop()
        upstream.terminate()
        upstream.wait(timeout=30)
        broker.stop()
