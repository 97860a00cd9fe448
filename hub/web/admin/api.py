"""The admin JSON API (``/api/v1/admin``, docs/reference/http.md): session cookie or bearer token."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Query
from pydantic import BaseModel

from hub.schemas import AnnouncementCreate, HouseholdCreate
from hub.services import admin_lists, alerts, coordination, drills, tasks, volunteers
from hub.services.drills import ModeState
from hub.web import problems
from hub.web.admin import records_api
from hub.web.admin.auth import ApiReader, ApiWriter, NetworkCheck
from hub.web.admin.schemas import (
    AlertOut,
    AnnouncementOut,
    AssignIn,
    CheckInOut,
    FailIn,
    HouseholdIn,
    HouseholdOut,
    HouseholdPatch,
    MessageOut,
    ModeIn,
    ModeOut,
    NeedOut,
    OfferOut,
    Page,
    SignalOut,
    TaskIn,
    TaskOfferOut,
    TaskOut,
    VolunteerIn,
    VolunteerOut,
    VolunteerPatch,
)
from hub.web.deps import HubDep

router = APIRouter(
    prefix="/api/v1/admin", tags=["admin"], dependencies=[NetworkCheck], responses=problems.ADMIN
)
router.include_router(records_api.router)
Out = TypeVar("Out", bound=BaseModel)
Limit = Annotated[int, Query(ge=1, le=1000)]
# A page's ``next``: a row number (digits, at most 18 of them, so it fits SQLite's integer).
Cursor = Annotated[
    str | None,
    Query(pattern=r"^[0-9]{1,18}$", description="The `next` value of the previous page."),
]


def _lister(kind: str, shape: type[Out]) -> Callable[..., Page[Out]]:
    def list_records(hub: HubDep, _who: ApiReader, limit: Limit = 100, cursor: Cursor = None) -> Page[Out]:
        """Newest first; ``next`` is the cursor for the following page (``None``: the end)."""
        found = admin_lists.record_page(hub, kind, limit, cursor)
        return Page[shape](  # type: ignore[valid-type]
            items=[shape.model_validate(row, from_attributes=True) for row in found.rows], next=found.next
        )

    return list_records


for _name, _shape in (
    ("checkins", CheckInOut),
    ("needs", NeedOut),
    ("offers", OfferOut),
    ("tasks", TaskOut),
    ("volunteers", VolunteerOut),
    ("households", HouseholdOut),
    ("messages", MessageOut),
    ("announcements", AnnouncementOut),
    ("alerts", AlertOut),
    ("signals", SignalOut),
):
    router.add_api_route(
        f"/{_name}",
        _lister(_name, _shape),
        methods=["GET"],
        response_model=Page[_shape],  # type: ignore[valid-type]
        name=f"admin_list_{_name}",
    )


@router.get("/tasks/{task_id}", response_model=TaskOut, responses=problems.ADMIN_RECORD)
def get_task(task_id: str, hub: HubDep, _who: ApiReader) -> TaskOut:
    return TaskOut.model_validate(tasks.find_task(hub, task_id))


@router.post(
    "/checkins/{checkin_id}/verify", response_model=CheckInOut, responses=problems.ADMIN_RECORD_WRITE
)
async def verify_checkin(checkin_id: str, hub: HubDep, who: ApiWriter) -> CheckInOut:
    """A coordinator confirms a resident's unverified check-in: the household counts as reached."""
    return CheckInOut.model_validate(await coordination.confirm_checkin(hub, checkin_id, actor=who.name))


@router.get("/tasks/{task_id}/offers", response_model=list[TaskOfferOut], responses=problems.ADMIN_RECORD)
def get_task_offers(task_id: str, hub: HubDep, _who: ApiReader) -> list[TaskOfferOut]:
    """Who was offered the task, when, and how each offer ended (oldest first)."""
    return [TaskOfferOut.model_validate(o) for o in tasks.task_offers(hub, task_id)]


@router.post("/alerts/{alert_id}/ack", response_model=AlertOut, responses=problems.ADMIN_RECORD_WRITE)
async def acknowledge_alert(alert_id: str, hub: HubDep, who: ApiWriter) -> AlertOut:
    """A coordinator has seen the SOS: 404 for an unknown id, 409 when acknowledged before."""
    return AlertOut.model_validate(await alerts.acknowledge_alert(hub, alert_id, actor=who.name))


@router.post("/volunteers", status_code=201, response_model=VolunteerOut, responses=problems.ADMIN_WRITE)
async def post_volunteer(body: VolunteerIn, hub: HubDep, who: ApiWriter) -> VolunteerOut:
    volunteer = await volunteers.register_volunteer(hub, body.name, body.node_id, body.skills, actor=who.name)
    return VolunteerOut.model_validate(volunteer)


