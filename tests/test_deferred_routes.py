"""``hub serve`` includes the admin routers at their first use (``hub.web.deferred``): the start
does not build them, and once included the app is the one built eagerly — same routes in the same
order, same OpenAPI schema, whichever request, ``url_path_for`` or schema comes first."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi import FastAPI

from hub.app import create_app
from hub.config import Settings
from hub.migrate import upgrade
from hub.runtime import Hub
from hub.web import deferred as deferred_module
from hub.web.deferred import DeferredRouters
from tests.conftest import LiveServer

_START = """
import json, sys
from hub.app import create_app
from hub.config import load_settings
from hub.serve import build_hub
settings = load_settings()
hub = build_hub(settings)
create_app(settings, hub, defer_admin=True)
hub.db.close()
watched = ("hub.web.admin", "sqlalchemy.dialects.postgresql")
print(json.dumps(sorted(name for name in sys.modules if name.startswith(watched))))
"""


def routes(app: FastAPI) -> list[tuple[str, list[str]]]:
    """Every route with its methods, in the order the router tries them."""
    found = []
    for route in app.router.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        for ctx in contexts() if contexts is not None else [route]:
            found.append((str(getattr(ctx, "path_format", "")), sorted(getattr(ctx, "methods", None) or [])))
    return found


def deferred_app(settings: Settings) -> tuple[FastAPI, DeferredRouters]:
    app = create_app(settings, Hub.from_settings(settings), defer_admin=True)
    [deferred] = [r for r in app.router.routes if isinstance(r, DeferredRouters)]
    return app, deferred


def test_the_start_builds_no_admin_route(tmp_path: Path) -> None:
    """Nor does it load a database dialect the hub does not use (an index option can)."""
    upgrade(f"sqlite:///{tmp_path / 'hub.sqlite3'}")  # at head, as an ordinary start finds it
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(HUB_DATA_DIR=str(tmp_path), HUB_RADIO="none")
    done = subprocess.run(
        [sys.executable, "-c", _START], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == []


def test_once_included_the_app_is_the_eager_one(settings: Settings) -> None:
    eager = create_app(settings, Hub.from_settings(settings))
    app, deferred = deferred_app(settings)
    assert deferred.included is None
    assert app.openapi() == eager.openapi()  # the schema includes them first
    assert deferred.included is not None
    assert not any(isinstance(r, DeferredRouters) for r in app.router.routes)
    assert routes(app) == routes(eager)
    assert any(path.startswith("/api/v1/admin/") for path, _ in routes(app))


def test_url_path_for_finds_a_deferred_route(settings: Settings) -> None:
    eager = create_app(settings, Hub.from_settings(settings))
    name = next(
        str(ctx.name)
        for route in eager.router.routes
        for ctx in getattr(route, "effective_route_contexts", lambda: [])()
        if str(getattr(ctx, "path_format", "")).startswith("/admin/")
    )
    app, deferred = deferred_app(settings)
    assert app.url_path_for(name) == eager.url_path_for(name)
    assert deferred.included is not None


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/admin/login", 200),  # the first route of the first deferred router's neighbour
        ("GET", "/api/v1/admin/checkins", 401),  # the first deferred router, no token
        ("POST", "/admin/login", 422),  # a form refused before its route ran
        ("PUT", "/api/v1/admin/checkins", 405),  # a partial match: path yes, method no
        ("GET", "/admin/nothing-here", 404),
    ],
)
def test_the_first_request_to_a_deferred_route_is_answered_as_by_the_eager_app(
    settings: Settings, method: str, path: str, status: int
) -> None:
    with LiveServer(settings) as live, live.client() as http:
        first = http.request(method, path)
        assert first.status_code == status, first.text
        assert live.app.router.routes and not any(
            isinstance(r, DeferredRouters) for r in live.app.router.routes
        )
        again = http.request(method, path)
        assert again.status_code == status
        assert first.headers.get("content-type") == again.headers.get("content-type")


def test_a_portal_request_leaves_the_admin_deferred(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(deferred_module, "WARM_AFTER", 3600.0)  # no warm-up during this test
    with LiveServer(settings) as live, live.client() as http:
        assert http.get("/healthz").status_code == 200
        assert http.post("/api/v1/checkins", json={"address": "", "status": "ok"}).status_code == 422
        assert any(isinstance(r, DeferredRouters) for r in live.app.router.routes)


def test_the_admin_is_imported_in_the_background_after_the_start(tmp_path: Path) -> None:
    warm = _START.replace(
        "hub.db.close()",
        "import time\n"
        "from hub.web.deferred import DeferredRouters\n"
        "app = create_app(settings, hub, defer_admin=True)\n"
        "[d] = [r for r in app.router.routes if isinstance(r, DeferredRouters)]\n"
        "d.warm(delay=0.2)\n"  # no loop: the import only
        "end = time.monotonic() + 60\n"
        "while getattr(sys.modules.get('hub.web.admin'), 'pages_router', None) is None:\n"
        "    assert time.monotonic() < end\n"
        "    time.sleep(0.05)\n"
        "hub.db.close()",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(HUB_DATA_DIR=str(tmp_path), HUB_RADIO="none")
    done = subprocess.run([sys.executable, "-c", warm], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "hub.web.admin.pages" in json.loads(done.stdout.splitlines()[-1])


def test_the_warm_up_includes_the_routers_on_the_event_loop(settings: Settings) -> None:
    """No request needed: a few seconds after the start the routers are in place."""
    with LiveServer(settings) as live:
        [deferred] = [r for r in live.app.router.routes if isinstance(r, DeferredRouters)]
        end = time.monotonic() + 60
        while deferred.included is None:
            assert time.monotonic() < end, "the warm-up did not include the routers"
            time.sleep(0.05)
        assert not any(isinstance(r, DeferredRouters) for r in live.app.router.routes)
        with live.client() as http:
            assert http.get("/admin/login").status_code == 200
