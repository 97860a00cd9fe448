"""The resident JSON API (docs/reference/http.md): no login, never another resident's data."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from starlette.datastructures import State

from hub.errors import WrongHouseholdCode
from hub.runtime import Hub
from hub.schemas import (
    AnnouncementPublic,
    CheckInCreate,
    CheckInPublic,
    NeedCreate,
    NeedPublic,
    OfferCreate,
    OfferPublic,
)
from hub.services import overview, submissions
from hub.web.code_guesses import CodeGuesses
from hub.web.deps import HubDep, client_ip
from hub.web.problems import RESIDENT_WRITE

router = APIRouter(prefix="/api/v1", tags=["residents"])
KEY_HEADER = "Idempotency-Key"
KEY_MAX_LENGTH = 200
# The header as FastAPI documents a ``Header(alias=..., max_length=...)`` parameter. It is read by
# ``idempotency_key`` instead: FastAPI's header parameter cost a check-in 0.02 ms of CPU, a tenth
# of the whole request in the hub.
KEY_DOCUMENTED = {
    "parameters": [
        {
            "name": KEY_HEADER,
            "in": "header",
            "required": False,
            "schema": {
                "anyOf": [{"type": "string", "maxLength": KEY_MAX_LENGTH}, {"type": "null"}],
                "title": KEY_HEADER,
            },
        }
    ]
}
_KEY_NAME = KEY_HEADER.lower().encode()


def idempotency_key(request: Request) -> str | None:
    """The request's ``Idempotency-Key`` (its first), refused as FastAPI refuses a too long one."""
    for name, value in request.scope["headers"]:
        if name == _KEY_NAME:
            key: str = value.decode("latin-1")
            if len(key) > KEY_MAX_LENGTH:
                raise RequestValidationError(
                    [
                        {
                            "type": "string_too_long",
                            "loc": ("header", KEY_HEADER),
                            "msg": f"String should have at most {KEY_MAX_LENGTH} characters",
                            "input": key,
                            "ctx": {"max_length": KEY_MAX_LENGTH},
                        }
                    ]
                )
            return key
    return None


def check_rate(request: Request) -> None:
    check_rate_of(request.app.state, client_ip(request))


def check_rate_of(state: State, client: str) -> None:
    if not state.rate_limiter.allow(client):
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "Too many submissions from this device. Wait a minute and try again.",
            headers={"Retry-After": "60"},
        )


def _key(key: str | None) -> str | None:
    return f"api:{key}" if key else None


def count_submission(hub: HubDep, kind: str) -> None:
    """One more stored submission of ``kind`` for ``/metrics`` (a replayed key counts again)."""
    counts: dict[str, int] = hub.ctx.metrics.setdefault("submissions", {})
    counts[kind] = counts.get(kind, 0) + 1


@router.post(
    "/checkins",
    status_code=201,
    response_model=CheckInPublic,
    responses=RESIDENT_WRITE,
    openapi_extra=KEY_DOCUMENTED,
)
async def post_checkin(body: CheckInCreate, request: Request, hub: HubDep) -> CheckInPublic:
    """A check-in; with ``code`` (from the household's card) it verifies a special-attention
    household. A wrong code: 422 on ``code``, nothing stored; too many wrong codes: 429."""
    key = idempotency_key(request)
    return await accept_checkin(request.app.state, hub, client_ip(request), body, key)


async def accept_checkin(
    state: State, hub: Hub, client: str, body: CheckInCreate, key: str | None
) -> CheckInPublic:
    """The check-in itself, after the request is read: also the fast path's
    (:mod:`hub.web.fast_checkin`), so that both answer alike."""
    check_rate_of(state, client)
    guesses: CodeGuesses = state.code_guesses
    if body.code and (wait := guesses.refused(client, body.address)):
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "Too many wrong household codes. Wait and try again, or send the check-in without a code.",
            headers={"Retry-After": str(wait)},
        )
    try:
        checkin = await submissions.check_in(hub.store, body, source="api", key=_key(key))
    except WrongHouseholdCode:
        guesses.wrong(client, body.address)
        raise
    count_submission(hub, "checkin")
    return checkin


@router.post(
    "/needs",
    status_code=201,
    response_model=NeedPublic,
    responses=RESIDENT_WRITE,
    openapi_extra=KEY_DOCUMENTED,
)
async def post_need(body: NeedCreate, request: Request, hub: HubDep) -> NeedPublic:
    key = _key(idempotency_key(request))
    check_rate(request)
    need = await submissions.report_need(hub.store, body, source="api", key=key)
    count_submission(hub, "need")
    return need


@router.post(
    "/offers",
    status_code=201,
    response_model=OfferPublic,
    responses=RESIDENT_WRITE,
    openapi_extra=KEY_DOCUMENTED,
)
async def post_offer(body: OfferCreate, request: Request, hub: HubDep) -> OfferPublic:
    key = _key(idempotency_key(request))
    check_rate(request)
    offer = await submissions.offer_help(hub.store, body, key=key)
    count_submission(hub, "offer")
    return offer


@router.get("/announcements", response_model=list[AnnouncementPublic])
def get_announcements(hub: HubDep) -> list[AnnouncementPublic]:
    return overview.active_announcements(hub.store)


@router.get("/status")
def get_status(hub: HubDep) -> dict[str, Any]:
    state = overview.hub_state(hub.store)
    links = {name: link.status() for name, link in hub.links.items()}
    return {
        "hub_id": hub.settings.id,
        "name": hub.settings.name,
        "mode": state.mode,
        "mesh": links.get("mesh", {"state": "off"}),
        "sync": links.get("sync", {"state": "off"}),
        "alerts": {"open": state.open_alerts},
        "clock": {"verified": hub.ctx.clock.state().verified},
        "figures": state.figures.public(),
    }
