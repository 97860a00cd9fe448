"""The hub's mode and other small facts kept in ``hub_state``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from hub.domain.vocab import Mode
from hub.models import HubState
from hub.models.base import as_utc


def get_state(session: Session, key: str) -> dict[str, Any]:
    row = session.get(HubState, key)
    return dict(row.value) if row else {}


def put_state(session: Session, key: str, value: dict[str, Any]) -> None:
    if key == "mode":
        session.info.pop(MODE_CACHE, None)
    row = session.get(HubState, key)
    if row is None:
        session.add(HubState(key=key, value=value))
    else:
        row.value = value
        session.add(row)


MODE_CACHE = "hub_mode"


def get_mode(session: Session) -> Mode:
    """The hub's mode, read once per transaction (it is asked for on every submission)."""
    if MODE_CACHE in session.info:
        return session.info[MODE_CACHE]  # type: ignore[no-any-return]
    mode = get_state(session, "mode").get("mode", "normal")
    session.info[MODE_CACHE] = mode
    return mode if mode in ("normal", "crisis", "drill") else "normal"


def is_drill(session: Session) -> bool:
    return get_mode(session) == "drill"


def mode_since(session: Session) -> datetime | None:
    """When the current mode began (``None``: the hub never changed mode)."""
    since = get_state(session, "mode").get("since")
    return as_utc(datetime.fromisoformat(since)) if since else None
