"""What the admin forms change. Each form carries the session's CSRF token (``FormUser``)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError as PydanticError

from hub import i18n
from hub.errors import ValidationError
from hub.schemas import AnnouncementCreate, Consent, HouseholdCreate
from hub.services import coordination, drills, mesh_inbound, tasks, volunteers
from hub.web.admin.auth import FormUser
from hub.web.admin.common import act, back, page, refused
from hub.web.admin.schemas import TaskIn, VolunteerIn
from hub.web.deps import HubDep

router = APIRouter()
Text = Annotated[str, Form(max_length=2000)]
Flags = Annotated[list[str], Form()]


def _opt(value: str) -> str | None:
    return value.strip() or None


def _number(value: str, low: int, high: int) -> int | None:
    """A typed whole number from ``low`` to ``high``, ``None`` when empty; ``ValueError`` otherwise.

    Digits 0-9 only: ``²`` or ``-1`` are refused, not read as 2 or dropped.
    """
    text = value.strip()
    if not text:
        return None
    if not re.fullmatch(r"[0-9]{1,6}", text) or not low <= int(text) <= high:
        raise ValueError(f"not a number from {low} to {high}: {text!r}")
    return int(text)


def _skills(value: str) -> list[str]:
    """The volunteer form's comma-separated skills."""
    return [s.strip() for s in value.split(",") if s.strip()]


async def _delete(confirm: str, deletion: Callable[[], Awaitable[Any]], url: str) -> RedirectResponse:
    """Run a deletion only when its confirmation box was ticked."""
    if confirm != "yes":
        return back(url, error="confirm_deletion")
    return await act(deletion(), url, "deleted")


@router.post("/mode", response_model=None)
async def mode(
    request: Request,
    hub: HubDep,
    user: FormUser,
    mode: Text,
    back_to: Text = "/admin",
    confirmed: Text = "",
) -> RedirectResponse | HTMLResponse:
    """Switch the hub's mode. Crisis mode first says what it sets going and asks again: a tap on
    the wrong button at 3 a.m. must not start escalation and a crisis banner for the street."""
    target = back_to if back_to in ("/admin", "/admin/drill") else "/admin"
    if mode == "crisis" and confirmed != "yes":
        return page(
            request, "admin/confirm_crisis.html", user, back_url=target, hours=hub.settings.escalation_hours
        )
    return await act(drills.switch_mode(hub, mode, actor=user.name), target, "mode_changed")


@router.post("/tasks")
async def create_task(
    hub: HubDep,
    user: FormUser,
    kind: Text,
    address: Text = "",
    note: Text = "",
    send_note: Text = "",
    need_id: Text = "",
    household_id: Text = "",
    volunteer_id: Text = "",
    back_to: Text = "/admin/tasks",
) -> RedirectResponse:
    target = (
        back_to
        if back_to in ("/admin", "/admin/tasks", "/admin/needs", "/admin/households")
        else "/admin/tasks"
    )
    try:  # the API's rules: an address of at least 3 characters, no control characters, ...
        data = TaskIn(
            kind=kind,
            address=_opt(address),
            note=_opt(note),
            send_note=send_note == "yes",
            need_id=_opt(need_id),
            household_id=_opt(household_id),
            volunteer_id=_opt(volunteer_id),
        )
    except PydanticError as exc:
        return refused(target, exc)

    return await act(tasks.new_task(hub, actor=user.name, **data.model_dump()), target, "task_created")


@router.post("/tasks/{task_id}/assign")
async def assign(hub: HubDep, user: FormUser, task_id: str, volunteer_id: Text) -> RedirectResponse:
    if not volunteer_id.strip():
        return back("/admin/tasks", error="choose_volunteer")
    return await act(
        tasks.assign_task(hub, task_id, volunteer_id, actor=user.name), "/admin/tasks", "assigned"
    )


