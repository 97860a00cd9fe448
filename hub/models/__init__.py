"""SQLModel tables, grouped by who they serve. Import from here."""

from hub.models.addresses import Address, Section
from hub.models.admin import AdminSession, ApiToken, AuditEntry, User
from hub.models.alerts import Alert, TaskOffer
from hub.models.base import new_id, utcnow
from hub.models.board import Activity, SelfCheck, VolunteerOffer
from hub.models.mesh import MeshMessage, MeshOutbound, Task, Volunteer
from hub.models.partners import Partner, PartnerConsent
from hub.models.residents import AddressState, Announcement, CheckIn, Household, Need, Offer, Signal
from hub.models.supplies import SupplyRequest
from hub.models.sync import DeadLetter, InboundApplied, InboxMessage, OutboxEvent
from hub.models.system import Drill, HubState, IdempotencyKey

__all__ = [
    "Activity",
    "Address",
    "AddressState",
    "AdminSession",
    "Alert",
    "Announcement",
    "ApiToken",
    "AuditEntry",
    "CheckIn",
    "DeadLetter",
    "Drill",
    "Household",
    "HubState",
    "IdempotencyKey",
    "InboundApplied",
    "InboxMessage",
    "MeshMessage",
    "MeshOutbound",
    "Need",
    "Offer",
    "OutboxEvent",
    "Partner",
    "PartnerConsent",
    "Section",
    "SelfCheck",
    "Signal",
    "SupplyRequest",
    "Task",
    "TaskOffer",
    "User",
    "Volunteer",
    "VolunteerOffer",
    "new_id",
    "utcnow",
]
