"""Plain copies of the records, for callers outside the services (the admin pages and API).

A use case gives these back instead of the table rows it read: frozen values with every column
copied while the session was open, so nothing outside the services holds a row bound to (or
detached from) a session. The ``view`` functions make them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, ParamSpec, TypeVar

from pydantic import BaseModel, ConfigDict

V = TypeVar("V", bound="_View")
P = ParamSpec("P")


class _View(BaseModel):
    # Each view's validator is built at its first use (the admin pages), not at the start.
    model_config = ConfigDict(from_attributes=True, frozen=True, defer_build=True)


class AuditEntryView(_View):
    """One line of the audit log."""

    pk: int | None
    at: datetime
    actor: str
    action: str
    target: str | None
    detail: dict[str, Any]


class UserView(_View):
    """An account (without its password hash)."""

    pk: int | None
    id: str
    name: str
    role: str
    failed_logins: int
    locked_until: datetime | None
    disabled: bool
    created_at: datetime
    partner_id: str | None = None


class PartnerView(_View):
    """A partner organisation of the neighbourhood."""

    pk: int | None
    id: str
    name: str
    kind: str
    created_at: datetime


class AlertView(_View):
    """An SOS from a handset."""

    pk: int | None
    id: str
    kind: str
    message_id: str | None
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


class TaskOfferView(_View):
    """A task offered to one volunteer, and how the offer ended."""

    pk: int | None
    id: str
    task_id: str
    volunteer_id: str
    volunteer_name: str
    offered_at: datetime
    outcome: str | None
    ended_at: datetime | None


class VolunteerView(_View):
    """A volunteer, with a handset or without."""

    pk: int | None
    id: str
    name: str
    node_id: str | None
    skills: list[str]
    available: bool
    last_heard_at: datetime | None
    battery: int | None
    snr: float | None
    created_at: datetime
    address: str | None
    address_key: str | None


class TaskView(_View):
    """A task for a volunteer."""

    pk: int | None
    id: str
    number: int
    kind: str
    address: str
    address_key: str
    note: str | None
    status: str
    volunteer_id: str | None
    need_id: str | None
    household_id: str | None
    attempts: int
    flagged: bool
    nobody_accepted: bool
    fail_reason: str | None
    automatic: bool
    drill: bool
    created_at: datetime
    sent_at: datetime | None
    accepted_at: datetime | None
    done_at: datetime | None
    failed_at: datetime | None
    note_on_air: bool
    partner_id: str | None = None


class MeshMessageView(_View):
    """A text a handset sent the hub."""

    pk: int | None
    id: str
    from_node: int
    node_id: str
    packet_id: int
    channel: int
    direct: bool
    pki: bool
    text: str
    kind: str
    handled: bool
    drill: bool
    created_at: datetime


class MeshOutboundView(_View):
    """A text waiting for, or sent over, the radio."""

    pk: int | None
    id: str
    dest: str
    text: str
    priority: int
    status: str
    want_ack: bool
    attempts: int
    packet_id: int | None
    not_before: datetime | None
    task_id: str | None
    airtime: float
    error: str | None
    created_at: datetime
    sent_at: datetime | None
    question: str | None
    reply_id: int | None
    announcement_id: str | None


class HouseholdView(_View):
    """A registered household (its code is for its card only)."""

    pk: int | None
    id: str
    address: str
    address_key: str
    street_key: str
    walk_key: str
    special_attention: list[str]
    people: int | None
    contact: str | None
    note: str | None
    registered_by: str
    consent_given_by: str
    consent_share_upstream: bool
    consent_at: datetime
    buddy_volunteer_id: str | None
    code: str | None
    drill: bool
    created_at: datetime


class CheckInView(_View):
    """A resident's check-in: OK or help."""

    pk: int | None
    id: str
    address: str
    address_key: str
    status: str
    people: int | None
    note: str | None
    source: str
    volunteer_id: str | None
    household_id: str | None
    verified: bool
    verified_by: str | None
    drill: bool
    created_at: datetime
    handled_at: datetime | None
    handled_by: str | None
    task_id: str | None


class NeedView(_View):
    """A resident's need."""

    pk: int | None
    id: str
    address: str
    address_key: str
    category: str
    urgency: str
    description: str
    status: str
    source: str
    origin_hub: str | None
    drill: bool
    created_at: datetime
    resolved_at: datetime | None
    duplicate_of: str | None


class SignalView(_View):
    """A neighbour's concern about a place or a person, and its triage."""

    pk: int | None
    id: str
    category: str
    life: bool
    address: str | None
    address_key: str | None
    street_key: str
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


class OfferView(_View):
    """An offer of help."""

    pk: int | None
    id: str
    category: str
    description: str
    address: str | None
    address_key: str | None
    contact: str | None
    status: str
    origin_hub: str | None
    drill: bool
    created_at: datetime
    volunteer_id: str | None = None


class AnnouncementView(_View):
    """An announcement to the neighbourhood."""

    pk: int | None
    id: str
    title: str
    body: str
    priority: str
    send_mesh: bool
    send_upstream: bool
    translations: dict[str, dict[str, str]]
    source: str
    external_id: str | None
    expires_at: datetime | None
    created_by: str | None
    drill: bool
    created_at: datetime
    shown_at: datetime | None
    meshed_at: datetime | None
    region_lora_id: int | None


class InboxMessageView(_View):
    """A message from upstream to the coordinators."""

    pk: int | None
    id: str
    external_id: str
    sender: str
    subject: str
    body: str
    sent_at: datetime | None
    received_at: datetime
    read_at: datetime | None


class DeadLetterView(_View):
    """A message the hub could not use, kept for a look."""

    pk: int | None
    id: str
    source: str
    topic: str
    reason: str
    payload: str
    created_at: datetime


class DrillView(_View):
    """A drill, with its report once it ended."""

    pk: int | None
    id: str
    started_at: datetime
    ended_at: datetime | None
    started_by: str
    report: dict[str, Any]


def view(shape: type[V], row: object) -> V:
    """The plain copy of ``row``."""
    return shape.model_validate(row)


def views(shape: type[V], rows: Iterable[object]) -> list[V]:
    """Plain copies of ``rows``, in their order."""
    return [shape.model_validate(row) for row in rows]


def returning(shape: type[V], fn: Callable[P, object]) -> Callable[P, V]:
    """``fn``, giving back the plain copy of the row it returns (made before its session ends)."""

    def copied(*args: P.args, **kwargs: P.kwargs) -> V:
        return shape.model_validate(fn(*args, **kwargs))

    copied.__doc__ = fn.__doc__
    copied.__name__ = getattr(fn, "__name__", "copied")
    return copied
