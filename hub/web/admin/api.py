"""The admin JSON API of DESIGN.md (``/api/v1/admin``): session cookie or bearer token."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlmodel import Session, SQLModel, col, select

from hub.models import Alert, Announcement, CheckIn, Household, MeshMessage, Need, Offer, Task, Volunteer
from hub.schemas import AnnouncementCreate, HouseholdCreate
from hub.services import alerts, coordination, drills, tasks, volunteers
from hub.services.state import get_mode, mode_since
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


def paginate(
    session: Session, model: type[SQLModel], shape: type[Out], limit: int, cursor: str | None
) -> Page[Out]:
    """Newest first by ``pk``; ``next`` is the cursor for the following page (``None``: the end)."""
    pk = col(model.pk)  # type: ignore[attr-defined]
    query = select(model).order_by(pk.desc()).limit(limit + 1)
    if cursor is not None:
        query = query.where(pk < int(cursor))
    rows = list(session.exec(query).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return Page[shape](  # type: ignore[valid-type]
        items=[shape.model_validate(row, from_attributes=True) for row in rows],
        next=str(rows[-1].pk) if more and rows else None,  # type: ignore[attr-defined]
    )


def _lister(model: type[SQLModel], shape: type[Out]) -> Callable[..., Page[Out]]:
    def list_records(hub: HubDep, _who: ApiReader, limit: Limit = 100, cursor: Cursor = None) -> Page[Out]:
        with hub.db.read() as session:
            return paginate(session, model, shape, limit, cursor)

    return list_records


for _name, _model, _shape in (
    ("checkins", CheckIn, CheckInOut),
    ("needs", Need, NeedOut),
    ("offers", Offer, OfferOut),
    ("tasks", Task, TaskOut),
    ("volunteers", Volunteer, VolunteerOut),
    ("households", Household, HouseholdOut),
    ("messages", MeshMessage, MessageOut),
    ("announcements", Announcement, AnnouncementOut),
    ("alerts", Alert, AlertOut),
):
    router.add_api_route(
        f"/{_name}",
        _lister(_model, _shape),
        methods=["GET"],
        response_model=Page[_shape],  # type: ignore[valid-type]
        name=f"admin_list_{_name}",
    )


@router.get("/tasks/{task_id}", response_model=TaskOut, responses=problems.ADMIN_RECORD)
def get_task(task_id: str, hub: HubDep, _who: ApiReader) -> TaskOut:
    with hub.db.read() as session:
        return TaskOut.model_validate(tasks.get_task(session, task_id))


@router.post(
    "/checkins/{checkin_id}/verify", response_model=CheckInOut, responses=problems.ADMIN_RECORD_WRITE
)
async def verify_checkin(checkin_id: str, hub: HubDep, who: ApiWriter) -> CheckInOut:
    """A coordinator confirms a resident's unverified check-in: the household counts as reached."""
    return CheckInOut.model_validate(
        await hub.db.writer.run(lambda s: coordination.verify_checkin(s, hub.ctx, checkin_id, actor=who.name))
    )


@router.get("/tasks/{task_id}/offers", response_model=list[TaskOfferOut], responses=problems.ADMIN_RECORD)
def get_task_offers(task_id: str, hub: HubDep, _who: ApiReader) -> list[TaskOfferOut]:
    """Who was offered the task, when, and how each offer ended (oldest first)."""
    with hub.db.read() as session:
        task = tasks.get_task(session, task_id)
        return [TaskOfferOut.model_validate(o) for o in tasks.offers_of(session, task.id)]


@router.post("/alerts/{alert_id}/ack", response_model=AlertOut, responses=problems.ADMIN_RECORD_WRITE)
async def acknowledge_alert(alert_id: str, hub: HubDep, who: ApiWriter) -> AlertOut:
    """A coordinator has seen the SOS: 404 for an unknown id, 409 when acknowledged before."""
    return AlertOut.model_validate(
        await hub.db.writer.run(lambda s: alerts.acknowledge(s, hub.ctx, alert_id, actor=who.name))
    )


@router.post("/volunteers", status_code=201, response_model=VolunteerOut, responses=problems.ADMIN_WRITE)
async def post_volunteer(body: VolunteerIn, hub: HubDep, who: ApiWriter) -> VolunteerOut:
    def job(session: Session) -> Volunteer:
        return volunteers.register(session, hub.ctx, body.name, body.node_id, body.skills, actor=who.name)

    return VolunteerOut.model_validate(await hub.db.writer.run(job))


@router.patch(
    "/volunteers/{volunteer_id}", response_model=VolunteerOut, responses=problems.ADMIN_RECORD_WRITE
)
async def patch_volunteer(
    volunteer_id: str, body: VolunteerPatch, hub: HubDep, who: ApiWriter
) -> VolunteerOut:
    def job(session: Session) -> Volunteer:
        return volunteers.correct(
            session,
            hub.ctx,
            volunteer_id,
            actor=who.name,
            name=body.name,
            node_id=body.node_id,
            skills=body.skills,
            available=body.available,
        )

    return VolunteerOut.model_validate(await hub.db.writer.run(job))


