"""The signal worklist (``/admin/signals``): neighbours' concerns, and the coordinators' triage.

Every step is a coordinator's form with the session's CSRF token (``FormUser``); the service
keeps who and when on the signal and writes the audit log. A step the signal's status does not
allow, an unknown action, a partner not named or a merge into itself comes back as a clear
error and changes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from hub.domain.vocab import SIGNAL_ACTIONS, SIGNAL_CATEGORIES
from hub.errors import HubError, ValidationError
from hub.services import signals
from hub.web.admin.auth import FormUser, PageUser
from hub.web.admin.common import back, page, refused
from hub.web.deps import HubDep

router = APIRouter()
Text = Annotated[str, Form(max_length=2000)]
URL = "/admin/signals"

# A refusal's field -> the error id the page explains it with.
FIELD_ERRORS = {"address": "signal_address", "routed_to": "partner_missing", "merge_into": "signal_merge"}


@router.get("/signals", response_class=HTMLResponse)
def signal_list(
    request: Request,
    hub: HubDep,
    user: PageUser,
    before: Annotated[int | None, Query(ge=1, le=10**18)] = None,
    q: Annotated[str, Query(max_length=80)] = "",
    category: Annotated[str, Query(max_length=16)] = "",
) -> HTMLResponse:
    chosen = category if category in SIGNAL_CATEGORIES else ""
    found = signals.signals_list(hub, before, q, chosen)
    return page(
        request,
        "admin/signals.html",
        user,
        open_signals=found.open,
        finished=found.finished,
        older=found.older,
        paged=before is not None,
        attention=found.attention,
        duplicates=found.duplicates,
        merged_counts=found.merged_counts,
        q=found.query,
        category=chosen,
        categories=SIGNAL_CATEGORIES,
        actions=SIGNAL_ACTIONS,
    )


async def _step(change: Awaitable[object], ok: str) -> RedirectResponse:
    try:
        await change
    except ValidationError as exc:
        if exc.field in FIELD_ERRORS:
            return back(URL, error=FIELD_ERRORS[exc.field])
        return refused(URL, exc)
    except HubError as exc:
        return refused(URL, exc)
    return back(URL, ok=ok)


@router.post("/signals/{signal_id}/look")
async def look(hub: HubDep, user: FormUser, signal_id: str) -> RedirectResponse:
    return await _step(signals.look_at(hub, signal_id, actor=user.name), "signal_looked_at")


@router.post("/signals/{signal_id}/act")
async def act(
    hub: HubDep, user: FormUser, signal_id: str, action: Text = "", routed_to: Text = ""
) -> RedirectResponse:
    if action not in SIGNAL_ACTIONS:
        return back(URL, error="unknown_action")
    change = signals.act_on(hub, signal_id, actor=user.name, action=action, routed_to=routed_to[:200])
    return await _step(change, "signal_acted_on")


@router.post("/signals/{signal_id}/close")
async def close(hub: HubDep, user: FormUser, signal_id: str) -> RedirectResponse:
    return await _step(signals.close_signal(hub, signal_id, actor=user.name), "signal_closed")


@router.post("/signals/{signal_id}/reopen")
async def reopen(hub: HubDep, user: FormUser, signal_id: str) -> RedirectResponse:
    return await _step(signals.reopen_signal(hub, signal_id, actor=user.name), "signal_reopened")


@router.post("/signals/{signal_id}/merge")
async def merge(hub: HubDep, user: FormUser, signal_id: str, merge_into: Text = "") -> RedirectResponse:
    if not merge_into.strip():
        return back(URL, error="signal_merge")
    change = signals.merge_signal(hub, signal_id, into=merge_into[:40], actor=user.name)
    return await _step(change, "signal_merged")
