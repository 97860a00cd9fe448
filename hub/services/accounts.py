"""Coordinator accounts, login sessions and API tokens.

Passwords are hashed with argon2id. Sessions and API tokens are random strings handed to the
client once; the database keeps only their SHA-256, so a copy of the database logs nobody in.
After :data:`MAX_FAILURES` wrong passwords in a row an account is locked for
:data:`LOCK_MINUTES` (each further failure starts the lock again); attempts are counted in the
writer before the password is checked, so simultaneous logins cannot get past the count (see
:class:`LoginAttempt`). The web layer adds a per-client limit.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, delete, select

from hub.domain.vocab import PARTNER_ROLE, ROLES
from hub.errors import Conflict, ValidationError
from hub.models import AdminSession, ApiToken, User
from hub.models.base import as_utc, utcnow
from hub.services.audit import record
from hub.services.door import reads, writes_without_context

MAX_FAILURES = 5
LOCK_MINUTES = 5
SESSION_HOURS = 12
MIN_PASSWORD = 10

_hasher = PasswordHasher()  # argon2id with the library's (RFC 9106 low-memory) parameters
# Verified against when a name is unknown, so that the answer takes as long as for a known one.
# A constant, not hashed at import (a quarter second of CPU on every start); its parameters are
# the hasher's (tests/test_serve_startup.py checks that it would not need a rehash).
_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$6IkFMQEgph72jq1lY4As4g$LgGH+53cHs5ooTTIWKBgYoGCxfYP9ibM/wnVK54s2KI"
)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ValidationError(f"the password needs at least {MIN_PASSWORD} characters", "password")
    return _hasher.hash(password)


def create_user(
    session: Session,
    name: str,
    password: str,
    *,
    role: str = "coordinator",
    actor: str,
    partner_id: str | None = None,
) -> User:
    """An account; a partner's (``role`` ``partner``) belongs to one partner organisation."""
    name = name.strip()
    if not name or len(name) > 80:
        raise ValidationError("a name of 1 to 80 characters", "name")
    if (role == PARTNER_ROLE) != (partner_id is not None) or (role not in ROLES and role != PARTNER_ROLE):
        raise ValidationError(f"role must be one of {', '.join(ROLES)}", "role")
    if session.exec(select(User).where(User.name == name)).first():
        raise Conflict(f"a user named {name!r} already exists")
    user = User(name=name, role=role, password_hash=hash_password(password), partner_id=partner_id)
    session.add(user)
    session.flush()
    record(session, actor, "user.create", user.id, name=name, role=role, partner_id=partner_id)
    return user


@dataclass(frozen=True)
class LoginAttempt:
    """A password check the account allows, counted before it is made.

    :func:`begin_login` counts the attempt in the writer's transaction as if it failed (and locks
    the account when it is the last one allowed); only then is the password checked, outside
    the writer (argon2 is slow on purpose); a right password starts the count again
    (:func:`start_session`). So simultaneous logins cannot check more than
    :data:`MAX_FAILURES` passwords between two locks."""

    user_id: str | None
    password_hash: str | None
    locked: bool
    locks: bool = False

    def verify(self, password: str) -> bool:
        """Whether ``password`` is right (as slow for an unknown name as for a known one)."""
        if self.locked:
            return False
        if self.password_hash is None:
            _verify(_DUMMY_HASH, password)
            return False
        return _verify(self.password_hash, password)


def begin_login(session: Session, name: str, now: datetime | None = None) -> LoginAttempt:
    """Count a login attempt for ``name``; refused (``locked``) while the account is locked."""
    moment = now or utcnow()
    user = session.exec(select(User).where(User.name == name)).first()
    if user is None:
        return LoginAttempt(None, None, locked=False)
    if user.locked_until is not None and as_utc(user.locked_until) > moment:
        return LoginAttempt(user.id, None, locked=True)
    if user.disabled:  # answered like a wrong password, in the same time (verify hashes a dummy)
        return LoginAttempt(user.id, None, locked=False)
    user.failed_logins += 1
    locks = user.failed_logins >= MAX_FAILURES
    if locks:
        user.locked_until = moment + timedelta(minutes=LOCK_MINUTES)
    session.add(user)
    return LoginAttempt(user.id, user.password_hash, locked=False, locks=locks)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def record_failure(session: Session, attempt: LoginAttempt, *, client: str) -> None:
    """Audit a wrong password (the attempt was counted already by :func:`begin_login`)."""
    if attempt.user_id is None:
        record(session, "anonymous", "login.failed", None, client=client)
        return
    user = session.exec(select(User).where(User.id == attempt.user_id)).one()
    record(session, user.name, "login.failed", user.id, client=client, locked=attempt.locks)


@dataclass(frozen=True)
class NewSession:
    token: str
    csrf_token: str
    expires_at: datetime
    partner: bool = False  # a partner's account: its own page, not the dashboard


