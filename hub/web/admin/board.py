"""The board in the admin: activities and drills for the portal's home page, and residents'
offers to be a volunteer (approved with a handset's node id, or declined).

Every form carries the session's CSRF token (``FormUser``) and every change is audited by the
service (``hub.services.board``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from hub.domain import preparedness
from hub.errors import HubError
from hub.services import board
from hub.web.admin.auth import FormUser, PageUser
from hub.web.admin.common import act, back, page, refused
from hub.web.deps import HubDep

router = APIRouter()
Text = Annotated[str, Form(max_length=2000)]
ACTIVITIES = "/admin/activities"
VOLUNTEERS = "/admin/volunteers"


@router.get("/activities", response_class=HTMLResponse)
def activities_page(request: Request, hub: HubDep, user: PageUser) -> HTMLResponse:
    return page(request, "admin/activities.html", user, rows=board.activities(hub))


def _read(kind: str, title: str, when: str, place: str, text: str) -> preparedness.ActivityInput:
    return preparedness.read_activity(kind, title, when, place, text)


@router.post("/activities")
async def post_activity(
    hub: HubDep,
    user: FormUser,
    title: Text = "",
    when: Text = "",
    place: Text = "",
    text: Text = "",
    kind: Text = "activity",
) -> RedirectResponse:
    try:
        data = _read(kind, title, when, place, text)
    except HubError as exc:
        return refused(ACTIVITIES, exc)
    return await act(board.post_activity(hub, data, actor=user.name), ACTIVITIES, "activity_posted")


@router.post("/activities/{activity_id}")
async def change_activity(
    hub: HubDep,
    user: FormUser,
    activity_id: str,
    title: Text = "",
    when: Text = "",
    place: Text = "",
    text: Text = "",
    kind: Text = "activity",
) -> RedirectResponse:
    try:
        data = _read(kind, title, when, place, text)
    except HubError as exc:
        return refused(ACTIVITIES, exc)
    return await act(board.change_activity(hub, activity_id, data, actor=user.name), ACTIVITIES, "saved")


@router.post("/activities/{activity_id}/delete")
async def remove_activity(
    hub: HubDep, user: FormUser, activity_id: str, confirm: Text = ""
) -> RedirectResponse:
    if confirm != "yes":
        return back(ACTIVITIES, error="confirm_deletion")
    return await act(board.remove_activity(hub, activity_id, actor=user.name), ACTIVITIES, "deleted")


@router.post("/volunteer-offers/{offer_id}/approve")
async def approve_offer(hub: HubDep, user: FormUser, offer_id: str, node_id: Text = "") -> RedirectResponse:
    change = board.approve_offer(hub, offer_id, node_id.strip() or None, actor=user.name)
    return await act(change, VOLUNTEERS, "volunteer_approved")


@router.post("/volunteer-offers/{offer_id}/decline")
async def decline_offer(hub: HubDep, user: FormUser, offer_id: str, confirm: Text = "") -> RedirectResponse:
    if confirm != "yes":
        return back(VOLUNTEERS, error="confirm")
    return await act(board.decline_offer(hub, offer_id, actor=user.name), VOLUNTEERS, "offer_declined")
