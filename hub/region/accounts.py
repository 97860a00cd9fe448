"""The region's people: accounts with a role, login sessions, and the audit log, in PostgreSQL.

Roles: ``officer`` (may send announcements and alerts to hubs, and read the audit log) and
``viewer`` (may only look). Passwords are argon2id; sessions are random strings handed to the
browser once, the database keeps only their SHA-256, so a copy of the database logs nobody in.
Each session carries its own CSRF token. After :data:`MAX_FAILURES` wrong passwords in a row an
account is locked for :data:`LOCK_MINUTES`. Every login, logout, failed login and message sent
is a line in ``region_audit``.

The tables live in the region's database beside :mod:`hub.region.store`'s, made by
:func:`create` (``CREATE TABLE IF NOT EXISTS``); a web server of the region keeps nothing in
memory that another one needs, so two can run behind one address.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Engine,
    Identity,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    select,
    update,
)

from hub.errors import Conflict, ValidationError

ROLES = ("officer", "viewer")
MAX_FAILURES = 5
LOCK_MINUTES = 5
SESSION_HOURS = 12
MIN_PASSWORD = 10

_hasher = PasswordHasher()
# Checked against when a name is unknown, so the answer takes as long as for a known one.
_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$6IkFMQEgph72jq1lY4As4g$LgGH+53cHs5ooTTIWKBgYoGCxfYP9ibM/wnVK54s2KI"
)

metadata = MetaData()
users_table = Table(
    "region_users",
    metadata,
    Column("name", String(80), primary_key=True),
    Column("role", String(20), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("failures", Integer, nullable=False, default=0),
    Column("locked_until", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
sessions_table = Table(
    "region_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_name", String(80), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)
audit_table = Table(
    "region_audit",
    metadata,
    Column("pk", BigInteger, Identity(), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(80), nullable=False),
    Column("action", String(40), nullable=False),
    Column("target", String(300)),
    Column("detail", Text, nullable=False),
    Index("ix_region_audit_at", "at"),
)


def create(engine: Engine) -> None:
    metadata.create_all(engine)


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Person:
    """Who is logged in, and the CSRF token of their session."""

    name: str
    role: str
    csrf: str

    @property
    def can_send(self) -> bool:
        return self.role == "officer"


@dataclass(frozen=True)
class AuditLine:
    at: datetime
    actor: str
    action: str
    target: str | None
    detail: dict[str, Any]


def record(engine: Engine, actor: str, action: str, target: str | None = None, **detail: Any) -> None:
    with engine.begin() as conn:
        conn.execute(
            audit_table.insert().values(
                at=datetime.now(UTC),
                actor=actor,
                action=action,
                target=target,
                detail=json.dumps(detail, ensure_ascii=False, sort_keys=True),
            )
        )


def audit_lines(engine: Engine, limit: int = 200) -> list[AuditLine]:
    query = select(audit_table).order_by(audit_table.c.pk.desc()).limit(limit)
    with engine.connect() as conn:
        return [
            AuditLine(row.at, row.actor, row.action, row.target, json.loads(row.detail))
            for row in conn.execute(query)
        ]


def actors(engine: Engine, action: str, targets: Sequence[str]) -> dict[str, str]:
    """Who did ``action`` to each of ``targets``, as the audit log has it (the first to, if several)."""
    if not targets:
        return {}
    query = (
        select(audit_table.c.target, audit_table.c.actor)
        .where(audit_table.c.action == action, audit_table.c.target.in_(sorted(set(targets))))
        .order_by(audit_table.c.pk.desc())
    )
    with engine.connect() as conn:
        return {str(target): str(actor) for target, actor in conn.execute(query)}


def add_user(engine: Engine, name: str, password: str, role: str, *, actor: str = "cli") -> None:
    name = name.strip()
    if not name or len(name) > 80:
        raise ValidationError("a name of 1 to 80 characters", "name")
    if role not in ROLES:
        raise ValidationError(f"role must be one of {', '.join(ROLES)}", "role")
    if len(password) < MIN_PASSWORD:
        raise ValidationError(f"the password needs at least {MIN_PASSWORD} characters", "password")
    with engine.begin() as conn:
        if conn.execute(select(users_table.c.name).where(users_table.c.name == name)).first():
            raise Conflict(f"a user named {name!r} already exists")
        conn.execute(
            users_table.insert().values(
                name=name,
                role=role,
                password_hash=_hasher.hash(password),
                failures=0,
                created_at=datetime.now(UTC),
            )
        )
    record(engine, actor, "user.create", name, role=role)


def login(engine: Engine, name: str, password: str) -> tuple[str, Person] | None:
    """A new session for the right password: (the token for the cookie, the person); else None.

    A locked account answers None whatever the password; the failure is counted first, so
    simultaneous guesses cannot get past the limit."""
    now = datetime.now(UTC)
    with engine.begin() as conn:
        row = conn.execute(select(users_table).where(users_table.c.name == name).with_for_update()).first()
        if row is not None and not (row.locked_until and row.locked_until > now):
            failures = row.failures + 1
            locked = now + timedelta(minutes=LOCK_MINUTES) if failures >= MAX_FAILURES else None
            conn.execute(
                update(users_table)
                .where(users_table.c.name == name)
                .values(failures=failures, locked_until=locked)
            )
    if row is None or (row.locked_until and row.locked_until > now):
        _verify(_DUMMY_HASH, password)
        record(engine, name[:80] or "?", "login.failed", None, locked=row is not None)
        return None
    if not _verify(row.password_hash, password):
        record(engine, name, "login.failed", None)
        return None
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with engine.begin() as conn:
        conn.execute(
            update(users_table).where(users_table.c.name == name).values(failures=0, locked_until=None)
        )
        conn.execute(sessions_table.delete().where(sessions_table.c.expires_at < now))
        conn.execute(
            sessions_table.insert().values(
                token_hash=_hash_token(token),
                user_name=name,
                csrf=csrf,
                expires_at=now + timedelta(hours=SESSION_HOURS),
            )
        )
    record(engine, name, "login", None)
    return token, Person(name, row.role, csrf)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def person_of(engine: Engine, token: str) -> Person | None:
    query = (
        select(users_table.c.name, users_table.c.role, sessions_table.c.csrf)
        .join(users_table, users_table.c.name == sessions_table.c.user_name)
        .where(
            sessions_table.c.token_hash == _hash_token(token),
            sessions_table.c.expires_at > datetime.now(UTC),
        )
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return Person(row.name, row.role, row.csrf) if row else None


def logout(engine: Engine, token: str, person: Person) -> None:
    with engine.begin() as conn:
        conn.execute(delete(sessions_table).where(sessions_table.c.token_hash == _hash_token(token)))
    record(engine, person.name, "logout", None)
