"""Revoking access: listing sessions and tokens, ending them, disabling users, new passwords.

Every change here is audited in its own transaction (:func:`hub.services.audit.record`).
Sessions are server-side rows (:class:`hub.models.AdminSession`): deleting a row ends the
session at the browser's next request. Tokens are marked revoked, never deleted, so that
``hub token list`` and the audit log keep their history.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, delete, select

from hub.errors import NotFound
from hub.models import AdminSession, ApiToken, User
from hub.models.base import as_utc, utcnow
from hub.services.accounts import hash_password, token_hash
from hub.services.audit import record
from hub.services.context import Door
from hub.services.door import reads, writes_without_context
from hub.services.record_views import UserView, views

# A token's last use is written at most this often: a script polling every second
# should not cost a commit per request.
LAST_USED_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class TokenRow:
    id: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    state: str  # "active" | "revoked" | "expired"


@dataclass(frozen=True)
class SessionRow:
    id: str
    user: str
    role: str
    client: str | None
    created_at: datetime
    expires_at: datetime
    token_hash: str


def _user(session: Session, name: str) -> User:
    user = session.exec(select(User).where(User.name == name.strip())).first()
    if user is None:
        raise NotFound(f"no user named {name.strip()!r}")
    return user


def token_state(token: ApiToken, now: datetime) -> str:
    if token.revoked:
        return "revoked"
    if token.expires_at is not None and as_utc(token.expires_at) <= now:
        return "expired"
    return "active"


def list_tokens(read: Session, now: datetime | None = None) -> list[TokenRow]:
    """Every token, newest first; never the secret (the hub does not have it)."""
    moment = now or utcnow()
    rows = read.exec(select(ApiToken).order_by(col(ApiToken.pk).desc())).all()
    return [
        TokenRow(t.id, t.name, t.created_at, t.last_used_at, t.expires_at, token_state(t, moment))
        for t in rows
    ]


def list_sessions(read: Session, now: datetime | None = None) -> list[SessionRow]:
    """The sessions that still let someone in, newest first."""
    query = (
        select(AdminSession, User)
        .join(User, col(User.id) == col(AdminSession.user_id))
        .where(col(AdminSession.expires_at) > (now or utcnow()))
        .order_by(col(AdminSession.created_at).desc())
    )
    return [
        SessionRow(s.id, u.name, u.role, s.client, s.created_at, s.expires_at, s.token_hash)
        for s, u in read.exec(query).all()
    ]


def is_session(row: SessionRow, token: str | None) -> bool:
    """Whether ``row`` is the session of the browser holding ``token``."""
    return bool(token) and row.token_hash == token_hash(token or "")


def revoke_token_by_id(session: Session, token_id: str, *, actor: str) -> None:
    token = session.exec(select(ApiToken).where(ApiToken.id == token_id)).first()
    if token is None:
        raise NotFound("no such token")
    count = 0 if token.revoked else 1
    token.revoked = True
    session.add(token)
    record(session, actor, "token.revoke", token.id, name=token.name, count=count)


def revoke_tokens_named(session: Session, name: str, *, actor: str) -> int:
    """Revoke every active token called ``name``; :class:`NotFound` when there is none."""
    tokens = session.exec(
        select(ApiToken).where(ApiToken.name == name.strip(), col(ApiToken.revoked).is_(False))
    ).all()
    if not tokens:
        raise NotFound(f"no active token named {name.strip()!r}")
    for token in tokens:
        token.revoked = True
        session.add(token)
    record(session, actor, "token.revoke", None, name=name.strip(), count=len(tokens))
    return len(tokens)


def revoke_session_by_id(session: Session, session_id: str, *, actor: str) -> None:
    row = session.exec(select(AdminSession).where(AdminSession.id == session_id)).first()
    if row is None:
        raise NotFound("no such session")
    user = session.exec(select(User).where(User.id == row.user_id)).one()
    session.delete(row)
    record(session, actor, "session.revoke", user.id, user=user.name, session_id=row.id)


def _end_sessions(session: Session, user: User) -> int:
    ended = session.exec(select(AdminSession).where(AdminSession.user_id == user.id)).all()
    session.exec(delete(AdminSession).where(col(AdminSession.user_id) == user.id))
    return len(ended)


def disable_user(session: Session, name: str, *, actor: str) -> int:
    """The user cannot log in any more; their sessions end. Returns how many ended."""
    user = _user(session, name)
    user.disabled = True
    session.add(user)
    ended = _end_sessions(session, user)
    record(session, actor, "user.disable", user.id, name=user.name, sessions_ended=ended)
    return ended


def enable_user(session: Session, name: str, *, actor: str) -> None:
    user = _user(session, name)
    user.disabled = False
    session.add(user)
    record(session, actor, "user.enable", user.id, name=user.name)


def set_password(session: Session, name: str, password: str, *, actor: str) -> int:
    """A new password (the old lock is lifted); the user's sessions end. Returns how many ended."""
    user = _user(session, name)
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    session.add(user)
    ended = _end_sessions(session, user)
    record(session, actor, "user.passwd", user.id, name=user.name, sessions_ended=ended)
    return ended


def list_users(read: Session) -> list[User]:
    return list(read.exec(select(User).order_by(col(User.name))).all())


def token_use_due(last_used: datetime | None, now: datetime | None = None) -> bool:
    return last_used is None or as_utc(last_used) <= (now or utcnow()) - LAST_USED_EVERY


def mark_token_used(session: Session, token_id: str, at: datetime) -> None:
    """Note a token's use (not audited: it is a reading, not a change)."""
    token = session.exec(select(ApiToken).where(ApiToken.id == token_id)).first()
    if token is not None and token_use_due(token.last_used_at, at):
        token.last_used_at = at
        session.add(token)


# The use cases callers outside the services name (see ``hub.services.door``).
revoke_session = writes_without_context(revoke_session_by_id)
revoke_token = writes_without_context(revoke_token_by_id)


@dataclass(frozen=True)
class AccessOverview:
    """Who holds a way in: sessions, API tokens and the accounts."""

    sessions: list[SessionRow]
    tokens: list[TokenRow]
    users: list[UserView]


def _overview(read: Session, now: datetime | None = None) -> AccessOverview:
    return AccessOverview(list_sessions(read, now), list_tokens(read, now), views(UserView, list_users(read)))


access_overview = reads(_overview)


def note_token_use(door: Door, token_id: str, at: datetime) -> Future[None]:
    """Write a token's last use without waiting for it (``StorageUnavailable`` when the writer
    is not running)."""
    return door.store.submit(lambda session: mark_token_used(session, token_id, at))
