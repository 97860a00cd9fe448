"""A bare FastAPI app outside the hub: the HTTP benchmark's outside baseline.

One endpoint that validates the body of ``POST /api/v1/checkins`` with the same schema and
answers 201, run by plain uvicorn with its defaults: no hub, no middleware, no database. The
gap between this and the hub's durable check-in is everything the hub adds per request.

    python -m tests.bench.bare_app PORT
"""

from __future__ import annotations

import sys

import uvicorn
from fastapi import FastAPI

from hub.schemas import CheckInCreate

app = FastAPI()


@app.post("/api/v1/checkins", status_code=201)
async def bare(body: CheckInCreate) -> dict[str, str]:
    return {"id": "01BARE", "address": body.address, "status": body.status}


@app.get("/healthz")
async def healthz() -> dict[str, bool]:
    return {"ok": True}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
