"""Admin forms for residents' records: need and offer status, the help worklist, deletion.

Each form carries the session's CSRF token (``FormUser``); each change is audited by its service.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse

from hub.services import erasure, record_status, worklist
from hub.web.admin.auth import FormUser
from hub.web.admin.common import act, back
from hub.web.deps import HubDep

router = APIRouter()
Text = Annotated[str, Form(max_length=200)]


@router.post("/needs/{need_id}/status")
async def need_status(
    hub: HubDep, user: FormUser, need_id: str, status: Text, duplicate_of: Text = ""
) -> RedirectResponse:
    change = record_status.change_need_status(
        hub, need_id, status.strip(), actor=user.name, duplicate_of=duplicate_of
    )
    return await act(change, "/admin/needs", "need_updated")


@router.post("/offers/{offer_id}/status")
async def offer_status(hub: HubDep, user: FormUser, offer_id: str, status: Text) -> RedirectResponse:
    change = record_status.change_offer_status(hub, offer_id, status.strip(), actor=user.name)
    return await act(change, "/admin/offers", "offer_updated")


@router.post("/checkins/{checkin_id}/handled")
async def checkin_handled(hub: HubDep, user: FormUser, checkin_id: str) -> RedirectResponse:
    return await act(worklist.help_handled(hub, checkin_id, actor=user.name), "/admin/checkins", "handled")


@router.post("/checkins/{checkin_id}/task")
async def checkin_task(
    hub: HubDep, user: FormUser, checkin_id: str, volunteer_id: Text = ""
) -> RedirectResponse:
    change = worklist.help_to_task(
        hub, checkin_id, actor=user.name, volunteer_id=volunteer_id.strip() or None
    )
    return await act(change, "/admin/checkins", "task_created")


@router.post("/{kind}/{record_id}/delete")
async def delete_record(
    hub: HubDep, user: FormUser, kind: str, record_id: str, confirm: Text = ""
) -> RedirectResponse:
    if kind not in erasure.BY_HAND:
        return back("/admin", error="unknown_action")
    url = f"/admin/{kind}"
    if confirm != "yes":
        return back(url, error="confirm_deletion")
    return await act(erasure.delete_by_hand(hub, kind, record_id, actor=user.name), url, "deleted")
