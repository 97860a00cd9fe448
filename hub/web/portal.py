"""The resident portal: plain HTML forms, no JavaScript, no account.

Every form carries a one-time token made when the form is shown; it is the submission's
idempotency key, so pressing "Send" twice stores one record and shows one confirmation. After
saving, the browser is sent (303) to ``/bedankt/{kind}/{id}?t={token}``: that page shows the
record only to whoever holds its token, never anyone else's data.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException

from hub import i18n
from hub.domain import preparedness
from hub.domain.clock import as_utc
from hub.errors import Conflict, StorageUnavailable, WrongHouseholdCode
from hub.i18n import gettext as _
from hub.schemas import (
    AnnouncementPublic,
    CheckInCreate,
    Created,
    HouseholdCreate,
    NeedCreate,
    OfferCreate,
    SelfCheckCreate,
    SignalCreate,
    VolunteerOfferCreate,
)
from hub.services import address_matching, board, overview, partners, submissions
from hub.services.store import Store
from hub.web import portal_forms as forms
from hub.web.api import count_submission
from hub.web.code_guesses import CodeGuesses
from hub.web.deps import HubDep, client_ip
from hub.web.templating import render, request_language

log = logging.getLogger(__name__)

NO_STORE = {"Cache-Control": "no-store"}
MAX_FIELDS = 40


class PortalRoute(APIRoute):
    """Answers a database that cannot be read or written with a plain 503 page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except StorageUnavailable as exc:
                log.error("portal: storage unavailable: %s", exc)
                return render(
                    request,
                    "portal/message.html",
                    status_code=503,
                    headers={"Retry-After": "30", **NO_STORE},
                    mode="normal",
                    message="unavailable",
                )

        return guarded


router = APIRouter(include_in_schema=False, route_class=PortalRoute)


def page(
    request: Request,
    hub: HubDep,
    template: str,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """A portal page; every page knows the hub's mode (crisis and drill banners)."""
    mode = overview.mode(hub.store)
    return render(request, template, status_code=status_code, headers=headers, mode=mode, **context)


# --- reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnnouncementView:
    """An announcement as one visitor sees it: in their language when a translation exists."""

    title: str
    body: str
    priority: str
    lang: str
    untranslated: bool
    when: str
    drill: bool  # an exercise: marked as such, never shown as real news


def show_announcement(announcement: AnnouncementPublic, lang: str) -> AnnouncementView:
    translation = announcement.translations.get(lang) or {}
    with i18n.using(lang):
        when = i18n.day_and_time(as_utc(announcement.created_at).astimezone())
    if lang != "nl" and translation.get("title") and translation.get("body"):
        title, body, shown_lang = translation["title"], translation["body"], lang
    else:
        title, body, shown_lang = announcement.title, announcement.body, "nl"
    return AnnouncementView(
        title=title,
        body=body,
        priority=announcement.priority,
        lang=shown_lang,
        untranslated=shown_lang != lang,
        when=when,
        drill=announcement.drill,
    )


@dataclass(frozen=True)
class ActivityShown:
    """A coming activity or drill, its time in the visitor's language."""

    kind: str
    title: str
    when: str
    place: str
    text: str


def show_activity(activity: board.ActivityView, lang: str) -> ActivityShown:
    with i18n.using(lang):
        when = i18n.day_and_time(activity.starts_at.astimezone())
    return ActivityShown(activity.kind, activity.title, when, activity.place, activity.text)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, hub: HubDep) -> HTMLResponse:
    """In a crisis or drill: check in first. In normal times: the neighbourhood's board."""
    lang = request_language(request)
    front = overview.front_page(hub.store, limit=5)
    mode = overview.mode(hub.store)
    coming = board.coming_activities(hub) if mode == "normal" else []
    return render(
        request,
        "portal/board.html" if mode == "normal" else "portal/home.html",
        mode=mode,
        announcements=[show_announcement(a, lang) for a in front.announcements],
        board=front.figures,
        needs=forms.NEEDS,
        activities=[show_activity(a, lang) for a in coming],
    )


@router.get("/announcements", response_class=HTMLResponse)
def announcement_list(request: Request, hub: HubDep) -> HTMLResponse:
    lang = request_language(request)
    active = overview.active_announcements(hub.store, shown=True)
    return page(
        request, hub, "portal/announcements.html", announcements=[show_announcement(a, lang) for a in active]
    )


@router.get("/privacy", response_class=HTMLResponse)
def privacy(request: Request, hub: HubDep) -> HTMLResponse:
    return page(request, hub, "portal/privacy.html", share=hub.settings.sync_share)


# --- forms --------------------------------------------------------------------------------


Saver = Callable[[Store, BaseModel, str], Coroutine[Any, Any, Created]]


