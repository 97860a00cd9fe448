"""The admin API's shapes: what coordinators send, and what they get back (never a table model)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from hub.domain.vocab import NeedStatus, OfferStatus, SpecialAttention, TaskKind
from hub.schemas import Address, Consent, Name, People, RecordId, ShortText, _Input

T = TypeVar("T")
NodeId = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^![0-9a-fA-F]{8}$")]
Skill = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next: str | None


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class CheckInOut(_Out):
    id: str
    address: str
    status: str
    people: int | None
    note: str | None
    source: str
    volunteer_id: str | None
    household_id: str | None
    verified: bool  # counts as reaching the household (its code, a handset, a coordinator)
    verified_by: str | None
    drill: bool
    created_at: datetime
    handled_at: datetime | None = None
    handled_by: str | None = None
    task_id: str | None = None


class NeedOut(_Out):
    id: str
    address: str
    category: str
    urgency: str
    description: str
    status: str
    source: str
    drill: bool
    created_at: datetime
    resolved_at: datetime | None
    duplicate_of: str | None = None


class SignalOut(_Out):
    """A neighbour's concern and its triage (``steps``: who did what, when)."""

    id: str
    category: str
    life: bool
    address: str | None
    description: str
    contact: str | None
    source: str
    reported_by: str | None
    status: str
    steps: list[dict[str, Any]]
    action: str | None
    action_ref: str | None
    routed_to: str | None
    merged_into: str | None
    drill: bool
    created_at: datetime
    updated_at: datetime | None


class OfferOut(_Out):
    id: str
    category: str
    description: str
    address: str | None
    contact: str | None
    status: str
    drill: bool
    created_at: datetime
    volunteer_id: str | None = None


class NeedStatusIn(BaseModel):
    """A coordinator closes, cancels, reopens or marks a need as a duplicate of another."""

    model_config = ConfigDict(extra="forbid")
    status: NeedStatus
    duplicate_of: RecordId | None = None


class OfferStatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: OfferStatus


class HelpTaskIn(BaseModel):
    """Turn a ``help`` check-in into a task; to a volunteer at once when one is named."""

    model_config = ConfigDict(extra="forbid")
    volunteer_id: RecordId | None = None


class TaskOut(_Out):
    id: str
    number: int
    kind: str
    address: str
    note: str | None
    note_on_air: bool = False
    status: str
    volunteer_id: str | None
    need_id: str | None
    household_id: str | None
    attempts: int
    flagged: bool
    nobody_accepted: bool = False
    fail_reason: str | None
    automatic: bool
    drill: bool
    created_at: datetime
    sent_at: datetime | None
    accepted_at: datetime | None
    done_at: datetime | None
    failed_at: datetime | None
    partner_id: str | None = None


class VolunteerOut(_Out):
    id: str
    name: str
    node_id: str | None
    skills: list[str]
    available: bool
    last_heard_at: datetime | None
    battery: int | None
    snr: float | None
    created_at: datetime


class HouseholdOut(_Out):
    id: str
    address: str
    special_attention: list[str]
    people: int | None
    contact: str | None
    note: str | None
    registered_by: str
    consent_given_by: str
    consent_share_upstream: bool
    buddy_volunteer_id: str | None
    code: str | None  # for the household's card; coordinators only, never upstream
    drill: bool
    created_at: datetime


class MessageOut(_Out):
    id: str
    node_id: str
    text: str
    kind: str
    direct: bool
    handled: bool
    drill: bool
    created_at: datetime


class AnnouncementOut(_Out):
    id: str
    title: str
    body: str
    priority: str
    send_mesh: bool
    send_upstream: bool
    source: str
    expires_at: datetime | None
    created_by: str | None
    drill: bool
    created_at: datetime
    translations: dict[str, dict[str, str]] = {}


class VolunteerIn(_Input):
    name: Name
    node_id: NodeId | None = None
    skills: list[Skill] = Field(default_factory=list, max_length=20)


class VolunteerPatch(_Input):
    name: Name | None = None
    node_id: NodeId | None = None
    skills: list[Skill] | None = Field(default=None, max_length=20)
    available: bool | None = None


class HouseholdIn(_Input):
    address: Address
    special_attention: list[SpecialAttention] = Field(min_length=1, max_length=8)
    consent: Consent
    people: People | None = None
    contact: Annotated[str, StringConstraints(strip_whitespace=True, max_length=80)] | None = None
    note: ShortText | None = None
    buddy_volunteer_id: RecordId | None = None


class HouseholdPatch(_Input):
    address: Address | None = None
    special_attention: list[SpecialAttention] | None = Field(default=None, min_length=1, max_length=8)
    people: People | None = None
    contact: Annotated[str, StringConstraints(strip_whitespace=True, max_length=80)] | None = None
    note: ShortText | None = None
    buddy_volunteer_id: RecordId | None = None


class TaskIn(_Input):
    kind: TaskKind
    address: Address | None = None
    note: ShortText | None = None
    send_note: bool = False  # the note goes on the air with the dispatch (no diagnoses)
    volunteer_id: RecordId | None = None
    need_id: RecordId | None = None
    household_id: RecordId | None = None


class AssignIn(_Input):
    volunteer_id: RecordId


class FailIn(_Input):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None


class ModeIn(_Input):
    mode: Literal["normal", "crisis", "drill"]


class ModeOut(BaseModel):
    mode: str
    since: str | None


class AlertOut(_Out):
    id: str
    kind: str
    node_id: str
    volunteer_id: str | None
    volunteer_name: str | None
    text: str
    unknown_node: bool
    verified: bool
    drill: bool
    raised_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None


class TaskOfferOut(_Out):
    volunteer_id: str
    volunteer_name: str
    offered_at: datetime
    outcome: str | None
    ended_at: datetime | None
