"""Headless Chromium (Debian's package) driving the portal of a live hub."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Request, sync_playwright

from hub.config import load_settings
from hub.demo import seed_if_empty
from hub.schemas import AnnouncementCreate, CheckInCreate
from hub.services import announcements, drills, residents
from tests.admin.conftest import make_user
from tests.conftest import LiveServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
OLD_PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class Visit:
    """A resident's phone: a page, every request it made, screenshots on demand."""

    page: Page
    context: BrowserContext
    hub_url: str
    requests: list[str] = field(default_factory=list)

    def shoot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def foreign_requests(self) -> list[str]:
        hub = urlsplit(self.hub_url).netloc
        return [url for url in self.requests if urlsplit(url).netloc != hub]


def open_visit(browser: Browser, live: LiveServer, *, javascript: bool, locale: str) -> Visit:
    context = browser.new_context(java_script_enabled=javascript, viewport=OLD_PHONE, locale=locale)
    page = context.new_page()
    visit = Visit(page=page, context=context, hub_url=live.url)

    def record(request: Request) -> None:
        visit.requests.append(request.url)

    page.on("request", record)
    return visit


@pytest.fixture
def phone(browser: Browser, live: LiveServer) -> Iterator[Visit]:
    """A phone with JavaScript on and Dutch as its language."""
    visit = open_visit(browser, live, javascript=True, locale="nl-NL")
    yield visit
    visit.context.close()


@pytest.fixture
def phone_without_js(browser: Browser, live: LiveServer) -> Iterator[Visit]:
    """A limited browser (like Apple's captive sheet): no JavaScript, English."""
    visit = open_visit(browser, live, javascript=False, locale="en-GB")
    yield visit
    visit.context.close()


@pytest.fixture(scope="module")
def hub_live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One hub for the module: crisis mode, demo data, news in Dutch (one translated into English)."""
    settings = load_settings(
        data_dir=tmp_path_factory.mktemp("a11y") / "data",
        rate_limit=0,
        secret_key="test-secret-key-0123456789-abcdefghijklmnop",
    )
    with LiveServer(settings) as live:
        seed_if_empty(live.hub)
        make_user(live.hub, "coord")

        def news(session: Any) -> None:
            drills.set_mode(session, live.hub.ctx, "crisis", actor="test")
            help_call = CheckInCreate(address="Dorpsstraat 21", status="help", note="accu bijna leeg")
            residents.create_checkin(session, live.hub.ctx, help_call)  # on the coordinators' worklist
            announcements.create_announcement(
                session,
                live.hub.ctx,
                AnnouncementCreate(
                    title="Stroomstoring",
                    body="Laad uw telefoon op in het buurthuis.",
                    priority="urgent",
                    translations={"en": {"title": "Power cut", "body": "Charge your phone at the centre."}},
                ),
                actor="test",
            )

        live.hub.db.writer.run_sync(news)
        yield live
