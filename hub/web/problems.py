"""What the JSON API answers when it does not do what was asked, as the OpenAPI document shows it.

Every error is JSON with a ``detail``: a sentence (:class:`Problem`), or for bad input (422) the
list of fields to fix (:class:`InvalidInput`), whether a schema or a service rule refused it. The
one exception is 413 (:class:`hub.web.security.BodyLimit` answers before the app): plain text.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from hub.errors import ValidationError


class FieldProblem(BaseModel):
    """One field to fix: its dotted name (``consent.given_by``, ``cursor``), why, and a code."""

    field: str
    message: str
    type: str


class InvalidInput(BaseModel):
    """422: the request broke a rule; nothing was stored."""

    detail: list[FieldProblem]


class Problem(BaseModel):
    """Any other refusal (400, 401, 403, 404, 409, 429, 503): one sentence."""

    detail: str


def invalid(field: str, message: str, kind: str = "value_error") -> dict[str, Any]:
    """The body of a 422 about one field."""
    return InvalidInput(detail=[FieldProblem(field=field, message=message, type=kind)]).model_dump()


def invalid_from(exc: ValidationError) -> dict[str, Any]:
    """The body of a 422 for a rule a service enforces (``hub.errors.ValidationError``)."""
    return invalid(exc.field or "", str(exc))


_MEANING = {
    400: "The body is not JSON text (not UTF-8, or cut off).",
    401: "Missing or wrong credentials (a session or `Authorization: Bearer <token>`).",
    403: "Not allowed: wrong network, a viewer writing, or a missing CSRF token.",
    404: "No such record.",
    409: "Clashes with the record's state, or the idempotency key belongs to another or a deleted record.",
    422: "Bad input: the fields to fix. Nothing was stored.",
    429: "Too many submissions from this device; see `Retry-After`.",
    503: "The hub cannot save right now; nothing was stored. See `Retry-After`.",
}


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` for these refusals (413 is always possible: bodies are limited)."""
    documented: dict[int | str, dict[str, Any]] = {
        413: {
            "description": "The body is too large.",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    }
    for code in codes:
        documented[code] = {
            "description": _MEANING[code],
            "model": InvalidInput if code == 422 else Problem,
        }
    return documented


RESIDENT_WRITE = responses(400, 409, 422, 429, 503)
ADMIN = responses(401, 403, 422)
ADMIN_RECORD = responses(404)
ADMIN_WRITE = responses(400, 409, 503)
ADMIN_RECORD_WRITE = responses(400, 404, 409, 503)
