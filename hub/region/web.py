"""``hub region serve``: the region's pages on its PostgreSQL (the store ``hub upstream`` fills).

Same stack as the hub: FastAPI, Jinja2 pages without JavaScript, Dutch and English from the
project's catalogs, the hub's response guards (security headers, body limit, HEAD, a plain 500).
Accounts (``officer``: looks and sends; ``viewer``: only looks), sessions with a CSRF token each,
and the audit log are in the same database (:mod:`hub.region.accounts`). The server keeps no
state another one needs: two of them can serve one region.

Pages: ``/`` every hub on a map and in a table; ``/hubs/<id>`` one hub's events over time, open
needs and offers, drill reports; ``/send`` an announcement or a CAP alert to hubs, with the
delivery state per hub; ``/audit``; ``/login``; ``/healthz``.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import uvicorn
from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from hub import i18n
from hub.errors import ConfigError, ValidationError
from hub.region import accounts, delivery_view, sending, views
from hub.region.accounts import Person
from hub.region.lora import LoraStore
from hub.region.maps import hub_map, plot
from hub.region.sending import N_
from hub.region.store import RegionStore
from hub.web.admin.auth import LoginThrottle
from hub.web.deps import client_ip
from hub.web.security import BodyLimit, HeadAsGet, SecurityHeaders, UnexpectedErrors
from hub.web.templating import Pages

log = logging.getLogger(__name__)

SESSION_COOKIE = "bb_region"
SENT_SHOWN = 20  # messages listed on the send page, newest first
LANG_COOKIE = "lang"
LANGUAGES = ("nl", "en")

env = Pages()


@dataclass
class Region:
    """The running regional service: its store and its settings."""

    store: RegionStore
    stale_after: timedelta
    topic_root: str
    default_lang: str = "nl"
    name: str = "Buurtbaken — regio"
    # Proxies (IP addresses or networks) whose X-Forwarded-Proto and X-Forwarded-For are believed,
    # as uvicorn's proxy headers do: the TLS proxy in front says the browser came over https.
    trusted_proxies: tuple[str, ...] = ()
    secure_cookies: bool = False  # mark cookies Secure even when no trusted proxy says https

    @property
    def engine(self) -> Engine:
        return self.store.engine


def proxies(value: str) -> tuple[str, ...]:
    """``--trusted-proxies``: comma-separated IP addresses or networks; a clear error otherwise."""
    found = tuple(item.strip() for item in value.split(",") if item.strip())
    for item in found:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ConfigError(
                f"--trusted-proxies: {item!r} is not an IP address or network "
                "(such as 127.0.0.1 or 10.0.0.0/8)"
            ) from None
    return found


def open_region(
    db_url: str,
    *,
    stale_minutes: float,
    topic_root: str,
    default_lang: str = "nl",
    trusted_proxies: tuple[str, ...] = (),
    secure_cookies: bool = False,
) -> Region:
    if not db_url.startswith("postgresql"):
        raise ConfigError("--db must be a PostgreSQL URL (postgresql+psycopg://user@host/db)")
    store = RegionStore(db_url)
    try:
        store.create()
        accounts.create(store.engine)
        views.prepare(store.engine)
    except DBAPIError as exc:
        store.dispose()
        raise ConfigError(f"cannot open the region database: {exc.orig}") from None
    return Region(
        store,
        timedelta(minutes=stale_minutes),
        topic_root,
        default_lang,
        trusted_proxies=trusted_proxies,
        secure_cookies=secure_cookies,
    )


# --- small helpers for the templates ---


def _as_utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def when(value: datetime | None) -> str:
    if value is None:
        return "–"
    return i18n.day_and_time(_as_utc(value).astimezone())


def ago(value: datetime | None) -> str:
    """How long ago, in words that need no translation: ``4 min``, ``2.5 h``, ``3 d``."""
    if value is None:
        return "–"
    seconds = (datetime.now(UTC) - _as_utc(value)).total_seconds()
    if seconds < 90:
        return "< 2 min"
    if seconds < 5400:
        return f"{int(seconds // 60)} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.0f} d"


env.filters["when"] = when
env.filters["ago"] = ago


def language(request: Request, region: Region) -> str:
    choice = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return i18n.negotiate(choice, request.headers.get("accept-language"), region.default_lang, LANGUAGES)


def secure(request: Request) -> bool:
    """Cookies only over https: the request came over TLS (as a trusted proxy says), or the
    setting says so."""
    region: Region = request.app.state.region
    return region.secure_cookies or request.url.scheme == "https"


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    region: Region = request.app.state.region
    lang = language(request, region)
    with i18n.using(lang):
        html = env.get_template(template).render(
            request=request,
            lang=i18n.LANGUAGES[lang],
            languages=[i18n.LANGUAGES[code] for code in LANGUAGES],
            language_url=lambda code: (
                f"{request.url.path}?{urlencode({**request.query_params, 'lang': code})}"
            ),
            region=region,
            path=request.url.path,
            **context,
        )
    response = HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store"})
    chosen = request.query_params.get("lang")
    if chosen and chosen == lang:
        response.set_cookie(
            LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", httponly=True, secure=secure(request)
        )
    return response


# --- who is asking ---


def get_region(request: Request) -> Region:
    region: Region = request.app.state.region
    return region


RegionDep = Annotated[Region, Depends(get_region)]


def current_person(request: Request, region: RegionDep) -> Person:
    token = request.cookies.get(SESSION_COOKIE)
    person = accounts.person_of(region.engine, token) if token else None
    if person is None:
        target = quote(request.url.path, safe="/")
        raise HTTPException(
            status.HTTP_303_SEE_OTHER, N_("Log in first."), headers={"Location": f"/login?next={target}"}
        )
    return person


PersonDep = Annotated[Person, Depends(current_person)]


async def form_of(request: Request, person: PersonDep) -> dict[str, Any]:
    """The posted form, after its CSRF token matched the session's."""
    form = await request.form()
    given = form.get("csrf")
    if not (isinstance(given, str) and hmac.compare_digest(person.csrf, given)):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, N_("This form has expired. Go back, reload and try again.")
        )
    return {key: form.getlist(key) for key in form}


