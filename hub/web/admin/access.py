"""The access page: who holds a way in (sessions, API tokens), with a revoke button per row.

Coordinators only: a viewer may not see who else is logged in. Every revocation is a form
with the session's CSRF token and is audited by :mod:`hub.services.access`.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from hub.services import access
from hub.web.admin.auth import CoordinatorPage, FormUser
from hub.web.admin.common import act, page
from hub.web.deps import HubDep

router = APIRouter()
URL = "/admin/access"


@router.get("/access", response_class=HTMLResponse)
def access_page(request: Request, hub: HubDep, user: CoordinatorPage) -> HTMLResponse:
    seen = access.access_overview(hub)
    return page(
        request,
        "admin/access.html",
        user,
        sessions=seen.sessions,
        mine={s.id for s in seen.sessions if access.is_session(s, user.session_token)},
        tokens=seen.tokens,
        users=seen.users,
    )


@router.post("/access/sessions/{session_id}/revoke")
async def revoke_session(hub: HubDep, user: FormUser, session_id: str) -> RedirectResponse:
    return await act(access.revoke_session(hub, session_id, actor=user.name), URL, "session_revoked")


@router.post("/access/tokens/{token_id}/revoke")
async def revoke_token(hub: HubDep, user: FormUser, token_id: str) -> RedirectResponse:
    return await act(access.revoke_token(hub, token_id, actor=user.name), URL, "token_revoked")
