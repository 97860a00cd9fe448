"""Partner organisations: the coordinators' partners page, a partner's own page and API.

Coordinators add partners, their accounts and tokens (``/admin/partners``), record a household's
consent per partner and route tasks to a partner. A partner's session reaches only
``/admin/partner`` (and logging out); its token only ``/api/v1/partner``: every other admin page
and API route refuses it in :mod:`hub.web.admin.auth`, so a new route is closed to partners
unless it asks for a partner. Each partner view is written to the audit log with what it showed
(:func:`hub.services.partners.sight`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic import ValidationError as PydanticError

from hub.domain.vocab import CheckInStatus
from hub.errors import HubError
from hub.schemas import SignalCreate
from hub.services import partners, volunteers
from hub.web import problems
from hub.web.admin.auth import (
    CoordinatorPage,
    FormUser,
    NetworkCheck,
    PartnerApi,
    PartnerApiWriter,
    PartnerForm,
    PartnerPage,
)
from hub.web.admin.common import act, back, page, refused
from hub.web.admin.schemas import TaskOut
from hub.web.deps import HubDep

router = APIRouter()
Text = Annotated[str, Form(max_length=2000)]
Ids = Annotated[list[str], Form()]
URL = "/admin/partners"
OWN = "/admin/partner"


# -- coordinators -----------------------------------------------------------------------------


@router.get("/partners", response_class=HTMLResponse)
def partners_page(request: Request, hub: HubDep, user: CoordinatorPage) -> HTMLResponse:
    seen = partners.partners_overview(hub)
    return page(
        request,
        "admin/partners.html",
        user,
        partners=seen.partners,
        accounts=seen.accounts,
        households=seen.households,
        tasks_open=seen.tasks_open,
        new_token=None,
    )


@router.post("/partners")
async def add_partner(hub: HubDep, user: FormUser, name: Text, kind: Text = "other") -> RedirectResponse:
    return await act(partners.add_partner(hub, name, kind, actor=user.name), URL, "partner_added")


@router.post("/partners/{partner_id}/accounts")
async def add_account(
    hub: HubDep, user: FormUser, partner_id: str, name: Text, password: Text
) -> RedirectResponse:
    return await act(
        partners.add_account(hub, partner_id, name, password, actor=user.name), URL, "account_added"
    )


@router.post("/partners/{partner_id}/tokens", response_model=None)
async def add_token(
    request: Request, hub: HubDep, user: FormUser, partner_id: str, name: Text, expires_days: Text = ""
) -> HTMLResponse | RedirectResponse:
    """A partner's API token, shown once on the page this answers (never stored in the clear)."""
    days = expires_days.strip()
    if days and (not days.isdigit() or len(days) > 4):
        return back(URL, error="token_days_wrong")
    try:
        token = await partners.add_token(
            hub, partner_id, name, actor=user.name, expires_days=int(days) if days else None
        )
    except HubError as exc:
        return refused(URL, exc)
    seen = partners.partners_overview(hub)
    return page(
        request,
        "admin/partners.html",
        user,
        partners=seen.partners,
        accounts=seen.accounts,
        households=seen.households,
        tasks_open=seen.tasks_open,
        new_token=token,
    )


def shares(share_partner: list[str], share_contact: list[str]) -> dict[str, bool]:
    """The consent boxes of a form: partner id -> whether the contact goes along."""
    chosen = {value.strip() for value in share_partner if value.strip()}
    return {partner_id: partner_id in share_contact for partner_id in sorted(chosen)}


@router.post("/households/{household_id}/partners")
async def household_partners(
    hub: HubDep,
    user: FormUser,
    household_id: str,
    given_by: Text = "",
    share_partner: Ids = [],  # noqa: B006 (FastAPI copies a default)
    share_contact: Ids = [],  # noqa: B006
) -> RedirectResponse:
    """The household's consent per partner as a coordinator records it: given, changed or withdrawn."""
    target = f"/admin/households?edit={household_id}"
    if set(share_contact) - set(share_partner):
        return back("/admin/households", error="contact_without_consent")
    if share_partner and not given_by.strip():
        return back("/admin/households", error="consent_by_missing")
    return await act(
        partners.change_household_consents(
            hub,
            household_id,
            shares(share_partner, share_contact),
            given_by=given_by.strip(),
            actor=user.name,
        ),
        target if len(household_id) <= 26 and household_id.isalnum() else "/admin/households",
        "consent_saved",
    )


@router.post("/tasks/{task_id}/partner")
async def route_task(hub: HubDep, user: FormUser, task_id: str, partner_id: Text = "") -> RedirectResponse:
    return await act(
        partners.route(hub, task_id, partner_id.strip() or None, actor=user.name),
        "/admin/tasks",
        "task_routed",
    )


@router.post("/offers/{offer_id}/volunteer")
async def enrol(hub: HubDep, user: FormUser, offer_id: str, name: Text) -> RedirectResponse:
    """Enrol the resident who made this offer as a volunteer without a handset (tasks on paper)."""
    return await act(
        volunteers.enrol_offer(hub, offer_id, name, actor=user.name), "/admin/offers", "enrolled"
    )


