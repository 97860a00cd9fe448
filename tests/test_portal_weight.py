"""Every portal page, with everything it loads (CSS, the icon sprite), weighs under 30 KB.

Old phones on a crowded hub Wi-Fi: the HTML plus every referenced static file is summed,
uncompressed, for each page in each language and in its error and confirmation states.
The table is written to artifacts/page-weights.txt.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from sqlmodel import Session

from hub.schemas import AnnouncementCreate
from hub.services import announcements
from hub.services.state import put_state
from tests.conftest import LiveServer
from tests.test_portal import FORMS, fresh_token

LIMIT = 30 * 1024
PAGES = (
    "/",
    "/checkin",
    "/need",
    "/offer",
    "/register",
    "/announcements",
    "/privacy",
    "/selfcheck",
    "/volunteer",
)
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
ASSET = re.compile(r'(?:href|src)="(/static/[^"#?]+)')


def weight(client: httpx.Client, response: httpx.Response) -> tuple[int, list[str]]:
    assets = sorted(set(ASSET.findall(response.text)))
    total = len(response.content)
    for asset in assets:
        fetched = client.get(asset)
        assert fetched.status_code == 200, asset
        total += len(fetched.content)
    return total, assets


def seed(live: LiveServer) -> None:
    def job(session: Session) -> None:
        put_state(session, "mode", {"mode": "crisis"})
        for n in range(5):
            announcements.create_announcement(
                session,
                live.hub.ctx,
                AnnouncementCreate(
                    title=f"Bericht {n}: kook leidingwater drie minuten",
                    body="Het water uit de kraan is niet schoon. Kook het drie minuten. " * 5,
                    priority="urgent" if n == 0 else "info",
                    translations={"en": {"title": f"Message {n}", "body": "Boil tap water. " * 20}},
                ),
                actor="test",
            )

    live.hub.db.writer.run_sync(job)


def test_every_portal_page_is_under_30_kb(client: httpx.Client, live: LiveServer) -> None:
    seed(live)
    rows: list[tuple[str, int]] = []

    def measure(label: str, response: httpx.Response) -> None:
        assert response.status_code < 500, label
        total, assets = weight(client, response)
        assert "/static/portal.css" in assets, label
        rows.append((label, total))

    for lang in ("nl", "en"):
        client.get(f"/?lang={lang}")  # the choice is remembered in a cookie
        for path in PAGES:
            measure(f"{lang} {path}", client.get(path))
        for kind, (path, _model, data) in FORMS.items():
            measure(f"{lang} {path} errors", client.post(path, data={"token": fresh_token(client, path)}))
            done = client.post(path, data={**data, "token": fresh_token(client, path)}, follow_redirects=True)
            measure(f"{lang} {kind} confirmation", done)
        life = {**FORMS["need"][2], "urgency": "life", "token": fresh_token(client, "/need")}
        measure(f"{lang} need life confirmation", client.post("/need", data=life, follow_redirects=True))
        measure(f"{lang} not found", client.get("/bedankt/need/x?t=nothing-here-at-all-000"))
    ARTIFACTS.mkdir(exist_ok=True)
    table = "\n".join(f"{label:32} {total / 1024:5.1f} KB" for label, total in rows)
    (ARTIFACTS / "page-weights.txt").write_text(table + "\n")
    heaviest = max(rows, key=lambda row: row[1])
    assert heaviest[1] < LIMIT, f"{heaviest[0]} weighs {heaviest[1]} bytes\n{table}"
    assert len(rows) == 2 * (len(PAGES) + 4 * 2 + 2)
