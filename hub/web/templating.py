"""Jinja2 pages in the visitor's language."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from hub import i18n

if TYPE_CHECKING:
    from jinja2 import Environment, Template

TEMPLATES_DIR = i18n.WEB_DIR / "templates"
LANG_COOKIE = "lang"


class Pages:
    """The Jinja2 environment, made when the first page is rendered, not when the hub starts.

    Importing Jinja2 compiles its lexer's large Unicode regular expression: a tenth of a second
    of CPU before ``/healthz`` could answer (four tenths on a Pi-class core). Filters and
    globals added before the environment exists are handed to it when it is made.
    """

    def __init__(self) -> None:
        self.filters: dict[str, Any] = {}
        self.globals: dict[str, Any] = {}
        self._environment: Environment | None = None

    @property
    def environment(self) -> Environment:
        if self._environment is None:
            from jinja2 import Environment, FileSystemLoader, select_autoescape

            made = Environment(
                loader=FileSystemLoader(TEMPLATES_DIR),
                autoescape=select_autoescape(["html", "xml", "svg"]),
                extensions=["jinja2.ext.i18n"],
                trim_blocks=True,
                lstrip_blocks=True,
            )
            made.install_gettext_callables(  # type: ignore[attr-defined]
                i18n.gettext, i18n.ngettext, newstyle=True
            )
            made.filters.update(self.filters)
            made.globals.update(self.globals)
            self.filters, self.globals = made.filters, made.globals
            self._environment = made
        return self._environment

    def get_template(self, name: str) -> Template:
        return self.environment.get_template(name)


env = Pages()


# Pictograms that point one way: mirrored on right-to-left pages (portal.css, print.css).
DIRECTIONAL_ICONS = frozenset({"announce", "car", "talk", "back"})


def icon(name: str, size: str = "") -> Markup:
    """A pictogram from the sprite ``/static/icons.svg``; decorative, the words beside it count."""
    extra = (f" i-{size}" if size else "") + (" i-flip" if name in DIRECTIONAL_ICONS else "")
    return Markup(
        '<svg class="i{}" aria-hidden="true" focusable="false"><use href="/static/icons.svg#{}"/></svg>'
    ).format(extra, name)


env.globals["icon"] = icon


def request_language(request: Request, offered: Collection[str] | None = None) -> str:
    hub = request.app.state.hub
    choice = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    accept = request.headers.get("accept-language")
    return i18n.negotiate(choice, accept, hub.settings.default_lang, offered)


def language_url(request: Request, code: str) -> str:
    """This page in language ``code``: one tap, the rest of the query kept."""
    params = {**request.query_params, "lang": code}
    return f"{request.url.path}?{urlencode(params)}"


def render(
    request: Request,
    template: str,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    offered: Collection[str] | None = None,
    remember: bool = True,
    **context: Any,
) -> HTMLResponse:
    """Render ``template`` in the request's language (one of ``offered``, when given).

    An explicit ``?lang=`` choice is remembered in a cookie (unless ``remember`` is false: a
    printed flyer in Arabic does not switch the coordinator's own pages).
    """
    lang = request_language(request, offered)
    with i18n.using(lang):
        html = env.get_template(template).render(
            request=request,
            lang=i18n.LANGUAGES[lang],
            languages=[x for x in i18n.available_languages() if offered is None or x.code in offered],
            language_url=lambda code: language_url(request, code),
            hub=request.app.state.hub,
            **context,
        )
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    chosen = request.query_params.get("lang")
    if remember and chosen and chosen == lang:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", httponly=True)
    return response
