"""Coordinators: accounts, sessions, API tokens and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field

from hub.models.base import Table, id_field, json_field, pk_field, utcnow


class User(Table, table=True):
    __tablename__ = "users"
    pk: int | None = pk_field()
    id: str = id_field()
    name: str = Field(unique=True, max_length=80)
    role: str = Field(default="coordinator", max_length=12)
    password_hash: str = Field(max_length=200)
    failed_logins: int = 0
    locked_until: datetime | None = None
    disabled: bool = False  # cannot log in; ``hub user disable`` also ends the sessions
    # A partner organisation's account (role ``partner``): it sees only that partner's data.
    partner_id: str | None = Field(default=None, index=True, max_length=26)  # partners.id
    created_at: datetime = Field(default_factory=utcnow)


class AdminSession(Table, table=True):
    """A server-side login session; the cookie holds a random token, the table its hash."""

    __tablename__ = "admin_sessions"
    token_hash: str = Field(primary_key=True, max_length=64)
    id: str = id_field()  # names the session on the access page, where the hash stays unseen
    user_id: str = Field(foreign_key="users.id", index=True)
    csrf_token: str = Field(max_length=64)
    client: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime


class ApiToken(Table, table=True):
    __tablename__ = "api_tokens"
    pk: int | None = pk_field()
    id: str = id_field()
    name: str = Field(max_length=80)
    token_hash: str = Field(unique=True, max_length=64)
    revoked: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime | None = None
    last_used_at: datetime | None = None
    # A partner organisation's token: the partner API only, that partner's data only.
    partner_id: str | None = Field(default=None, max_length=26)  # partners.id


class AuditEntry(Table, table=True):
    __tablename__ = "audit_log"
    pk: int | None = pk_field()
    at: datetime = Field(default_factory=utcnow)
    actor: str = Field(max_length=80)
    action: str = Field(max_length=60)
    target: str | None = Field(default=None, max_length=80)
    detail: dict[str, Any] = json_field(dict)
