"""For operators: health and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse, Response
from sqlmodel import Session

from hub.errors import StorageUnavailable
from hub.services import alerts, tasks
from hub.services.outbox import depth
from hub.services.state import put_state
from hub.web.deps import HubDep

router = APIRouter(tags=["operators"])


# After the storage refused a write, the probe writes this much: a small probe fits in the space
# a failed write left behind, and would answer "healthy" while every real write is refused.
RECOVERY_PROBE_BYTES = 64 * 1024


@router.get("/healthz", response_class=PlainTextResponse)
async def healthz(hub: HubDep) -> Response:
    """200 when a write reaches the disk; 503 otherwise."""
    writer = hub.db.writer
    failures = writer.storage_failures
    reserve = "0" * RECOVERY_PROBE_BYTES if writer.storage_failing else ""

    def probe(session: Session) -> None:
        put_state(session, "health", {"ok": True, "reserve": reserve})

    try:
        await writer.run(probe)
    except StorageUnavailable as exc:
        return PlainTextResponse(f"unhealthy: {exc}\n", status_code=503)
    if reserve:
        writer.storage_recovered = max(writer.storage_recovered, failures)
        if writer.storage_failing:  # refused again while the probe ran
            return PlainTextResponse("unhealthy: the storage refused a write\n", status_code=503)
    return PlainTextResponse("ok\n")


@router.get("/metrics", response_class=PlainTextResponse)
def metrics(hub: HubDep) -> Response:
    with hub.db.read() as session:
        backlog = depth(session)
        open_alerts = alerts.open_count(session)
        unhandled = alerts.unhandled_messages(session)
        unaccepted = tasks.nobody_accepted_count(session)
    lines = [
        "# HELP hub_http_requests_total HTTP requests answered, by method and status class.",
        "# TYPE hub_http_requests_total counter",
    ]
    requests: dict[tuple[str, str], int] = hub.ctx.metrics.get("requests", {})
    for (method, status_class), count in sorted(requests.items()):
        lines.append(f'hub_http_requests_total{{method="{method}",status="{status_class}"}} {count}')
    lines += [
        "# HELP hub_submissions_total Resident submissions stored, by type.",
        "# TYPE hub_submissions_total counter",
    ]
    submissions: dict[str, int] = hub.ctx.metrics.get("submissions", {})
    for kind in ("checkin", "need", "offer", "household"):
        lines.append(f'hub_submissions_total{{type="{kind}"}} {submissions.get(kind, 0)}')
    lines += [
        "# HELP hub_outbox_unsent Outbox events not yet acknowledged by the broker.",
        "# TYPE hub_outbox_unsent gauge",
        f"hub_outbox_unsent {backlog['unsent']}",
        "# HELP hub_outbox_unconfirmed Outbox events not yet confirmed by the upstream consumer.",
        "# TYPE hub_outbox_unconfirmed gauge",
        f"hub_outbox_unconfirmed {backlog['unconfirmed']}",
        "# HELP hub_db_commits_total Group commits made by the writer.",
        "# TYPE hub_db_commits_total counter",
        f"hub_db_commits_total {hub.db.writer.commits}",
        "# HELP hub_db_storage_failures_total Writes refused by the storage (disk full, I/O error).",
        "# TYPE hub_db_storage_failures_total counter",
        f"hub_db_storage_failures_total {hub.db.writer.storage_failures}",
        "# HELP hub_alerts_open SOS alerts no coordinator has acknowledged yet.",
        "# TYPE hub_alerts_open gauge",
        f"hub_alerts_open {open_alerts}",
        "# HELP hub_messages_unhandled Handset messages (free text, unknown nodes) not marked as handled.",
        "# TYPE hub_messages_unhandled gauge",
        f"hub_messages_unhandled {unhandled}",
        "# HELP hub_tasks_nobody_accepted Tasks that came back to the coordinator: nobody accepted them.",
        "# TYPE hub_tasks_nobody_accepted gauge",
        f"hub_tasks_nobody_accepted {unaccepted}",
        "# HELP hub_clock_verified 1 when a trusted source confirmed the clock since the hub started.",
        "# TYPE hub_clock_verified gauge",
        f"hub_clock_verified {1 if hub.ctx.clock.state().verified else 0}",
    ]
    for name, link in hub.links.items():
        state = link.status()
        up = 1 if state.get("connected") else 0
        lines.append(f'hub_link_up{{link="{name}"}} {up}')
    return PlainTextResponse("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4")
