"""What travels on the wire: the event envelope, receipts, replays, inbound messages.

Every inbound payload is checked here before anything touches the database: at most
``MAX_PAYLOAD`` bytes, JSON against a pydantic schema, or CAP 1.2 XML parsed with
``defusedxml`` (no DTDs, no entities, so no entity bombs). A failure is a
``hub.errors.ValidationError`` whose message becomes the dead letter's reason.

Envelope: ``{"id": "<ULID>", "hub": "<hub_id>", "seq": <int>, "type": "checkin.created",
"at": "<ISO 8601 UTC>", "data": {...}}``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeVar

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic import ValidationError as PydanticError

from hub.domain.cap import CapAlert, parse_alert
from hub.domain.vocab import AnnouncementPriority
from hub.errors import ValidationError
from hub.schemas import Moment

MAX_PAYLOAD = 64 * 1024
EVENT_TYPE = r"^[a-z_]+\.[a-z_]+$"

Model = TypeVar("Model", bound=BaseModel)
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Envelope(_Wire):
    id: Annotated[str, StringConstraints(min_length=1, max_length=26)]
    hub: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
    seq: int = Field(ge=1)
    type: Annotated[str, StringConstraints(pattern=EVENT_TYPE, max_length=40)]
    at: datetime
    data: dict[str, Any]


class Receipt(_Wire):
    upto: int = Field(ge=0)


class Replay(_Wire):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    start: int = Field(ge=1, alias="from")


class InboxPayload(_Wire):
    """A directed message from an upstream coordinator to this hub's coordinators."""

    id: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    sender: Annotated[str, StringConstraints(strip_whitespace=True, max_length=80)] = "upstream"
    subject: Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)] = ""
    body: Annotated[Text, StringConstraints(max_length=2000)]
    sent_at: datetime | None = None


class AnnouncementMessage(_Wire):
    """The JSON schema of ``R/broadcast/announcements`` (CAP XML is the other accepted form)."""

    id: Annotated[str, StringConstraints(min_length=1, max_length=150)]
    sender: Annotated[str, StringConstraints(strip_whitespace=True, max_length=80)] = "upstream"
    title: Annotated[Text, StringConstraints(max_length=120)]
    body: Annotated[Text, StringConstraints(max_length=2000)]
    priority: AnnouncementPriority = "info"
    send_mesh: bool = False
    expires_at: Moment | None = None
    translations: dict[str, dict[str, str]] = Field(default_factory=dict)
    drill: bool = False


def json_key(message: AnnouncementMessage) -> str:
    """The ``external_id`` a hub gives a JSON announcement; the region's LoRa copy of it goes
    by a message id derived from it (``hub.domain.region_radio.announcement_id``)."""
    return f"json:{message.sender}:{message.id}"[:200]


NeedStatus = Literal["open", "resolved", "cancelled", "duplicate"]
OfferStatus = Literal["available", "used", "withdrawn"]


class _StatusData(BaseModel):
    # Tolerant of fields added later by the origin; strict on what we use.
    model_config = ConfigDict(extra="ignore", frozen=True)
    id: Annotated[str, StringConstraints(min_length=1, max_length=26)]


class NeedStatusChange(_StatusData):
    """``data`` of a peer's ``need.status`` event."""

    status: NeedStatus
    duplicate_of: Annotated[str, StringConstraints(min_length=1, max_length=26)] | None = None


class OfferStatusChange(_StatusData):
    """``data`` of a peer's ``offer.status`` event."""

    status: OfferStatus


def encode_event(hub_id: str, seq: int, event_id: str, event_type: str, at: datetime, data: Any) -> bytes:
    """An outbox row as the bytes of its envelope."""
    moment = at if at.tzinfo else at.replace(tzinfo=UTC)
    envelope = {
        "id": event_id,
        "hub": hub_id,
        "seq": seq,
        "type": event_type,
        "at": moment.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "data": data,
    }
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()


def encode_event_json(
    hub_id: str, seq: int, event_id: str, event_type: str, at: datetime, data_json: str
) -> bytes:
    """As :func:`encode_event`, with the data already JSON text (an outbox row's, as stored): it
    goes into the envelope as it is, not parsed and written again (the drain's hot path)."""
    moment = at if at.tzinfo else at.replace(tzinfo=UTC)
    head = {
        "id": event_id,
        "hub": hub_id,
        "seq": seq,
        "type": event_type,
        "at": moment.astimezone(UTC).isoformat().replace("+00:00", "Z"),
    }
    text = json.dumps(head, separators=(",", ":"), ensure_ascii=False)
    return f'{text[:-1]},"data":{data_json}}}'.encode()


def check_size(payload: bytes) -> None:
    if len(payload) > MAX_PAYLOAD:
        raise ValidationError(f"payload of {len(payload)} bytes is over the limit of {MAX_PAYLOAD}")


def parse_json(payload: bytes, model: type[Model]) -> Model:
    """``payload`` as ``model``; ``ValidationError`` naming the first problem otherwise."""
    check_size(payload)
    try:
        raw = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(f"not JSON: {exc}") from exc
    return parse_data(raw, model)


def parse_data(raw: object, model: type[Model]) -> Model:
    """Decoded JSON as ``model``; ``ValidationError`` naming the first problem otherwise."""
    try:
        return model.model_validate(raw)
    except PydanticError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "message"
        raise ValidationError(f"{model.__name__}: {where}: {first['msg']}", field=where) from exc


def looks_like_xml(payload: bytes) -> bool:
    return payload.lstrip()[:1] == b"<"


def parse_cap(payload: bytes) -> CapAlert:
    """A CAP 1.2 alert from untrusted bytes: DTDs and entities are refused, not expanded."""
    check_size(payload)
    try:
        root = SafeET.fromstring(payload, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise ValidationError(f"CAP: refused XML ({type(exc).__name__})") from exc
    except SafeET.ParseError as exc:
        raise ValidationError(f"CAP: not well-formed XML: {exc}") from exc
    return parse_alert(root)
