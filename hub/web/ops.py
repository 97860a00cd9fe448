"""For operators: health and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlmodel import Session

from hub.errors import StorageUnavailable
from hub.services.state import put_state
from hub.web.deps import HubDep
from hub.web.metrics import AppMetrics

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
def metrics(request: Request) -> Response:
    """Prometheus text from the app's own registry; the hub's state is read now."""
    app_metrics: AppMetrics = request.app.state.metrics
    return Response(generate_latest(app_metrics.registry), media_type=CONTENT_TYPE_LATEST)
