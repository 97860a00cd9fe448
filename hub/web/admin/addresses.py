"""The address register in the admin: the upload, readiness per section, the map, an address.

Pages for coordinators and viewers; the upload is a coordinator's form. Everything comes from
the services (``address_register``, ``readiness``, ``address_views``) as plain values.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hub import i18n
from hub.domain import preparedness
from hub.domain import readiness as rules
from hub.domain.address_map import CRISIS, NORMAL, DotStatus, count_by_status, render_map
from hub.domain.address_register import MAX_FILE_BYTES
from hub.errors import FileRefused, HubError, ValidationError
from hub.services import address_register, address_views, board, readiness
from hub.web.admin.auth import FormUser, PageUser
from hub.web.admin.common import NO_STORE, back, page, refused
from hub.web.deps import HubDep
from hub.web.templating import request_language

router = APIRouter()


def N_(message: str) -> str:
    return message


# The legend's words (``hub.domain.address_map.STYLES`` has them in English), for the catalogs.
MAP_WORDS: dict[DotStatus, str] = {
    DotStatus.OK: N_("OK"),
    DotStatus.HELP: N_("help"),
    DotStatus.SILENT: N_("not heard from"),
    DotStatus.SPECIAL_UNREACHED: N_("special attention, not reached"),
    DotStatus.TASK: N_("task under way"),
    DotStatus.SPECIAL_NO_BUDDY: N_("special attention, no buddy"),
    DotStatus.SPECIAL_BUDDY: N_("special attention, with buddy"),
    DotStatus.REGISTERED: N_("registered"),
    DotStatus.UNKNOWN: N_("nothing registered"),
}


def _addresses_page(
    request: Request, hub: HubDep, user: PageUser, problems: tuple[str, ...] = (), status_code: int = 200
) -> HTMLResponse:
    return page(
        request,
        "admin/addresses.html",
        user,
        status_code=status_code,
        size=address_register.register_size(hub.store),
        problems=problems,
        max_mb=MAX_FILE_BYTES // 1024 // 1024,
    )


@router.get("/addresses", response_class=HTMLResponse)
def addresses(request: Request, hub: HubDep, user: PageUser) -> HTMLResponse:
    return _addresses_page(request, hub, user)


@router.post("/addresses", response_model=None)
async def upload(
    request: Request, hub: HubDep, user: FormUser, file: Annotated[UploadFile, File()]
) -> HTMLResponse | RedirectResponse:
    data = await file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        problems = (f"the file is larger than {MAX_FILE_BYTES // 1024 // 1024} MB",)
        return _addresses_page(request, hub, user, problems, status_code=413)
    try:
        address_register.import_file(hub.store, data, actor=user.name)
    except FileRefused as exc:
        return _addresses_page(request, hub, user, exc.problems, status_code=422)
    except HubError as exc:
        return refused("/admin/addresses", exc)
    return back("/admin/addresses", ok="addresses_imported")


@router.get("/readiness", response_class=HTMLResponse)
def readiness_page(request: Request, hub: HubDep, user: PageUser) -> HTMLResponse:
    rows = readiness.section_readiness(hub.store)
    return page(
        request,
        "admin/readiness.html",
        user,
        rows=rows,
        coverage=readiness.street_coverage(hub.store),
        contacts=readiness.contacts(hub.store),
        marks={rules.NO_CONTACT, rules.WITHOUT_BUDDY, rules.NO_HANDSET},
        unsectioned=rules.UNSECTIONED,
        self_checks=board.self_check_figures(hub),
        answers=preparedness.ANSWERS,
        apart={preparedness.NOT_IN_REGISTER, preparedness.NO_ADDRESS},
    )


Text = Annotated[str, Form(max_length=80)]


def _house_number(text: str) -> int | None:
    """A typed house number, ``None`` when empty; :class:`ValidationError` when it is none."""
    text = text.strip()
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 99_999:
        raise ValidationError("a house number is a whole number from 1 to 99999", "number_from")
    return int(text)


@router.post("/sections")
async def add_section(
    hub: HubDep,
    user: FormUser,
    name: Text,
    street: Text,
    number_from: Text = "",
    number_to: Text = "",
    contact: Text = "",
) -> RedirectResponse:
    try:
        low, high = _house_number(number_from), _house_number(number_to)
        readiness.define_section(hub.store, name, street, low, high, contact or None, actor=user.name)
    except HubError as exc:
        return refused("/admin/readiness", exc)
    return back("/admin/readiness", ok="section_added")


@router.get("/readiness.csv")
def readiness_csv(hub: HubDep, user: PageUser) -> Response:
    checks = {f.section: preparedness.csv_cells(f) for f in board.self_check_figures(hub)}
    content = rules.readiness_csv(readiness.section_readiness(hub.store), preparedness.csv_columns(), checks)
    headers = {**NO_STORE, "Content-Disposition": 'attachment; filename="readiness.csv"'}
    return Response(content, media_type="text/csv; charset=utf-8", headers=headers)


def _map(request: Request, hub: HubDep) -> tuple[str, dict[str, int], str]:
    data = address_views.map_data(hub.store)
    shown = NORMAL if data.mode == "normal" else CRISIS
    with i18n.using(request_language(request, i18n.ADMIN_LANGUAGES)):
        words = {status: i18n.gettext(MAP_WORDS[status]) for status in shown}
        title = i18n.gettext("Map of the neighbourhood")
    svg = render_map(data.dots, title=title, statuses=shown, labels=words)
    counts = count_by_status(svg)
    return svg, {words[s]: counts[s] for s in shown}, data.mode


@router.get("/map", response_class=HTMLResponse)
def map_page(request: Request, hub: HubDep, user: PageUser) -> HTMLResponse:
    svg, counts, mode = _map(request, hub)
    return page(request, "admin/map.html", user, svg=svg, counts=counts, mode=mode)


@router.get("/addresses/{pk}", response_class=HTMLResponse)
def address(request: Request, hub: HubDep, user: PageUser, pk: int) -> HTMLResponse:
    found = address_views.address_page(hub.store, pk) if 0 < pk < 2**62 else None
    if found is None:
        return page(
            request, "admin/problem.html", user, status_code=404, error="not_found", back_url="/admin/map"
        )
    return page(request, "admin/address.html", user, a=found)
