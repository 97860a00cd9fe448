"""Request dependencies, named with ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from hub.runtime import Hub


async def get_hub(request: Request) -> Hub:
    """The app's hub. ``async`` although it never waits: FastAPI runs a plain ``def`` dependency
    in its thread pool, a thread hop on every request that asks for the hub."""
    hub: Hub = request.app.state.hub
    return hub


HubDep = Annotated[Hub, Depends(get_hub)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"
