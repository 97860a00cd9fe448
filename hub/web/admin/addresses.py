"""The address register in the admin: the upload, readiness per section, the map, an address.

Pages for coordinators and viewers; the upload is a coordinator's form. Everything comes from
the services (``address_register``, ``readiness``, ``address_views``) as plain values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hub import i18n
from hub.domain import preparedness
from hub.domain import readiness as rules
from hub.domain.address_map import CRISIS, NORMAL, DotStatus, MapDot, count_by_status, render_map
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


# ``?paper=a4`` or ``a3``: the page with that paper's print stylesheet (``web/static/paper-*.css``).
Paper = Annotated[
    Literal["a4", "a3"] | None, Query(description="Lay the page out for printing on this paper")
]


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
    language = request_language(request, i18n.ADMIN_LANGUAGES)
    if len(data) > MAX_FILE_BYTES:
        with i18n.using(language):
            too_big = i18n.gettext("the file is larger than %(mb)s MB") % {
                "mb": MAX_FILE_BYTES // 1024 // 1024
            }
        return _addresses_page(request, hub, user, (too_big,), status_code=413)
    try:
        address_register.import_file(hub.store, data, actor=user.name)
    except FileRefused as exc:
        with i18n.using(language):  # each bad line with its number, in the admin's language
            problems = address_register.problem_lines(exc, i18n.gettext)
        return _addresses_page(request, hub, user, problems, status_code=422)
    except HubError as exc:
        return refused("/admin/addresses", exc)
    return back("/admin/addresses", ok="addresses_imported")


@router.get("/readiness", response_class=HTMLResponse)
def readiness_page(request: Request, hub: HubDep, user: PageUser, paper: Paper = None) -> HTMLResponse:
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
        paper=paper,
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


@router.get("/print/silent", response_class=HTMLResponse)
def print_silent(
    request: Request, hub: HubDep, user: PageUser, street: Annotated[str, Query(max_length=80)] = ""
) -> HTMLResponse:
    """The door-knock list widened to a whole street: every register address of ``street`` not
    heard from since the mode began, in walking order, to print (the coverage table links here)."""
    addresses = readiness.silent_addresses(hub.store, street) if street.strip() else []
    return page(
        request,
        "admin/print_silent.html",
        user,
        street=street.strip(),
        addresses=addresses,
        printed_at=datetime.now(UTC),
    )


@router.get("/readiness.csv")
def readiness_csv(hub: HubDep, user: PageUser) -> Response:
    checks = {f.section: preparedness.csv_cells(f) for f in board.self_check_figures(hub)}
    content = rules.readiness_csv(readiness.section_readiness(hub.store), preparedness.csv_columns(), checks)
    headers = {**NO_STORE, "Content-Disposition": 'attachment; filename="readiness.csv"'}
    return Response(content, media_type="text/csv; charset=utf-8", headers=headers)


@dataclass(frozen=True)
class DrawnMap:
    """The map as a page shows it: the SVG, the dots per status (legend words) and the mode."""

    svg: str
    counts: dict[str, int]
    mode: str


@lru_cache(maxsize=8)
def _drawn(
    dots: tuple[MapDot, ...],
    title: str,
    shown: tuple[DotStatus, ...],
    words: tuple[tuple[DotStatus, str], ...],
    link_base: str,
) -> tuple[str, tuple[int, ...]]:
    """The SVG and its counts per shown status, kept for the same dots, words and links: the
    dashboard and the map draw it again only when an address's status (or the register) changed."""
    svg = render_map(dots, title=title, statuses=shown, labels=dict(words), link_base=link_base)
    counts = count_by_status(svg)
    return svg, tuple(counts[status] for status in shown)


def drawn_map(request: Request, hub: HubDep, link_base: str = "") -> DrawnMap:
    """The neighbourhood's map in the request's language (``link_base``: see ``render_map``)."""
    data = address_views.map_data(hub.store)
    shown = NORMAL if data.mode == "normal" else CRISIS
    with i18n.using(request_language(request, i18n.ADMIN_LANGUAGES)):
        words = tuple((status, i18n.gettext(MAP_WORDS[status])) for status in shown)
        title = i18n.gettext("Map of the neighbourhood")
    svg, counts = _drawn(data.dots, title, shown, words, link_base)
    return DrawnMap(svg, {word: n for (_status, word), n in zip(words, counts, strict=True)}, data.mode)


@router.get("/map", response_class=HTMLResponse)
def map_page(request: Request, hub: HubDep, user: PageUser, paper: Paper = None) -> HTMLResponse:
    drawn = drawn_map(request, hub)
    return page(
        request, "admin/map.html", user, svg=drawn.svg, counts=drawn.counts, mode=drawn.mode, paper=paper
    )


VOLUNTEERS_PAGE = "/admin/volunteers"
OUTSIDE_PAGE = "/admin/addresses/outside"


@router.get("/addresses/outside", response_class=HTMLResponse)
def outside(request: Request, hub: HubDep, user: PageUser) -> HTMLResponse:
    """Households, volunteers and check-ins whose address matched nothing in the register."""
    rows = address_views.outside_register(hub.store)
    return page(request, "admin/outside.html", user, rows=rows, limit=address_views.OUTSIDE_LIMIT)


@router.post("/volunteers/{volunteer_id}/home")
def volunteer_home(
    hub: HubDep,
    user: FormUser,
    volunteer_id: str,
    address: Annotated[str, Form(max_length=120)] = "",
    back_to: Text = "",
) -> RedirectResponse:
    """Where a volunteer lives: matched to the register, kept and marked when it is not in it."""
    target = back_to if back_to in (VOLUNTEERS_PAGE, OUTSIDE_PAGE) else VOLUNTEERS_PAGE
    try:
        found = address_views.set_volunteer_home(hub.store, volunteer_id, address, actor=user.name)
    except HubError as exc:
        return refused(target, exc)
    return back(target, ok="home_not_in_register" if found.not_in_register else "home_saved")


@router.get("/addresses/{pk}", response_class=HTMLResponse)
def address(request: Request, hub: HubDep, user: PageUser, pk: int) -> HTMLResponse:
    found = address_views.address_page(hub.store, pk) if 0 < pk < 2**62 else None
    if found is None:
        return page(
            request, "admin/problem.html", user, status_code=404, error="not_found", back_url="/admin/map"
        )
    return page(request, "admin/address.html", user, a=found)