FormDep = Annotated[dict[str, Any], Depends(form_of)]


def officer(person: PersonDep) -> Person:
    if not person.can_send:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, N_("Only officers may do this; viewers can only look.")
        )
    return person


OfficerDep = Annotated[Person, Depends(officer)]


def _one(form: dict[str, Any], name: str) -> str:
    values = form.get(name) or [""]
    value = values[0]
    return value if isinstance(value, str) else ""


# --- the app ---


PROBLEMS = {
    403: N_("You may not do this."),
    404: N_("There is no such page or hub."),
    405: N_("This page cannot do that."),
}


def make_app(region: Region, *, max_body_bytes: int = 64 * 1024) -> Any:
    app = FastAPI(title="Buurtbaken region", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.region = region
    app.state.throttle = LoginThrottle()
    app.mount("/static", StaticFiles(directory=i18n.WEB_DIR / "static"), name="static")

    @app.exception_handler(HTTPException)
    async def _problem(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == status.HTTP_303_SEE_OTHER:
            return RedirectResponse(exc.headers["Location"] if exc.headers else "/login", status_code=303)
        message = (
            exc.detail
            if isinstance(exc.detail, str)
            else PROBLEMS.get(exc.status_code, N_("Nothing was changed."))
        )
        token = request.cookies.get(SESSION_COOKIE)
        person = accounts.person_of(region.engine, token) if token else None
        return render(request, "region/problem.html", exc.status_code, message=message, user=person)

    @app.exception_handler(404)
    async def _missing(request: Request, exc: Exception) -> Response:
        ours = isinstance(exc, HTTPException) and isinstance(exc.detail, str) and exc.detail != "Not Found"
        return await _problem(request, exc if ours else HTTPException(404, PROBLEMS[404]))  # type: ignore[arg-type]

    @app.get("/healthz", response_class=PlainTextResponse)
    def healthz() -> Response:
        try:
            with region.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except DBAPIError:
            return PlainTextResponse("the region database does not answer", status_code=503)
        return PlainTextResponse("ok")

    @app.get("/login", response_class=HTMLResponse)
    def login_page(request: Request) -> Response:
        return render(request, "region/login.html", failed=request.query_params.get("failed"), user=None)

    @app.post("/login")
    async def login(request: Request) -> Response:
        form = await request.form()
        name, password = form.get("name"), form.get("password")
        target = request.query_params.get("next", "/")
        if not target.startswith("/") or target.startswith("//"):
            target = "/"
        if not isinstance(name, str) or not isinstance(password, str) or not name.strip() or not password:
            return render(request, "region/login.html", 422, failed="empty", user=None)
        throttle: LoginThrottle = app.state.throttle
        client = client_ip(request)
        if not throttle.attempt(client):
            return render(request, "region/login.html", 429, failed="slow", user=None)
        found = accounts.login(region.engine, name.strip()[:80], password[:200])
        if found is None:
            return render(request, "region/login.html", 401, failed="wrong", user=None)
        throttle.succeeded(client)
        token, _person = found
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=accounts.SESSION_HOURS * 3600,
            httponly=True,
            samesite="strict",
            secure=secure(request),
        )
        return response

    @app.post("/logout")
    def logout(request: Request, person: PersonDep, _form: FormDep) -> Response:
        accounts.logout(region.engine, request.cookies.get(SESSION_COOKIE, ""), person)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="strict", secure=secure(request))
        return response

    @app.get("/", response_class=HTMLResponse)
    def overview(request: Request, person: PersonDep) -> Response:
        rows = views.overview(region.engine, region.stale_after)
        # Hubs that need a look first: not heard from, SOS, life-threatening needs, calls for help.
        ordered = sorted(
            rows, key=lambda r: (not r.stale, not r.open_alerts, not r.life_needs, r.name.lower())
        )
        return render(
            request,
            "region/overview.html",
            user=person,
            rows=ordered,
            totals=views.totals(rows),
            map=hub_map(rows),
            stale_minutes=int(region.stale_after.total_seconds() // 60),
        )

    @app.get("/hubs/{hub_id}", response_class=HTMLResponse)
    def hub_page(request: Request, hub_id: str, person: PersonDep) -> Response:
        detail = views.hub_detail(region.engine, hub_id[:40], region.stale_after)
        if detail is None:
            raise HTTPException(404, N_("The region has heard nothing from a hub with this id."))
        return render(request, "region/hub.html", user=person, d=detail, plot=plot(detail.hours))

    @app.get("/send", response_class=HTMLResponse)
    def send_page(request: Request, person: PersonDep) -> Response:
        return _send_page(request, person)

    def _send_page(
        request: Request,
        person: Person,
        status_code: int = 200,
        error: str | None = None,
        error_field: str | None = None,
        values: dict[str, Any] | None = None,
    ) -> Response:
        sent = delivery_view.recent(region.store, SENT_SHOWN)
        senders = accounts.actors(region.engine, "message.send", [m.id for m in sent])
        over_lora = LoraStore(region.store).planned([m.id for m in sent])
        names = {r.hub: r.name for r in views.overview(region.engine, region.stale_after)}
        return render(
            request,
            "region/send.html",
            status_code,
            user=person,
            hubs=names,
            sent=sent,
            senders=senders,
            states=delivery_view.STATES,
            over_lora=over_lora,
            error=error,
            error_field=error_field,
            values=values or {},
            notice=request.query_params.get("sent"),
        )

    @app.post("/send")
    def send(request: Request, person: OfficerDep, form: FormDep) -> Response:
        target = _one(form, "to")
        chosen = [h for h in form.get("hub", []) if isinstance(h, str)]
        texts = {key: _one(form, key) for key in ("kind", "title", "body", "priority", "to")}
        drill = _one(form, "drill") == "1"
        lora = _one(form, "lora") == "1"
        values: dict[str, Any] = {**texts, "hub": chosen, "drill": drill, "lora": lora}
        draft = sending.Draft(
            kind=texts["kind"],  # type: ignore[arg-type]  # checked by sending.check
            title=texts["title"],
            body=texts["body"],
            priority=texts["priority"] or "info",
            drill=drill,
            hubs=None if target == "all" else chosen,
            lora=lora,
        )
        try:
            if target not in ("all", "some"):
                raise ValidationError(N_("choose all hubs or a selection"), "to")
            message_id = sending.send(
                region.store,
                draft,
                sender=person.name,
                topic_root=region.topic_root,
                known_hubs=views.hub_ids(region.engine),
            )
        except ValidationError as exc:
            return _send_page(request, person, 422, str(exc), exc.field, values)
        accounts.record(
            region.engine,
            person.name,
            "message.send",
            message_id,
            kind=draft.kind,
            title=draft.title.strip(),
            drill=draft.drill,
            hubs=sorted(set(draft.hubs)) if draft.hubs is not None else ["*"],
        )
        return RedirectResponse(f"/send?sent={message_id}", status_code=303)

    @app.get("/audit", response_class=HTMLResponse)
    def audit(request: Request, person: OfficerDep) -> Response:
        return render(request, "region/audit.html", user=person, lines=accounts.audit_lines(region.engine))

    guarded: Any = UnexpectedErrors(app)
    guarded = BodyLimit(guarded, max_body_bytes)
    guarded = HeadAsGet(guarded)
    guarded = SecurityHeaders(guarded)
    if region.trusted_proxies:
        guarded = ProxyHeadersMiddleware(guarded, list(region.trusted_proxies))
    return guarded


def server_config(region: Region, host: str, port: int) -> uvicorn.Config:
    """How ``hub region serve`` runs under uvicorn: uvicorn's own proxy headers off (they trust
    127.0.0.1 by default); :func:`make_app` believes only ``region.trusted_proxies``."""
    return uvicorn.Config(make_app(region), host=host, port=port, log_level="warning", proxy_headers=False)
