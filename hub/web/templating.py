"""Jinja2 pages in the visitor's language."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from hub import i18n

TEMPLATES_DIR = i18n.WEB_DIR / "templates"
LANG_COOKIE = "lang"

env = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(["html", "xml", "svg"]),
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
)
env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]


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
