"""Closed by default: every admin and API route of the app, tried with a partner's session and with
a partner's API token, answers only the partner's own data or refuses (403/404; a page route,
which reads no token, sends a token holder to the login page).

The routes are read from the app itself, so a route added later is walked too. Requests carry
the partner session's CSRF token (form field and header) and a consented household's id in every
path parameter, so that a refusal is the partner's, not a missing token's or an unknown id's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from hub.web.admin import auth
from tests.admin.conftest import CSRF_INPUT
from tests.admin.test_partners import World, partner_session, world  # noqa: F401 (the fixture)
from tests.conftest import LiveServer

# The dependencies that let a partner in: its own page, form and API, and logging out.
PARTNER_DOORS: set[Callable[..., Any]] = {
    auth.partner_page,
    auth.partner_form,
    auth.partner_api,
    auth.partner_api_writer,
}
PARAM = re.compile(r"\{([^}:]+)(:[^}]+)?\}")


def calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from calls(sub)


def is_partners_own(path: str, route: APIRoute) -> bool:
    found = set(calls(route.dependant))
    return bool(found & PARTNER_DOORS) or path == "/admin/logout"


def every_route(routes: list[Any]) -> Iterator[tuple[str, set[str], APIRoute]]:
    """Each HTTP route of the app with its full path. FastAPI 0.165 keeps an included router as
    one entry whose ``effective_route_contexts`` are its routes (prefixes applied)."""
    for route in routes:
        if hasattr(route, "effective_route_contexts"):
            for context in route.effective_route_contexts():
                if isinstance(context.original_route, APIRoute):
                    yield context.path, set(context.methods or ()), context.original_route
        elif isinstance(route, APIRoute):
            yield route.path, set(route.methods), route


def admin_and_api_routes(live: LiveServer) -> list[tuple[str, str, APIRoute]]:
    walked = []
    for path, methods, route in every_route(live.app.routes):
        if not (path.startswith("/admin") or path.startswith("/api")):
            continue
        for method in sorted(methods - {"HEAD"}):
            walked.append((method, path, route))
    return walked


def test_every_admin_and_api_route_refuses_a_partner(live: LiveServer, world: World) -> None:  # noqa: F811
    household = world.households["Kerkstraat 1"]  # one the partner may see, in every path
    secrets = ("Kerkstraat 3", "Kerkstraat 4", "010-7654321", "zuurstof")  # not the home-care team's
    routes = admin_and_api_routes(live)
    assert len(routes) > 80, "the walk found the app's routes"
    own = {(m, p) for m, p, r in routes if is_partners_own(p, r)}
    assert own == {
        ("GET", "/admin/partner"),
        ("POST", "/admin/partner/households/{household_id}/reached"),
        ("POST", "/admin/partner/signals"),
        ("POST", "/admin/partner/tasks/{task_id}/{step}"),
        ("POST", "/admin/logout"),
        ("GET", "/api/v1/partner"),
        ("POST", "/api/v1/partner/households/{household_id}/reached"),
        ("POST", "/api/v1/partner/tasks/{task_id}/accept"),
        ("POST", "/api/v1/partner/tasks/{task_id}/done"),
    }, "a new partner route: is it meant to be open to partners?"
    checked = 0
    with (
        partner_session(live, "anna.thuiszorg") as session,
        live.client(headers={"Authorization": f"Bearer {world.token_home_care}"}) as token,
        live.client() as stranger,
    ):
        match = CSRF_INPUT.search(session.get("/admin/partner").text)
        assert match
        csrf = match[1]
        for method, path, _route in routes:
            if (method, path) in own:
                continue
            url = PARAM.sub(household, path)
            body: dict[str, Any] = (
                {"data": {"csrf": csrf}} if path.startswith("/admin") and method != "GET" else {"json": {}}
            )
            if method == "GET":
                body = {}
            anonymous = stranger.request(method, url, **body)
            closed = anonymous.status_code in (401, 403) or (
                anonymous.status_code == 303 and anonymous.headers["location"] == "/admin/login"
            )
            for who, client in (("session", session), ("token", token)):
                answer = client.request(method, url, headers={"X-CSRF-Token": csrf}, **body)
                where = f"{method} {path} with a partner's {who}: {answer.status_code} {answer.text[:200]}"
                assert answer.status_code != 500, where
                assert not any(secret in answer.text for secret in secrets), where
                if not closed:  # public (the login form): the partner gets what anybody gets
                    assert answer.status_code == anonymous.status_code, where
                    continue
                if who == "token" and answer.status_code == 303:  # a page reads no token: log in first
                    assert answer.headers["location"] == "/admin/login", where
                    continue
                assert answer.status_code in (403, 404), where
                assert "Kerkstraat 1" not in answer.text, where
                if answer.status_code == 403:
                    assert answer.json()["detail"] == auth.PARTNER_REFUSED, where
                checked += 1
        # the walk did not log the partner out: its own page still answers
        assert session.get("/admin/partner").status_code == 200
    assert checked > 100
    # and the other way round: a coordinator has no partner page (it is no partner)
    assert world.admin.http.get("/admin/partner").status_code == 403
    assert world.admin.api("GET", "/api/v1/partner").status_code == 403


def test_a_partner_token_opens_nothing_of_the_admin_api(live: LiveServer, world: World) -> None:  # noqa: F811
    """The plain check a script would try first: the admin lists with a partner's token."""
    with live.client(headers={"Authorization": f"Bearer {world.token_home_care}"}) as api:
        for name in ("households", "checkins", "needs", "tasks", "volunteers", "messages"):
            answer = api.get(f"/api/v1/admin/{name}")
            assert answer.status_code == 403, (name, answer.text)
        assert api.get("/api/v1/partner").status_code == 200


def test_a_partner_session_cannot_reach_the_dashboard_or_exports(live: LiveServer, world: World) -> None:  # noqa: F811
    with partner_session(live, "anna.thuiszorg") as http:
        for url in ("/admin", "/admin/households", "/admin/export/csv?scope=full", "/admin/print/doorknock"):
            answer = http.get(url)
            assert answer.status_code == 403, url
            assert "Kerkstraat" not in answer.text
        refused: httpx.Response = http.get("/api/v1/admin/households")
        assert refused.status_code == 403