def start_session(session: Session, user_id: str, *, client: str, replaces: str | None = None) -> NewSession:
    """A fresh session for a successful login; the one the browser had before is dropped."""
    user = session.exec(select(User).where(User.id == user_id)).one()
    user.failed_logins = 0
    user.locked_until = None
    session.add(user)
    if replaces:
        session.exec(delete(AdminSession).where(col(AdminSession.token_hash) == token_hash(replaces)))
    session.exec(delete(AdminSession).where(col(AdminSession.expires_at) < utcnow()))
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    expires = utcnow() + timedelta(hours=SESSION_HOURS)
    session.add(
        AdminSession(
            token_hash=token_hash(token),
            user_id=user.id,
            csrf_token=csrf,
            expires_at=expires,
            client=client[:64],
        )
    )
    record(session, user.name, "login", user.id, client=client)
    return NewSession(token, csrf, expires, partner=user.partner_id is not None)


def end_session(session: Session, token: str, *, actor: str) -> None:
    session.exec(delete(AdminSession).where(col(AdminSession.token_hash) == token_hash(token)))
    record(session, actor, "logout")


def revoke_sessions(session: Session, user_id: str, *, actor: str) -> None:
    session.exec(delete(AdminSession).where(col(AdminSession.user_id) == user_id))
    record(session, actor, "sessions.revoke", user_id)


@dataclass(frozen=True)
class Principal:
    """Who is acting: a logged-in person or an API token."""

    name: str
    role: str
    via: str  # "session" | "token"
    csrf_token: str | None = None
    session_token: str | None = None
    token_id: str | None = None
    token_last_used: datetime | None = None
    partner_id: str | None = None  # a partner organisation's account or token

    @property
    def can_write(self) -> bool:
        return self.role == "coordinator"

    @property
    def is_partner(self) -> bool:
        """A partner organisation's: only the partner pages and ``/api/v1/partner``."""
        return self.role == PARTNER_ROLE or self.partner_id is not None


def session_principal(read: Session, token: str, now: datetime | None = None) -> Principal | None:
    row = read.get(AdminSession, token_hash(token))
    if row is None or as_utc(row.expires_at) <= (now or utcnow()):
        return None
    user = read.exec(select(User).where(User.id == row.user_id)).first()
    if user is None or user.disabled:
        return None
    return Principal(
        user.name,
        user.role,
        "session",
        csrf_token=row.csrf_token,
        session_token=token,
        partner_id=user.partner_id,
    )


MAX_TOKEN_DAYS = 3650


def create_token(
    session: Session, name: str, *, actor: str, expires_days: int | None = None, partner_id: str | None = None
) -> str:
    """A new API token (coordinator rights; a partner's with ``partner_id``); returned once,
    stored as its hash.

    With ``expires_days`` the token stops working that many days from now.
    """
    name = name.strip()
    if not name or len(name) > 80:
        raise ValidationError("a name of 1 to 80 characters", "name")
    if expires_days is not None and not 1 <= expires_days <= MAX_TOKEN_DAYS:
        raise ValidationError(f"expiry of 1 to {MAX_TOKEN_DAYS} days", "expires_days")
    expires = utcnow() + timedelta(days=expires_days) if expires_days is not None else None
    token = "bb_" + secrets.token_urlsafe(32)
    row = ApiToken(name=name, token_hash=token_hash(token), expires_at=expires, partner_id=partner_id)
    session.add(row)
    session.flush()
    record(
        session, actor, "token.create", row.id, name=name, expires_days=expires_days, partner_id=partner_id
    )
    return token


def token_principal(read: Session, token: str, now: datetime | None = None) -> Principal | None:
    row = read.exec(select(ApiToken).where(ApiToken.token_hash == token_hash(token))).first()
    if row is None or row.revoked:
        return None
    if row.expires_at is not None and as_utc(row.expires_at) <= (now or utcnow()):
        return None
    return Principal(
        f"token:{row.name}",
        PARTNER_ROLE if row.partner_id else "coordinator",
        "token",
        token_id=row.id,
        token_last_used=row.last_used_at,
        partner_id=row.partner_id,
    )


def revoke_token(session: Session, name: str, *, actor: str) -> int:
    rows = session.exec(select(ApiToken).where(ApiToken.name == name, col(ApiToken.revoked).is_(False))).all()
    for row in rows:
        row.revoked = True
        session.add(row)
    record(session, actor, "token.revoke", None, name=name, count=len(rows))
    return len(rows)


# The use cases callers outside the services name (see ``hub.services.door``).
login_begins = writes_without_context(begin_login)
login_failed = writes_without_context(record_failure)
login_succeeded = writes_without_context(start_session)
logout = writes_without_context(end_session)
principal_of_session = reads(session_principal)
principal_of_token = reads(token_principal)
