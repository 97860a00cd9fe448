"""The resident JSON API of DESIGN.md: no login, never another resident's data."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Request, status
from sqlmodel import Session

from hub.errors import WrongHouseholdCode
from hub.models import Need, Offer
from hub.schemas import (
    AnnouncementPublic,
    CheckInCreate,
    CheckInPublic,
    NeedCreate,
    NeedPublic,
    OfferCreate,
    OfferPublic,
)
from hub.services import alerts, announcements, residents
from hub.services.figures import current_figures
from hub.services.state import get_mode
from hub.web.code_guesses import CodeGuesses
from hub.web.deps import HubDep, client_ip
from hub.web.problems import RESIDENT_WRITE

router = APIRouter(prefix="/api/v1", tags=["residents"])
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


def check_rate(request: Request) -> None:
    if not request.app.state.rate_limiter.allow(client_ip(request)):
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


@router.post("/checkins", status_code=201, response_model=CheckInPublic, responses=RESIDENT_WRITE)
async def post_checkin(
    body: CheckInCreate, request: Request, hub: HubDep, idempotency_key: IdempotencyKey = None
) -> CheckInPublic:
    """A check-in; with ``code`` (from the household's card) it verifies a special-attention
    household. A wrong code: 422 on ``code``, nothing stored; too many wrong codes: 429."""
    check_rate(request)
    guesses: CodeGuesses = request.app.state.code_guesses
    client = client_ip(request)
    if body.code and (wait := guesses.refused(client, body.address)):
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "Too many wrong household codes. Wait and try again, or send the check-in without a code.",
            headers={"Retry-After": str(wait)},
        )

    def job(session: Session) -> residents.SavedCheckIn:
        return residents.create_checkin(session, hub.ctx, body, source="api", key=_key(idempotency_key))

    try:
        checkin = await hub.db.writer.run(job)
    except WrongHouseholdCode:
        guesses.wrong(client, body.address)
        raise
    count_submission(hub, "checkin")
    return CheckInPublic(
        id=checkin.id,
        kind="checkin",
        created_at=checkin.created_at,
        address=checkin.address,
        status=checkin.status,
        people=checkin.people,
        verified=checkin.verified,
    )


@router.post("/needs", status_code=201, response_model=NeedPublic, responses=RESIDENT_WRITE)
async def post_need(
    body: NeedCreate, request: Request, hub: HubDep, idempotency_key: IdempotencyKey = None
) -> NeedPublic:
    check_rate(request)

    def job(session: Session) -> Need:
        return residents.create_need(session, hub.ctx, body, source="api", key=_key(idempotency_key))

    need = await hub.db.writer.run(job)
    count_submission(hub, "need")
    return NeedPublic(
        id=need.id,
        kind="need",
        created_at=need.created_at,
        address=need.address,
        category=need.category,
        urgency=need.urgency,
        call_112=need.urgency == "life",
    )


@router.post("/offers", status_code=201, response_model=OfferPublic, responses=RESIDENT_WRITE)
async def post_offer(
    body: OfferCreate, request: Request, hub: HubDep, idempotency_key: IdempotencyKey = None
) -> OfferPublic:
    check_rate(request)

    def job(session: Session) -> Offer:
        return residents.create_offer(session, hub.ctx, body, key=_key(idempotency_key))

    offer = await hub.db.writer.run(job)
    count_submission(hub, "offer")
    return OfferPublic(id=offer.id, kind="offer", created_at=offer.created_at, category=offer.category)


@router.get("/announcements", response_model=list[AnnouncementPublic])
def get_announcements(hub: HubDep) -> list[AnnouncementPublic]:
    with hub.db.read() as session:
        rows = announcements.active_announcements(session)
        return [AnnouncementPublic.model_validate(row, from_attributes=True) for row in rows]


@router.get("/status")
def get_status(hub: HubDep) -> dict[str, Any]:
    with hub.db.read() as session:
        mode = get_mode(session)
        open_alerts = alerts.open_count(session)
        figures = current_figures(session)
    links = {name: link.status() for name, link in hub.links.items()}
    return {
        "hub_id": hub.settings.id,
        "name": hub.settings.name,
        "mode": mode,
        "mesh": links.get("mesh", {"state": "off"}),
        "sync": links.get("sync", {"state": "off"}),
        "alerts": {"open": open_alerts},
        "clock": {"verified": hub.ctx.clock.state().verified},
        "figures": figures.public(),
    }
