"""The admin API for residents' records: need and offer status, the help worklist, deletion."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter

from hub.services import erasure, record_status, worklist
from hub.web import problems
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


@router.post("/needs/{need_id}/status", response_model=NeedOut, responses=problems.ADMIN_RECORD_WRITE)
async def need_status(need_id: str, body: NeedStatusIn, hub: HubDep, who: ApiWriter) -> NeedOut:
    """Close (``resolved``), ``cancelled``, ``duplicate`` (with ``duplicate_of``) or ``open`` again."""

    need = await record_status.change_need_status(
        hub, need_id, body.status, actor=who.name, duplicate_of=body.duplicate_of
    )
    return NeedOut.model_validate(need)


@router.post("/offers/{offer_id}/status", response_model=OfferOut, responses=problems.ADMIN_RECORD_WRITE)
async def offer_status(offer_id: str, body: OfferStatusIn, hub: HubDep, who: ApiWriter) -> OfferOut:
    offer = await record_status.change_offer_status(hub, offer_id, body.status, actor=who.name)
    return OfferOut.model_validate(offer)


@router.get("/worklist", response_model=Page[CheckInOut])
def help_worklist(hub: HubDep, _who: ApiReader) -> Page[CheckInOut]:
    """``help`` check-ins that no coordinator has handled yet, oldest first."""
    rows = worklist.waiting_for_help(hub, limit=1000)
    return Page[CheckInOut](items=[CheckInOut.model_validate(row) for row in rows], next=None)


@router.post(
    "/checkins/{checkin_id}/handled", response_model=CheckInOut, responses=problems.ADMIN_RECORD_WRITE
)
async def checkin_handled(checkin_id: str, hub: HubDep, who: ApiWriter) -> CheckInOut:
    return CheckInOut.model_validate(await worklist.help_handled(hub, checkin_id, actor=who.name))


@router.post(
    "/checkins/{checkin_id}/task",
    status_code=201,
    response_model=TaskOut,
    responses=problems.ADMIN_RECORD_WRITE,
)
async def checkin_task(checkin_id: str, body: HelpTaskIn, hub: HubDep, who: ApiWriter) -> TaskOut:
    task = await worklist.help_to_task(
        hub, checkin_id, actor=who.name, volunteer_id=body.volunteer_id or None
    )
    return TaskOut.model_validate(task)


def _deleter(kind: str) -> Callable[..., Awaitable[None]]:
    async def delete_record(record_id: str, hub: HubDep, who: ApiWriter) -> None:
        """Delete for good (audited; ``<kind>.deleted`` with only the id goes upstream)."""
        await erasure.delete_by_hand(hub, kind, record_id, actor=who.name)

    return delete_record


for _kind in erasure.BY_HAND:
    router.add_api_route(
        f"/{_kind}/{{record_id}}",
        _deleter(_kind),
        methods=["DELETE"],
        status_code=204,
        responses=problems.ADMIN_RECORD_WRITE,
        name=f"admin_delete_{_kind}",
    )
