"""A task step its status does not allow, over real HTTP: 409 with the reason, nothing changed."""

from __future__ import annotations

from typing import Any

import httpx
from sqlmodel import col, select

from hub.models import AuditEntry, MeshOutbound, OutboxEvent, Task, TaskOffer
from tests.conftest import LiveServer


def _snapshot(live: LiveServer, task_id: str) -> tuple[Any, ...]:
    """Everything a task step could write: the task, its offers, events, audit and radio queue."""
    with live.hub.db.read() as session:
        task = session.exec(select(Task).where(Task.id == task_id)).one()
        offers = session.exec(select(TaskOffer).where(TaskOffer.task_id == task_id)).all()
        events = session.exec(select(OutboxEvent.seq).order_by(col(OutboxEvent.seq))).all()
        audit = session.exec(select(AuditEntry.action)).all()
        queued = session.exec(select(MeshOutbound.pk)).all()
        return (task.model_dump(), [o.model_dump() for o in offers], events, audit, queued)


def _task(bearer: httpx.Client, volunteer_id: str) -> str:
    created = bearer.post(
        "/api/v1/admin/tasks",
        json={"kind": "delivery", "address": "Molenweg 4", "volunteer_id": volunteer_id},
    )
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def test_done_on_a_failed_task_is_409_with_the_reason_and_changes_nothing(
    bearer: httpx.Client, live: LiveServer
) -> None:
    anna = bearer.post("/api/v1/admin/volunteers", json={"name": "Anna", "node_id": "!a1b2c3d4"}).json()
    task_id = _task(bearer, anna["id"])
    failed = bearer.post(f"/api/v1/admin/tasks/{task_id}/fail", json={"reason": "brug dicht"})
    assert (failed.status_code, failed.json()["status"]) == (200, "failed")
    before = _snapshot(live, task_id)

    refused = bearer.post(f"/api/v1/admin/tasks/{task_id}/done")
    assert refused.status_code == 409, refused.text
    assert refused.json() == {
        "detail": "task 1 is failed: reporting it done is only possible when it is open, sent or accepted"
    }
    accepted = bearer.post(f"/api/v1/admin/tasks/{task_id}/accept")
    assert accepted.status_code == 409
    assert accepted.json()["detail"].startswith("task 1 is failed: accepting it is only possible")
    assert _snapshot(live, task_id) == before
    assert bearer.get(f"/api/v1/admin/tasks/{task_id}").json()["status"] == "failed"


def test_a_done_task_cannot_fail_or_go_to_someone_else(bearer: httpx.Client, live: LiveServer) -> None:
    anna = bearer.post("/api/v1/admin/volunteers", json={"name": "Anna", "node_id": "!a1b2c3d4"}).json()
    bram = bearer.post("/api/v1/admin/volunteers", json={"name": "Bram", "node_id": "!b2c3d4e5"}).json()
    task_id = _task(bearer, anna["id"])
    assert bearer.post(f"/api/v1/admin/tasks/{task_id}/done").json()["status"] == "done"
    before = _snapshot(live, task_id)

    failed = bearer.post(f"/api/v1/admin/tasks/{task_id}/fail", json={"reason": "te laat"})
    assert failed.status_code == 409
    assert failed.json()["detail"] == (
        "task 1 is done: reporting it failed is only possible when it is open, sent or accepted"
    )
    moved = bearer.post(f"/api/v1/admin/tasks/{task_id}/assign", json={"volunteer_id": bram["id"]})
    assert moved.status_code == 409
    assert moved.json()["detail"] == (
        "task 1 is done: giving it to a volunteer is only possible when it is open, sent or failed"
    )
    again = bearer.post(f"/api/v1/admin/tasks/{task_id}/done")  # a repeat changes nothing
    assert (again.status_code, again.json()["status"]) == (200, "done")
    assert _snapshot(live, task_id) == before