@router.patch(
    "/volunteers/{volunteer_id}", response_model=VolunteerOut, responses=problems.ADMIN_RECORD_WRITE
)
async def patch_volunteer(
    volunteer_id: str, body: VolunteerPatch, hub: HubDep, who: ApiWriter
) -> VolunteerOut:
    volunteer = await volunteers.correct_volunteer(
        hub,
        volunteer_id,
        actor=who.name,
        name=body.name,
        node_id=body.node_id,
        skills=body.skills,
        available=body.available,
    )
    return VolunteerOut.model_validate(volunteer)


@router.delete("/volunteers/{volunteer_id}", status_code=204, responses=problems.ADMIN_RECORD_WRITE)
async def delete_volunteer(volunteer_id: str, hub: HubDep, who: ApiWriter) -> None:
    await volunteers.remove_volunteer(hub, volunteer_id, actor=who.name)


@router.post("/households", status_code=201, response_model=HouseholdOut, responses=problems.ADMIN_WRITE)
async def post_household(body: HouseholdIn, hub: HubDep, who: ApiWriter) -> HouseholdOut:
    data = HouseholdCreate(**body.model_dump(), registered_by="coordinator")

    return HouseholdOut.model_validate(await coordination.add_household(hub, data, actor=who.name))


@router.patch(
    "/households/{household_id}", response_model=HouseholdOut, responses=problems.ADMIN_RECORD_WRITE
)
async def patch_household(
    household_id: str, body: HouseholdPatch, hub: HubDep, who: ApiWriter
) -> HouseholdOut:
    fields = body.model_dump(exclude_unset=True)

    household = await coordination.change_household(hub, household_id, actor=who.name, **fields)
    return HouseholdOut.model_validate(household)


@router.delete("/households/{household_id}", status_code=204, responses=problems.ADMIN_RECORD_WRITE)
async def delete_household(household_id: str, hub: HubDep, who: ApiWriter) -> None:
    await coordination.remove_household(hub, household_id, actor=who.name)


@router.post("/tasks", status_code=201, response_model=TaskOut, responses=problems.ADMIN_WRITE)
async def post_task(body: TaskIn, hub: HubDep, who: ApiWriter) -> TaskOut:
    return TaskOut.model_validate(await tasks.new_task(hub, actor=who.name, **body.model_dump()))


@router.post("/tasks/{task_id}/assign", response_model=TaskOut, responses=problems.ADMIN_RECORD_WRITE)
async def assign_task(task_id: str, body: AssignIn, hub: HubDep, who: ApiWriter) -> TaskOut:
    return TaskOut.model_validate(await tasks.assign_task(hub, task_id, body.volunteer_id, actor=who.name))


@router.post("/tasks/{task_id}/accept", response_model=TaskOut, responses=problems.ADMIN_RECORD_WRITE)
async def accept_task(task_id: str, hub: HubDep, who: ApiWriter) -> TaskOut:
    return TaskOut.model_validate(await tasks.accept_task(hub, task_id, actor=who.name))


@router.post("/tasks/{task_id}/done", response_model=TaskOut, responses=problems.ADMIN_RECORD_WRITE)
async def done_task(task_id: str, hub: HubDep, who: ApiWriter) -> TaskOut:
    return TaskOut.model_validate(await tasks.finish_task(hub, task_id, actor=who.name))


@router.post("/tasks/{task_id}/fail", response_model=TaskOut, responses=problems.ADMIN_RECORD_WRITE)
async def fail_task(task_id: str, body: FailIn, hub: HubDep, who: ApiWriter) -> TaskOut:
    return TaskOut.model_validate(await tasks.fail_task(hub, task_id, actor=who.name, reason=body.reason))


@router.post(
    "/announcements", status_code=201, response_model=AnnouncementOut, responses=problems.ADMIN_WRITE
)
async def post_announcement(body: AnnouncementCreate, hub: HubDep, who: ApiWriter) -> AnnouncementOut:
    return AnnouncementOut.model_validate(await coordination.announce(hub, body, actor=who.name))


@router.post(
    "/announcements/{announcement_id}/withdraw",
    response_model=AnnouncementOut,
    responses=problems.ADMIN_RECORD_WRITE,
)
async def withdraw_announcement(announcement_id: str, hub: HubDep, who: ApiWriter) -> AnnouncementOut:
    """No longer shown from now; unsent radio parts are dropped, the channel hears it was withdrawn."""
    return AnnouncementOut.model_validate(await coordination.withdraw(hub, announcement_id, actor=who.name))


def _mode(state: ModeState) -> ModeOut:
    return ModeOut(mode=state.mode, since=state.since.isoformat() if state.since else None)


@router.get("/mode", response_model=ModeOut)
def get_mode_route(hub: HubDep, _who: ApiReader) -> ModeOut:
    return _mode(drills.current_mode(hub))


@router.put("/mode", response_model=ModeOut, responses=problems.ADMIN_WRITE)
async def put_mode(body: ModeIn, hub: HubDep, who: ApiWriter) -> ModeOut:
    return _mode(await drills.switch_mode(hub, body.mode, actor=who.name))