@router.post("/tasks/{task_id}/{step}")
async def step(hub: HubDep, user: FormUser, task_id: str, step: str, reason: Text = "") -> RedirectResponse:
    async def change() -> None:
        if step == "accept":
            await tasks.accept_task(hub, task_id, actor=user.name)
        elif step == "done":
            await tasks.finish_task(hub, task_id, actor=user.name)
        elif step == "fail":
            await tasks.fail_task(hub, task_id, actor=user.name, reason=_opt(reason))
        else:
            raise ValidationError("unknown step", "step")

    return await act(change(), "/admin/tasks", "task_updated")


@router.post("/volunteers")
async def add_volunteer(
    hub: HubDep, user: FormUser, name: Text, node_id: Text = "", skills: Text = ""
) -> RedirectResponse:
    if not name.strip():
        return back("/admin/volunteers", error="fill_in_name")
    try:  # the API's rules for the name and skills; the service reads "a1b2c3d4" as "!a1b2c3d4"
        data = VolunteerIn(name=name[:80], skills=_skills(skills))
    except PydanticError as exc:
        return refused("/admin/volunteers", exc)

    return await act(
        volunteers.register_volunteer(hub, data.name, _opt(node_id), data.skills, actor=user.name),
        "/admin/volunteers",
        "volunteer_added",
    )


@router.post("/volunteers/{volunteer_id}")
async def correct_volunteer(
    hub: HubDep,
    user: FormUser,
    volunteer_id: str,
    name: Text = "",
    node_id: Text = "",
    skills: Text = "",
    available: Text = "",
) -> RedirectResponse:
    change = volunteers.correct_volunteer(
        hub,
        volunteer_id,
        actor=user.name,
        name=_opt(name),
        node_id=node_id if node_id.strip() else None,
        skills=_skills(skills) if skills.strip() else None,
        available={"yes": True, "no": False}.get(available),
    )
    return await act(change, "/admin/volunteers", "saved")


@router.post("/volunteers/{volunteer_id}/delete")
async def delete_volunteer(
    hub: HubDep, user: FormUser, volunteer_id: str, confirm: Text = ""
) -> RedirectResponse:
    return await _delete(
        confirm,
        lambda: volunteers.remove_volunteer(hub, volunteer_id, actor=user.name),
        "/admin/volunteers",
    )


@router.post("/households")
async def add_household(
    hub: HubDep,
    user: FormUser,
    address: Text,
    consent_given_by: Text,
    special_attention: Flags,
    people: Text = "",
    contact: Text = "",
    note: Text = "",
    share_upstream: Text = "",
    buddy_volunteer_id: Text = "",
    share_partner: Flags = [],  # noqa: B006 (FastAPI copies a default)
    share_contact: Flags = [],  # noqa: B006
) -> RedirectResponse:
    try:
        count = _number(people, 1, 50)
    except ValueError:
        return back("/admin/households", error="people_wrong")
    if set(share_contact) - set(share_partner):
        return back("/admin/households", error="contact_without_consent")
    try:
        data = HouseholdCreate(
            address=address,
            special_attention=special_attention,
            consent=Consent(
                given_by=consent_given_by,
                share_upstream=share_upstream == "yes",
                share_partners=share_partner,
                share_contact=share_contact,
            ),
            people=count,
            contact=_opt(contact),
            note=_opt(note),
            registered_by="coordinator",
            buddy_volunteer_id=_opt(buddy_volunteer_id),
        )
    except PydanticError as exc:
        return refused("/admin/households", exc)
    return await act(coordination.add_household(hub, data, actor=user.name), "/admin/households", "saved")


@router.post("/households/{household_id}")
async def correct_household(
    hub: HubDep,
    user: FormUser,
    household_id: str,
    address: Text,
    special_attention: Flags,
    people: Text = "",
    contact: Text = "",
    note: Text = "",
    buddy_volunteer_id: Text = "",
) -> RedirectResponse:
    try:
        count = _number(people, 1, 50)
    except ValueError:
        return back("/admin/households", error="people_wrong")
    fields = {
        "address": address,
        "special_attention": special_attention,
        "people": count,
        "contact": _opt(contact),
        "note": _opt(note),
        "buddy_volunteer_id": _opt(buddy_volunteer_id),
    }
    return await act(
        coordination.change_household(hub, household_id, actor=user.name, **fields),
        "/admin/households",
        "saved",
    )


