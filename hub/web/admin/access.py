"""The access page: who holds a way in (sessions, API tokens), with a revoke button per row.

Coordinators only: a viewer may not see who else is logged in. Every revocation is a form
with the session's CSRF token and is audited by :mod:`hub.services.access`.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from hub.models.base import utcnow
from hub.services import access
from hub.web.admin.auth import CoordinatorPage, FormUser
from hub.web.admin.common import act, page
from hub.web.deps import HubDep

router = APIRouter()
URL = "/admin/access"


@router.get("/access", response_class=HTMLResponse)
def access_page(request: Request, hub: HubDep, user: CoordinatorPage) -> HTMLResponse:
    with hub.db.read() as session:
        now = utcnow()
        sessions = access.list_sessions(session, now)
        return page(
            request,
            "admin/access.html",
            user,
            sessions=sessions,
            mine={s.id for s in sessions if access.is_session(s, user.session_token)},
            tokens=access.list_tokens(session, now),
            users=access.list_users(session),
        )


@router.post("/access/sessions/{session_id}/revoke")
async def revoke_session(hub: HubDep, user: FormUser, session_id: str) -> RedirectResponse:
    return await act(
        hub, lambda s: access.revoke_session_by_id(s, session_id, actor=user.name), URL, "session_revoked"
    )


@router.post("/access/tokens/{token_id}/revoke")
async def revoke_token(hub: HubDep, user: FormUser, token_id: str) -> RedirectResponse:
    return await act(
        hub, lambda s: access.revoke_token_by_id(s, token_id, actor=user.name), URL, "token_revoked"
    )
