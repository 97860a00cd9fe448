"""What the region channel reads from the hub and writes into it (``hub.mesh.region_link`` calls
these; the decisions are ``hub.domain.region_link``, the wire format ``hub.domain.region_radio``).
"""

from __future__ import annotations

from sqlmodel import Session, col, or_, select

from hub.domain.region_link import SUPPLY_REQUESTED, UrgentEvent, urgent_event
from hub.domain.region_link import Announcement as RegionAnnouncement
from hub.domain.region_radio import Summary
from hub.models import Announcement, Need
from hub.power import PowerState
from hub.schemas import AnnouncementCreate
from hub.services import alerts, supplies
from hub.services.announcements import create_announcement
from hub.services.context import HubContext
from hub.services.figures import current_figures, households_not_heard, open_needs_by_category_urgency
from hub.services.outbox import unconfirmed_of_types
from hub.services.state import get_mode, is_drill, mode_since
from hub.services.store import Store

URGENT_EVENT_TYPES = ("alert.raised", "need.created", SUPPLY_REQUESTED)
SOURCE = "region_lora"  # an announcement that came over the region channel


def summary(session: Session, power: PowerState | None = None) -> Summary:
    """The hub's figures as one region summary (``hub.services.figures``: the one definition),
    with its power as :func:`hub.power.read_power` found it (unknown when not given)."""
    power = power or PowerState()
    figures = current_figures(session)
    drill = is_drill(session)
    return Summary(
        mode=get_mode(session),
        households_ok=figures.households_ok,
        households_help=figures.households_help,
        households_silent=households_not_heard(session, mode_since(session), drill=drill),
        special_not_reached=figures.special_attention_not_reached,
        sos_open=alerts.open_count(session),
        needs_by_urgency=dict(figures.open_needs_by_urgency),
        needs_by_category=open_needs_by_category_urgency(session, drill=drill),
        battery_percent=power.battery_percent,
        on_mains=power.on_mains,
    )


def urgent_events(session: Session) -> list[UrgentEvent]:
    """SOS alerts, life-threatening needs, requests for supplies (residents' urgent needs and the
    coordinators' supply requests) that upstream has not
    confirmed (so the region may not know them); a need closed since then no longer goes."""
    events = [
        (event, found)
        for event in unconfirmed_of_types(session, URGENT_EVENT_TYPES)
        if (found := urgent_event(event.id, event.type, event.data)) is not None
    ]
    need_ids = [str(event.data.get("id")) for event, found in events if event.type == "need.created"]
    still_open = set(
        session.exec(select(Need.id).where(col(Need.id).in_(need_ids), col(Need.status) == "open")).all()
    )
    request_ids = [str(event.data.get("id")) for event, found in events if event.type == SUPPLY_REQUESTED]
    still_open |= supplies.open_ids(session, request_ids)
    return [
        found
        for event, found in events
        if event.type not in ("need.created", SUPPLY_REQUESTED) or str(event.data.get("id")) in still_open
    ]


def show_announcement(session: Session, ctx: HubContext, announcement: RegionAnnouncement) -> bool:
    """Put an announcement from the region on the portal, once; True if it is new. Its MQTT
    copy, when that came first, goes by the same message id (``region_lora_id``): then nothing
    changes."""
    existing = session.exec(
        select(Announcement.id).where(
            or_(
                Announcement.external_id == announcement.external_id,
                Announcement.region_lora_id == announcement.message_id,
            )
        )
    ).first()
    if existing is not None:
        return False
    row = create_announcement(
        session,
        ctx,
        AnnouncementCreate(
            title=announcement.title,
            body=announcement.body,
            priority="warning",
            send_mesh=False,
            send_upstream=False,
        ),
        actor="region",
        source=SOURCE,
        external_id=announcement.external_id,
        drill=False,
    )
    row.region_lora_id = announcement.message_id
    session.add(row)
    return True


# -- the doors the region link (``hub.mesh.region_link``) uses ---------------------------------
def read_summary(store: Store, power: PowerState | None = None) -> Summary:
    return store.read(lambda session: summary(session, power))


def read_urgent_events(store: Store) -> list[UrgentEvent]:
    return store.read(urgent_events)


def announcement_arrived(store: Store, announcement: RegionAnnouncement) -> bool:
    return store.write(lambda session: show_announcement(session, store.ctx, announcement))