# -- a partner's own page ---------------------------------------------------------------------


@router.get("/partner", response_class=HTMLResponse)
async def own_page(request: Request, hub: HubDep, user: PartnerPage) -> HTMLResponse:
    seen = await partners.partner_sight(hub, user.partner_id or "", actor=user.name, via="page")
    return page(request, "admin/partner.html", user, seen=seen)


@router.post("/partner/households/{household_id}/reached")
async def reached(
    hub: HubDep, user: PartnerForm, household_id: str, status: Text = "ok", note: Text = ""
) -> RedirectResponse:
    if status not in ("ok", "help"):
        return back(OWN, error="form_refused")
    return await act(
        partners.household_reached(
            hub, user.partner_id or "", household_id, actor=user.name, status=status, note=note[:280]
        ),
        OWN,
        "reached_saved",
    )


@router.post("/partner/signals")
async def report_signal(
    hub: HubDep,
    user: PartnerForm,
    category: Text = "",
    description: Text = "",
    life: Text = "no",
    address: Text = "",
) -> RedirectResponse:
    """A concern the partner noticed itself: on the coordinators' worklist, and on its own page."""
    try:
        data = SignalCreate(
            category=category,  # validated here: an unknown kind is refused
            description=description,
            life=life == "yes",
            address=address or None,
        )
    except PydanticError as exc:
        return refused(OWN, exc)
    return await act(partners.report(hub, user.partner_id or "", data, actor=user.name), OWN, "signal_saved")


@router.post("/partner/tasks/{task_id}/{step}")
async def task_step(
    hub: HubDep, user: PartnerForm, task_id: str, step: Literal["take", "done"], note: Text = ""
) -> RedirectResponse:
    if step == "take":
        return await act(
            partners.take(hub, user.partner_id or "", task_id, actor=user.name), OWN, "task_taken"
        )
    return await act(
        partners.finish(hub, user.partner_id or "", task_id, actor=user.name, note=note[:200]),
        OWN,
        "task_done",
    )


# -- the partner API --------------------------------------------------------------------------


class PartnerHouseholdOut(BaseModel):
    id: str
    address: str
    special_attention: list[str]
    people: int | None
    contact: str | None
    reached: bool
    contact_shared: bool


class PartnerSignalOut(BaseModel):
    """A neighbour's concern routed to the partner (never who reported it)."""

    id: str
    category: str
    life: bool
    address: str | None
    description: str
    status: str
    created_at: datetime


class PartnerOut(BaseModel):
    """What the partner sees: its consented households, the tasks and the concerns routed to it."""

    partner: str
    households: list[PartnerHouseholdOut]
    tasks: list[TaskOut]
    signals: list[PartnerSignalOut] = []


class ReachedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: CheckInStatus = "ok"
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=280)] | None = None


class PartnerDoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = Field(
        default=None
    )


api = APIRouter(
    prefix="/api/v1/partner", tags=["partner"], dependencies=[NetworkCheck], responses=problems.ADMIN
)


@api.get("", response_model=PartnerOut)
async def api_sight(hub: HubDep, who: PartnerApi) -> PartnerOut:
    """The households that consented to share with this partner and the tasks routed to it."""
    seen = await partners.partner_sight(hub, who.partner_id or "", actor=who.name, via=who.via)
    return PartnerOut(
        partner=seen.partner.name,
        households=[PartnerHouseholdOut.model_validate(h, from_attributes=True) for h in seen.households],
        tasks=[TaskOut.model_validate(t, from_attributes=True) for t in seen.tasks + seen.finished],
        signals=[PartnerSignalOut.model_validate(c, from_attributes=True) for c in seen.signals],
    )


@api.post(
    "/households/{household_id}/reached",
    response_model=PartnerHouseholdOut,
    responses=problems.ADMIN_RECORD_WRITE,
)
async def api_reached(
    hub: HubDep, who: PartnerApiWriter, household_id: str, body: ReachedIn
) -> PartnerHouseholdOut:
    """The partner visited or spoke to the household: it counts as reached."""
    shown = await partners.household_reached(
        hub, who.partner_id or "", household_id, actor=who.name, status=body.status, note=body.note
    )
    return PartnerHouseholdOut.model_validate(shown, from_attributes=True)


@api.post("/tasks/{task_id}/accept", response_model=TaskOut, responses=problems.ADMIN_RECORD_WRITE)
async def api_take(hub: HubDep, who: PartnerApiWriter, task_id: str) -> TaskOut:
    """The partner takes a task routed to it."""
    task = await partners.take(hub, who.partner_id or "", task_id, actor=who.name)
    return TaskOut.model_validate(task, from_attributes=True)


@api.post("/tasks/{task_id}/done", response_model=TaskOut, responses=problems.ADMIN_RECORD_WRITE)
async def api_done(hub: HubDep, who: PartnerApiWriter, task_id: str, body: PartnerDoneIn) -> TaskOut:
    """The partner did a task routed to it."""
    task = await partners.finish(hub, who.partner_id or "", task_id, actor=who.name, note=body.note)
    return TaskOut.model_validate(task, from_attributes=True)
