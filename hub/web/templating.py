"""Jinja2 pages in the visitor's language."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

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


def request_language(request: Request) -> str:
    hub = request.app.state.hub
    choice = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return i18n.negotiate(choice, request.headers.get("accept-language"), hub.settings.default_lang)


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render ``template`` in the request's language; remember an explicit ``?lang=`` choice."""
    lang = request_language(request)
    token = i18n.activate(lang)
    try:
        html = env.get_template(template).render(
            request=request,
            lang=i18n.LANGUAGES[lang],
            languages=i18n.available_languages(),
            hub=request.app.state.hub,
            **context,
        )
    finally:
        i18n._current.reset(token)
    response = HTMLResponse(html, status_code=status_code)
    chosen = request.query_params.get("lang")
    if chosen and chosen == lang:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", httponly=True)
    return response
