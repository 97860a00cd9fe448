"""The API vocabularies of DESIGN.md. Extend them; never rename a value."""

from __future__ import annotations

from typing import Literal

NEED_CATEGORIES = (
    "water",
    "food",
    "medicine",
    "power",
    "medical_device",
    "transport",
    "information",
    "other",
)
OFFER_CATEGORIES = ("first_aid", "care", "car", "generator", "language", "tools", "space", "other")
SPECIAL_ATTENTION = (
    "alone_75plus",
    "mobility",
    "medical_device",
    "small_children",
    "pregnant",
    "hearing_sight",
    "no_phone",
    "language",
)
URGENCIES = ("normal", "urgent", "life")
CHECKIN_STATUSES = ("ok", "help")
ANNOUNCEMENT_PRIORITIES = ("info", "warning", "urgent")
TASK_KINDS = ("door_knock", "delivery", "transport", "check")
TASK_STATUSES = ("open", "sent", "accepted", "done", "failed")
MODES = ("normal", "crisis", "drill")

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

URGENCY_RANK = {"life": 0, "urgent": 1, "normal": 2}
