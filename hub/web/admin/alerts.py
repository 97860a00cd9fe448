"""Forms that close a safety loop: acknowledging an SOS, confirming the hub's clock.

Unlike the other forms these answer bad input with a 4xx page (nothing changed), not with a
redirect: an acknowledgement that did not happen must not look like one that did.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from hub.errors import Conflict, NotFound
from hub.services import alerts
from hub.services.audit import note
from hub.web.admin.auth import FormUser
from hub.web.admin.common import back, problem
from hub.web.admin.notices import N_
from hub.web.deps import HubDep

router = APIRouter()
Text = Annotated[str, Form(max_length=100)]
STALE_FORM = 3600  # seconds: a clock form older than this was read too long ago


@router.post("/alerts/{alert_id}/ack", response_model=None)
async def acknowledge(
    request: Request, hub: HubDep, user: FormUser, alert_id: str
) -> RedirectResponse | HTMLResponse:
    try:
        await alerts.acknowledge_alert(hub, alert_id, actor=user.name)
    except NotFound:
        return problem(request, user, 404, N_("There is no such alert."), "/admin")
    except Conflict:
        return problem(request, user, 409, N_("This alert was acknowledged already."), "/admin")
    return back("/admin", ok="alert_acknowledged")


def right_time(actual: str, shown: datetime) -> datetime | None:
    """``HH:MM`` or ``HHMM`` (the day closest to ``shown``) or ``YYYY-MM-DD HH:MM``, local time."""
    text = actual.strip().replace(".", ":")
    if len(text) == 4 and text.isdigit():  # a number pad has no colon: 1432 is 14:32
        text = f"{text[:2]}:{text[2:]}"
    try:
        if len(text) > 5:
            return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=shown.tzinfo)
        clock = datetime.strptime(text, "%H:%M")
    except ValueError:
        return None
    same_day = shown.replace(hour=clock.hour, minute=clock.minute, second=0, microsecond=0)
    candidates = (same_day - timedelta(days=1), same_day, same_day + timedelta(days=1))
    return min(candidates, key=lambda c: abs((c - shown).total_seconds()))


@router.post("/clock", response_model=None)
async def confirm_clock(
    request: Request,
    hub: HubDep,
    user: FormUser,
    shown: Text,
    verdict: Text = "right",
    actual: Text = "",
    back_to: Text = "/admin",
) -> RedirectResponse | HTMLResponse:
    """The coordinator says the time the page showed was right, or gives the right one."""
    target = back_to if back_to.startswith("/admin") and "//" not in back_to else "/admin"
    now = time.time()
    if not shown.isdigit() or not now - STALE_FORM <= int(shown) <= now + 5:
        return problem(
            request, user, 422, N_("The page is too old: reload it and look at the time again."), target
        )
    shown_at = datetime.fromtimestamp(int(shown)).astimezone()
    if verdict == "right":
        reference = now
    elif verdict == "correct":
        # The page shows minutes only: the coordinator's time is compared with the minute shown.
        shown_minute = shown_at.replace(second=0, microsecond=0)
        right = right_time(actual, shown_minute)
        if right is None:
            return problem(request, user, 422, N_("Enter the right time as HH:MM."), target)
        reference = now + (right - shown_minute).total_seconds()
    else:
        return problem(request, user, 422, N_("Unknown answer."), target)
    verified = hub.ctx.clock.reference(reference, "coordinator", by=user.name)
    offset = round(reference - now)

    await note(
        hub, user.name, "clock.confirm", None, verdict=verdict, offset_seconds=offset, verified=verified
    )
    if verified:
        return back(target, ok="clock_confirmed")
    return back(target, error="clock_off")
