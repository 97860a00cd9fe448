"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from hub import __version__, i18n, systemd
from hub.config import Settings
from hub.domain.address_register import MAX_FILE_BYTES
from hub.errors import Conflict, NotFound, StorageUnavailable, ValidationError
from hub.runtime import Hub
from hub.web import api, captive, ops, portal, problems
from hub.web.code_guesses import CodeGuesses
from hub.web.cookies import SESSION_COOKIE
from hub.web.deferred import DeferredRouters, deferred_openapi
from hub.web.fast_checkin import FastCheckIn
from hub.web.guard import Guard
from hub.web.metrics import AppMetrics
from hub.web.not_found import friendly_not_found
from hub.web.security import RateLimiter

log = logging.getLogger(__name__)


ADMIN = "hub.web.admin"


def admin_routers() -> list[APIRouter]:
    """The coordinators' JSON API and pages (imported here: building them is costly)."""
    from hub.web import admin

    return [admin.api_router, admin.partner_api_router, admin.pages_router]


def create_app(settings: Settings, hub: Hub | None = None, *, defer_admin: bool = False) -> FastAPI:
    """An app for ``settings``; ``hub`` lets callers (tests, ``serve --demo``) add links first.

    ``defer_admin`` (``hub serve``): the admin routers are included at their first use, or
    imported in the background a few seconds after the start (:mod:`hub.web.deferred`)."""
    the_hub = hub or Hub.from_settings(settings)
    deferred: DeferredRouters | None = None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        the_hub.start()
        systemd.notify("READY=1")
        if deferred is not None:
            deferred.warm(asyncio.get_running_loop())
        try:
            yield
        finally:
            systemd.notify("STOPPING=1")
            the_hub.stop()

    docs = settings.enable_docs
    app = FastAPI(
        title="Buurtbaken",
        version=__version__,
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        redoc_url=None,
        # No OpenTelemetry: /metrics is Prometheus (hub.web.metrics). Turned off, FastAPI does
        # not look for a configured provider on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.hub = the_hub
    app.state.rate_limiter = RateLimiter(settings.rate_limit)
    app.state.code_guesses = CodeGuesses()
    app.state.metrics = AppMetrics(the_hub)

    app.include_router(api.router)
    app.include_router(ops.router)
    app.include_router(captive.router)
    app.include_router(portal.router)
    if defer_admin:
        deferred = DeferredRouters(app, admin_routers, ADMIN)
        app.router.routes.append(deferred)
        deferred_openapi(app, deferred)
    else:
        for router in admin_routers():
            app.include_router(router)
    app.mount("/static", StaticFiles(directory=i18n.WEB_DIR / "static"), name="static")

    _install_error_handlers(app)
    # One layer around every request: HEAD as GET, security headers, the body limit, metrics,
    # and a 500 for what nobody handled (hub.web.guard). The address register's upload takes a
    # file (a neighbourhood's export is 100-300 KB); the page refuses one over MAX_FILE_BYTES
    # with its own words, so the limit here is a little more.
    app.add_middleware(
        Guard,
        metrics=app.state.metrics,
        limit=settings.max_body_bytes,
        uploads={"/admin/addresses": MAX_FILE_BYTES + 64 * 1024},
        upload_cookie=SESSION_COOKIE,
        fast=FastCheckIn(app),
    )
    return app


def _install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, friendly_not_found)

    @app.exception_handler(StorageUnavailable)
    async def _storage(_request: Request, exc: StorageUnavailable) -> Response:
        log.error("storage unavailable: %s", exc)
        return JSONResponse(
            {"detail": "The hub cannot save right now. Nothing was stored. Try again in a minute."},
            status_code=503,
            headers={"Retry-After": "30"},
        )

    @app.exception_handler(ValidationError)
    async def _invalid(_request: Request, exc: ValidationError) -> Response:
        return JSONResponse(problems.invalid_from(exc), status_code=422)

    @app.exception_handler(NotFound)
    async def _not_found(_request: Request, exc: NotFound) -> Response:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(Conflict)
    async def _conflict(_request: Request, exc: Conflict) -> Response:
        return JSONResponse({"detail": str(exc)}, status_code=409)

    @app.exception_handler(RequestValidationError)
    async def _request_invalid(request: Request, exc: RequestValidationError) -> Response:
        if request.url.path.startswith("/admin/"):  # only an admin form is sent back to its page
            from hub.web.admin.common import refused_form

            if (form_page := refused_form(request)) is not None:
                return form_page
        errors = [
            {
                "field": ".".join(str(p) for p in error["loc"][1:] or error["loc"]),
                "message": error["msg"],
                "type": error["type"],
            }
            for error in exc.errors()
        ]
        return JSONResponse({"detail": errors}, status_code=422)