async def _save_checkin(store: Store, data: BaseModel, key: str) -> Created:
    assert isinstance(data, CheckInCreate)
    return await submissions.check_in(store, data, source="portal", key=key)


async def _save_need(store: Store, data: BaseModel, key: str) -> Created:
    assert isinstance(data, NeedCreate)
    return await submissions.report_need(store, data, source="portal", key=key)


async def _save_offer(store: Store, data: BaseModel, key: str) -> Created:
    assert isinstance(data, OfferCreate)
    return await submissions.offer_help(store, data, key=key)


async def _save_household(store: Store, data: BaseModel, key: str) -> Created:
    assert isinstance(data, HouseholdCreate)
    return await submissions.register_household(store, data, key=key)


async def _save_signal(store: Store, data: BaseModel, key: str) -> Created:
    assert isinstance(data, SignalCreate)
    return await submissions.report_signal(store, data, source="portal", key=key)


async def _save_selfcheck(store: Store, data: BaseModel, key: str) -> Created:
    assert isinstance(data, SelfCheckCreate)
    return await board.save_self_check(store, data, key=key)


async def _save_volunteer(store: Store, data: BaseModel, key: str) -> Created:
    assert isinstance(data, VolunteerOfferCreate)
    return await board.offer_to_volunteer(store, data, key=key)


@dataclass(frozen=True)
class PortalForm:
    kind: str
    path: str
    template: str
    save: Saver


PORTAL_FORMS: dict[str, PortalForm] = {
    form.kind: form
    for form in (
        PortalForm("checkin", "/checkin", "portal/checkin.html", _save_checkin),
        PortalForm("need", "/need", "portal/need.html", _save_need),
        PortalForm("offer", "/offer", "portal/offer.html", _save_offer),
        PortalForm("household", "/register", "portal/register.html", _save_household),
        PortalForm("signal", "/signal", "portal/signal.html", _save_signal),
        PortalForm("selfcheck", "/selfcheck", "portal/selfcheck.html", _save_selfcheck),
        PortalForm("volunteer", "/volunteer", "portal/volunteer.html", _save_volunteer),
    )
}

CHOICES: dict[str, Any] = {
    "statuses": forms.STATUSES,
    "needs": forms.NEEDS,
    "urgencies": forms.URGENCIES,
    "offers": forms.OFFERS,
    "attention": forms.ATTENTION,
    "registered_by": forms.REGISTERED_BY,
    "signal_categories": forms.SIGNALS,
    "dangers": forms.DANGER,
    "kit": forms.KIT,
    "neighbour_questions": forms.NEIGHBOUR_QUESTIONS,
    "handsets": forms.HANDSET,
}


