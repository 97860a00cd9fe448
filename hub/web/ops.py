"""For operators: health and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from hub.services import overview
from hub.web.deps import HubDep
from hub.web.metrics import AppMetrics

router = APIRouter(tags=["operators"])


@router.get("/healthz", response_class=PlainTextResponse)
async def healthz(hub: HubDep) -> Response:
    """200 when a write reaches the disk; 503 otherwise."""
    problem = await overview.storage_problem(hub.store)
    if problem is not None:
        return PlainTextResponse(f"unhealthy: {problem}\n", status_code=503)
    return PlainTextResponse("ok\n")


@router.get("/metrics", response_class=PlainTextResponse)
def metrics(request: Request) -> Response:
    """Prometheus text from the app's own registry; the hub's state is read now."""
    app_metrics: AppMetrics = request.app.state.metrics
    return Response(generate_latest(app_metrics.registry), media_type=CONTENT_TYPE_LATEST)