@router.delete("/volunteers/{volunteer_id}", status_code=204, responses=problems.ADMIN_RECORD_WRITE)
async def delete_volunteer(volunteer_id: str, hub: HubDep, who: ApiWriter) -> None:
    await hub.db.writer.run(lambda s: volunteers.delete_volunteer(s, hub.ctx, volunteer_id, actor=who.name))


@router.post("/households", status_code=201, response_model=HouseholdOut, responses=problems.ADMIN_WRITE)
async def post_household(body: HouseholdIn, hub: HubDep, who: ApiWriter) -> HouseholdOut:
    data = HouseholdCreate(**body.model_dump(), registered_by="coordinator")

    def job(session: Session) -> Household:
        return coordination.register_household(session, hub.ctx, data, actor=who.name)

    return HouseholdOut.model_validate(await hub.db.writer.run(job))


@router.patch(
    "/households/{household_id}", response_model=HouseholdOut, responses=problems.ADMIN_RECORD_WRITE
)
async def patch_household(
    household_id: str, body: HouseholdPatch, hub: HubDep, who: ApiWriter
) -> HouseholdOut:
    fields = body.model_dump(exclude_unset=True)

    def job(session: Session) -> Household:
        return coordination.correct_household(session, hub.ctx, household_id, actor=who.name, **fields)

    return HouseholdOut.model_validate(await hub.db.writer.run(job))


@router.delete("/households/{household_id}", status_code=204, responses=problems.ADMIN_RECORD_WRITE)
async def delete_household(household_id: str, hub: HubDep, who: ApiWriter) -> None:
    await hub.db.writer.run(lambda s: coordination.delete_household(s, hub.ctx, household_id, actor=who.name))


@router.post("/tasks", status_code=201, response_model=TaskOut, responses=problems.ADMIN_WRITE)
async def post_task(body: TaskIn, hub: HubDep, who: ApiWriter) -> TaskOut:
    def job(session: Session) -> Task:
        return tasks.create_task(session, hub.ctx, actor=who.name, **body.model_dump())

    return TaskOut.model_validate(await hub.db.writer.run(job))


@router.post("/tasks/{task_id}/assign", response_model=TaskOut, responses=problems.ADMIN_RECORD_WRITE)
async def assign_task(task_id: str, body: AssignIn, hub: HubDep, who: ApiWriter) -> TaskOut:
    def job(session: Session) -> Task:
        return tasks.assign(session, hub.ctx, task_id, body.volunteer_id, actor=who.name)

    return TaskOut.model_validate(await hub.db.writer.run(job))


@router.post("/tasks/{task_id}/accept", response_model=TaskOut, responses=problems.ADMIN_RECORD_WRITE)
async def accept_task(task_id: str, hub: HubDep, who: ApiWriter) -> TaskOut:
    return TaskOut.model_validate(
        await hub.db.writer.run(lambda s: tasks.accept(s, hub.ctx, task_id, actor=who.name))
    )


@router.post("/tasks/{task_id}/done", response_model=TaskOut, responses=problems.ADMIN_RECORD_WRITE)
async def done_task(task_id: str, hub: HubDep, who: ApiWriter) -> TaskOut:
    return TaskOut.model_validate(
        await hub.db.writer.run(lambda s: tasks.done(s, hub.ctx, task_id, actor=who.name))
    )


@router.post("/tasks/{task_id}/fail", response_model=TaskOut, responses=problems.ADMIN_RECORD_WRITE)
async def fail_task(task_id: str, body: FailIn, hub: HubDep, who: ApiWriter) -> TaskOut:
    def job(session: Session) -> Task:
        return tasks.fail(session, hub.ctx, task_id, actor=who.name, reason=body.reason)

    return TaskOut.model_validate(await hub.db.writer.run(job))


@router.post(
    "/announcements", status_code=201, response_model=AnnouncementOut, responses=problems.ADMIN_WRITE
)
async def post_announcement(body: AnnouncementCreate, hub: HubDep, who: ApiWriter) -> AnnouncementOut:
    def job(session: Session) -> Announcement:
        return coordination.publish_announcement(session, hub.ctx, body, actor=who.name)

    return AnnouncementOut.model_validate(await hub.db.writer.run(job))


def _mode(session: Session) -> ModeOut:
    since = mode_since(session)
    return ModeOut(mode=get_mode(session), since=since.isoformat() if since else None)


@router.get("/mode", response_model=ModeOut)
def get_mode_route(hub: HubDep, _who: ApiReader) -> ModeOut:
    with hub.db.read() as session:
        return _mode(session)


@router.put("/mode", response_model=ModeOut, responses=problems.ADMIN_WRITE)
async def put_mode(body: ModeIn, hub: HubDep, who: ApiWriter) -> ModeOut:
    def job(session: Session) -> ModeOut:
        drills.set_mode(session, hub.ctx, body.mode, actor=who.name)
        return _mode(session)

    return await hub.db.writer.run(job)
