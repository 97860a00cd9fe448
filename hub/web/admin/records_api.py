"""The admin API for residents' records: need and offer status, the help worklist, deletion."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter
from sqlmodel import Session

from hub.models import CheckIn, Need, Offer, Task
from hub.services import erasure, record_status, worklist
from hub.web.admin.auth import ApiReader, ApiWriter
from hub.web.admin.schemas import (
    CheckInOut,
    HelpTaskIn,
    NeedOut,
    NeedStatusIn,
    OfferOut,
    OfferStatusIn,
    Page,
    TaskOut,
)
from hub.web.deps import HubDep

router = APIRouter(tags=["admin"])


@router.post("/needs/{need_id}/status", response_model=NeedOut)
async def need_status(need_id: str, body: NeedStatusIn, hub: HubDep, who: ApiWriter) -> NeedOut:
    """Close (``resolved``), ``cancelled``, ``duplicate`` (with ``duplicate_of``) or ``open`` again."""

    def job(session: Session) -> Need:
        return record_status.set_need_status(
            session, hub.ctx, need_id, body.status, actor=who.name, duplicate_of=body.duplicate_of
        )

    return NeedOut.model_validate(await hub.db.writer.run(job))


@router.post("/offers/{offer_id}/status", response_model=OfferOut)
async def offer_status(offer_id: str, body: OfferStatusIn, hub: HubDep, who: ApiWriter) -> OfferOut:
    def job(session: Session) -> Offer:
        return record_status.set_offer_status(session, hub.ctx, offer_id, body.status, actor=who.name)

    return OfferOut.model_validate(await hub.db.writer.run(job))


@router.get("/worklist", response_model=Page[CheckInOut])
def help_worklist(hub: HubDep, _who: ApiReader) -> Page[CheckInOut]:
    """``help`` check-ins that no coordinator has handled yet, oldest first."""
    with hub.db.read() as session:
        rows = worklist.help_worklist(session, limit=1000)
        return Page[CheckInOut](items=[CheckInOut.model_validate(row) for row in rows], next=None)


@router.post("/checkins/{checkin_id}/handled", response_model=CheckInOut)
async def checkin_handled(checkin_id: str, hub: HubDep, who: ApiWriter) -> CheckInOut:
    def job(session: Session) -> CheckIn:
        return worklist.mark_handled(session, hub.ctx, checkin_id, actor=who.name)

    return CheckInOut.model_validate(await hub.db.writer.run(job))


@router.post("/checkins/{checkin_id}/task", status_code=201, response_model=TaskOut)
async def checkin_task(checkin_id: str, body: HelpTaskIn, hub: HubDep, who: ApiWriter) -> TaskOut:
    def job(session: Session) -> Task:
        return worklist.make_task(
            session, hub.ctx, checkin_id, actor=who.name, volunteer_id=body.volunteer_id or None
        )

    return TaskOut.model_validate(await hub.db.writer.run(job))


def _deleter(kind: str) -> Callable[..., Awaitable[None]]:
    async def delete_record(record_id: str, hub: HubDep, who: ApiWriter) -> None:
        """Delete for good (audited; ``<kind>.deleted`` with only the id goes upstream)."""
        await hub.db.writer.run(lambda s: erasure.delete_record(s, hub.ctx, kind, record_id, actor=who.name))

    return delete_record


for _kind in erasure.BY_HAND:
    router.add_api_route(
        f"/{_kind}/{{record_id}}",
        _deleter(_kind),
        methods=["DELETE"],
        status_code=204,
        name=f"admin_delete_{_kind}",
    )
