"""The API vocabularies (docs/reference/http.md#vocabularies). Extend them; never rename a value.

Each vocabulary is written once, as the ``Literal`` the schemas validate against; the
tuple beside it (for membership tests and messages) is read from it with ``get_args``.
"""

from __future__ import annotations

from typing import Literal, get_args

from hub.domain.signal_states import SignalAction, SignalStatus
from hub.domain.task_states import TaskStatus

NeedCategory = Literal[
    "water", "food", "medicine", "power", "medical_device", "transport", "information", "other"
]
OfferCategory = Literal["first_aid", "care", "car", "generator", "language", "tools", "space", "other"]
SpecialAttention = Literal[
    "alone_75plus",
    "mobility",
    "medical_device",
    "small_children",
    "pregnant",
    "hearing_sight",
    "no_phone",
    "language",
]
Urgency = Literal["normal", "urgent", "life"]
CheckInStatus = Literal["ok", "help"]
AnnouncementPriority = Literal["info", "warning", "urgent"]
TaskKind = Literal["door_knock", "delivery", "transport", "check"]
Mode = Literal["normal", "crisis", "drill"]
ShareLevel = Literal["aggregate", "needs", "full"]
NeedStatus = Literal["open", "resolved", "cancelled", "duplicate"]
OfferStatus = Literal["available", "used", "withdrawn"]
Role = Literal["coordinator", "viewer"]
# A partner organisation's kind (housing corporation, home-care team, GP practice, pharmacy).
PartnerKind = Literal["housing", "home_care", "gp", "pharmacy", "other"]
# The role of a partner organisation's account: made on the partners page, never by ``hub user``.
PARTNER_ROLE = "partner"
ExportFormat = Literal["json", "csv", "cap"]
# A neighbour's concern (a signal): someone not seen, danger in the street, a building or utility
# failure, someone who needs care, something else.
SignalCategory = Literal["not_seen", "street_danger", "building", "care", "other"]

NEED_CATEGORIES: tuple[str, ...] = get_args(NeedCategory)
OFFER_CATEGORIES: tuple[str, ...] = get_args(OfferCategory)
SPECIAL_ATTENTION: tuple[str, ...] = get_args(SpecialAttention)
URGENCIES: tuple[str, ...] = get_args(Urgency)
CHECKIN_STATUSES: tuple[str, ...] = get_args(CheckInStatus)
ANNOUNCEMENT_PRIORITIES: tuple[str, ...] = get_args(AnnouncementPriority)
TASK_KINDS: tuple[str, ...] = get_args(TaskKind)
TASK_STATUSES: tuple[str, ...] = tuple(status.value for status in TaskStatus)
MODES: tuple[str, ...] = get_args(Mode)
NEED_STATUSES: tuple[str, ...] = get_args(NeedStatus)
OFFER_STATUSES: tuple[str, ...] = get_args(OfferStatus)
ROLES: tuple[str, ...] = get_args(Role)
PARTNER_KINDS: tuple[str, ...] = get_args(PartnerKind)
EXPORT_FORMATS: tuple[str, ...] = get_args(ExportFormat)
SIGNAL_CATEGORIES: tuple[str, ...] = get_args(SignalCategory)
SIGNAL_STATUSES: tuple[str, ...] = tuple(status.value for status in SignalStatus)
SIGNAL_ACTIONS: tuple[str, ...] = tuple(action.value for action in SignalAction)

URGENCY_RANK = {"life": 0, "urgent": 1, "normal": 2}
