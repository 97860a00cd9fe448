"""The hub's app plus one bare endpoint, for the HTTP benchmark, served as ``hub serve`` does.

``/bench/bare`` validates the same body as ``POST /api/v1/checkins`` on the same stack
(uvicorn, middleware, pydantic) and answers 201 without touching the disk: the in-hub baseline.
It is the app's first route, as the check-in is among the first: FastAPI tries the routes in
order, and behind the coordinators' ~150 routes the routing alone cost 0.3 ms a request, which
the check-in never pays. The bare app outside the hub is ``tests.bench.bare_app``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import uvicorn

from hub.app import create_app
from hub.config import load_settings
from hub.schemas import CheckInCreate
from hub.serve import server_config


def main(data_dir: str, port: int) -> None:
    settings = load_settings(data_dir=Path(data_dir), rate_limit=0, max_connections_per_client=0)
    app = create_app(settings)
    routes = app.router.routes
    before = len(routes)

    @app.post("/bench/bare", status_code=201)
    async def bare(body: CheckInCreate) -> dict[str, str]:
        return {"id": "01BARE", "address": body.address, "status": body.status}

    routes[0:0] = routes[before:]  # first, not behind every other route
    del routes[before + 1 :]

    uvicorn.Server(server_config(app, settings, host="127.0.0.1", port=port, log_level="warning")).run()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