def form_page(
    request: Request,
    hub: HubDep,
    form: PortalForm,
    *,
    token: str | None = None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    problem: str = "",
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    return page(
        request,
        hub,
        form.template,
        status_code=status_code,
        headers={**NO_STORE, **(headers or {})},
        token=token or forms.new_token(),
        values=values or {},
        errors=errors or {},
        problem=problem,
        address_suggestions=address_matching.suggestions(hub.store),
        partners=partners.partners(hub) if form.kind == "household" else [],
        **CHOICES,
    )


def _kept(form_data: FormData) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The text fields as sent (first value of each), and every value of each."""
    first: dict[str, str] = {}
    lists: dict[str, list[str]] = {}
    for name, value in form_data.multi_items():
        if isinstance(value, str):
            first.setdefault(name, value)
            lists.setdefault(name, []).append(value)
    return first, lists


async def _read_fields(request: Request) -> forms.Fields | None:
    try:
        async with request.form(max_files=0, max_fields=MAX_FIELDS) as form_data:
            first, lists = _kept(form_data)
    except (StarletteHTTPException, ValueError, UnicodeError):  # a broken body: not a form at all
        return None
    return forms.Fields(first, lists)


async def submit(request: Request, hub: HubDep, form: PortalForm) -> Response:
    if not request.app.state.rate_limiter.allow(client_ip(request)):
        return page(
            request,
            hub,
            "portal/message.html",
            status_code=429,
            headers={"Retry-After": "60", **NO_STORE},
            message="busy",
        )
    lang = request_language(request)
    fields = await _read_fields(request)
    with i18n.using(lang):
        if fields is None:
            return form_page(
                request,
                hub,
                form,
                problem=_("The form did not arrive whole. Fill it in again."),
                status_code=400,
            )
        values = {
            **fields.values(),
            "special_attention": fields.many("special_attention"),
            "share_partner": fields.many("share_partner"),
            "share_contact": fields.many("share_contact"),
            "items": fields.many("items"),
        }
        token = fields.text("token")
        if not forms.valid_token(token):
            return form_page(
                request,
                hub,
                form,
                values=values,
                problem=_("This form is out of date. Check your answers and press Send again."),
                status_code=400,
            )
        try:
            data = forms.read_form(forms.FORMS[form.kind], fields)
        except forms.FormErrors as exc:
            return form_page(
                request, hub, form, token=token, values=values, errors=exc.fields, status_code=422
            )
        guesses: CodeGuesses = request.app.state.code_guesses
        code_at = data.address if isinstance(data, CheckInCreate) and data.code else None
        if code_at is not None and (wait := guesses.refused(client_ip(request), code_at)):
            return form_page(
                request,
                hub,
                form,
                token=token,
                values=values,
                errors={
                    "code": _("Too many wrong household codes. Wait 15 minutes, or send without the code.")
                },
                status_code=429,
                headers={"Retry-After": str(wait)},
            )
        try:
            record = await form.save(hub.store, data, f"form:{token}")
        except WrongHouseholdCode:
            assert code_at is not None
            guesses.wrong(client_ip(request), code_at)
            message = _(
                "This household code does not match this address. Check the card, or leave the field empty."
            )
            return form_page(
                request, hub, form, token=token, values=values, errors={"code": message}, status_code=422
            )
        except StorageUnavailable as exc:
            log.error("portal: %s not saved: %s", form.kind, exc)
            return form_page(
                request,
                hub,
                form,
                token=token,
                values=values,
                problem=_("Not saved. The hub cannot save right now. Wait a minute and press Send again."),
                status_code=503,
                headers={"Retry-After": "30"},
            )
        except Conflict:
            return form_page(
                request,
                hub,
                form,
                values=values,
                problem=_("This form is out of date. Check your answers and press Send again."),
                status_code=409,
            )
    count_submission(hub, form.kind)
    record_id = record.id
    return RedirectResponse(f"/bedankt/{form.kind}/{record_id}?t={token}&lang={lang}", status_code=303)


def _form_routes(form: PortalForm) -> None:
    async def show(request: Request, hub: HubDep) -> HTMLResponse:
        # "Register a neighbour" on the home page opens the household form for a neighbour
        for_neighbour = form.kind == "household" and request.query_params.get("for") == "neighbour"
        return form_page(request, hub, form, values={"registered_by": "neighbour"} if for_neighbour else None)

    async def post(request: Request, hub: HubDep) -> Response:
        return await submit(request, hub, form)

    router.add_api_route(
        form.path, show, methods=["GET"], response_class=HTMLResponse, name=f"{form.kind}_form"
    )
    router.add_api_route(form.path, post, methods=["POST"], name=f"{form.kind}_submit")


for _form in PORTAL_FORMS.values():
    _form_routes(_form)


@router.get("/bedankt/{kind}/{record_id}", response_class=HTMLResponse)
def confirmation(request: Request, hub: HubDep, kind: str, record_id: str) -> HTMLResponse:
    """What was just saved, for the holder of the form's token only."""
    token = request.query_params.get("t", "")
    form = PORTAL_FORMS.get(kind)
    record: Any = None
    if form is not None and forms.valid_token(token):
        record = _receipt(hub, kind, record_id, f"form:{token}")
    if form is None or record is None:
        return page(
            request, hub, "portal/message.html", status_code=404, headers=NO_STORE, message="not_found"
        )
    return page(
        request,
        hub,
        "portal/thanks.html",
        headers=NO_STORE,
        kind=kind,
        record=record,
        address_check=address_matching.check_address(hub.store, record.address) if record.address else None,
        form_path=form.path,
        label=label,
        token=token,
        kit=forms.KIT,
    )


def _receipt(hub: HubDep, kind: str, record_id: str, key: str) -> Any:
    if kind == "selfcheck":
        return board.self_check_receipt(hub.store, record_id, key)
    if kind == "volunteer":
        return board.volunteer_offer_receipt(hub.store, record_id, key)
    return submissions.receipt(hub.store, kind, record_id, key)


@router.get("/selfcheck/print", response_class=HTMLResponse)
def self_check_print(request: Request, hub: HubDep) -> HTMLResponse:
    """The kit list on paper: the sender's own answers (``?id=`` with its token ``t``), or empty."""
    record_id, token = request.query_params.get("id", ""), request.query_params.get("t", "")
    record = None
    if record_id:
        if forms.valid_token(token):
            record = board.self_check_receipt(hub.store, record_id, f"form:{token}")
        if record is None:
            return page(
                request, hub, "portal/message.html", status_code=404, headers=NO_STORE, message="not_found"
            )
    return page(
        request,
        hub,
        "portal/selfcheck_print.html",
        headers=NO_STORE,
        record=record,
        kit=forms.KIT,
        water=preparedness.water_litres(record.people if record else None),
    )


def label(group: str, value: str) -> str:
    """A vocabulary value in the page's words (the value itself when it has no label)."""
    return _(forms.LABELS.get(group, {}).get(value, value))