@router.post("/households/{household_id}/delete")
async def delete_household(
    hub: HubDep, user: FormUser, household_id: str, confirm: Text = ""
) -> RedirectResponse:
    return await _delete(
        confirm,
        lambda: coordination.remove_household(hub, household_id, actor=user.name),
        "/admin/households",
    )


def translations_from(form: Mapping[str, object]) -> dict[str, dict[str, str]]:
    """``title_xx`` / ``body_xx`` fields of the announcement form, per language (not Dutch).

    A language counts only with both a title and a text; half a translation would show a
    visitor a Dutch body under a title in their language.
    """
    found: dict[str, dict[str, str]] = {}
    for code in i18n.LANGUAGES:
        title, body = (str(form.get(f"{part}_{code}") or "").strip() for part in ("title", "body"))
        if code != "nl" and title and body:
            found[code] = {"title": title[:120], "body": body[:2000]}
    return found


@router.post("/announcements")
async def announce(
    request: Request,
    hub: HubDep,
    user: FormUser,
    title: Text,
    body: Text,
    priority: Text = "info",
    expires_hours: Text = "",
    channels: Flags = [],  # noqa: B006 (FastAPI copies defaults)
) -> RedirectResponse:
    try:
        hours = _number(expires_hours, 1, 8760)
    except ValueError:
        return back("/admin/announcements", error="hours_wrong")
    try:
        data = AnnouncementCreate(
            title=title,
            body=body,
            priority=priority,
            send_mesh="mesh" in channels,
            send_upstream="upstream" in channels,
            expires_at=datetime.now(UTC) + timedelta(hours=hours) if hours else None,
            translations=translations_from(await request.form()),
        )
    except PydanticError as exc:
        return refused("/admin/announcements", exc)
    return await act(coordination.announce(hub, data, actor=user.name), "/admin/announcements", "published")


@router.post("/announcements/{announcement_id}/withdraw")
async def withdraw_announcement(hub: HubDep, user: FormUser, announcement_id: str) -> RedirectResponse:
    change = coordination.withdraw(hub, announcement_id, actor=user.name)
    return await act(change, "/admin/announcements", "withdrawn")


@router.post("/messages/{message_id}/handled")
async def message_handled(hub: HubDep, user: FormUser, message_id: str) -> RedirectResponse:
    """A coordinator has dealt with a handset's message: it leaves the to-do colour."""
    return await act(
        mesh_inbound.message_handled(hub, message_id, actor=user.name), "/admin/messages", "handled"
    )


@router.post("/checkins/{checkin_id}/verify")
async def checkin_verify(
    hub: HubDep, user: FormUser, checkin_id: str, back_to: Text = "/admin/households"
) -> RedirectResponse:
    """A coordinator confirms a resident's unverified check-in (phoned, or saw them)."""
    target = back_to if back_to in ("/admin", "/admin/households") else "/admin/households"
    return await act(
        coordination.confirm_checkin(hub, checkin_id, actor=user.name), target, "checkin_verified"
    )


@router.post("/drill/{what}")
async def drill(hub: HubDep, user: FormUser, what: str, confirm: Text = "") -> RedirectResponse:
    if what == "start":
        return await act(drills.switch_mode(hub, "drill", actor=user.name), "/admin/drill", "drill_started")
    if what == "stop":
        return await act(drills.switch_mode(hub, "normal", actor=user.name), "/admin/drill", "drill_ended")
    if what == "wipe":
        if confirm != "yes":
            return back("/admin/drill", error="confirm")
        return await act(drills.wipe_drill(hub, actor=user.name), "/admin/drill", "drill_wiped")
    return back("/admin/drill", error="unknown_action")
