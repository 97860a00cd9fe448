"""Partner organisations: who they are, what each may see, and what it does.

A coordinator adds the neighbourhood's partners (housing corporation, home-care team, GP practice,
pharmacy) and an account or API token per partner. A household's consent names the partners it
shares with, one by one (:class:`hub.models.PartnerConsent`); its contact goes along only when that
was ticked too. A partner sees only the households that consented to share with it and the tasks
routed to it, minimised: address, what help (the special-attention flags), how many people, the
contact when consented, whether the household is reached; never the note, the household code,
the buddy or who gave consent.

Every partner read is a write as well: the view and its audit entry (``partner.view``, naming
the households and tasks shown) are one job of the writer, so nothing is shown that is not in
the log. A partner confirming a household reached ("home-care visited, all well") is a verified
check-in at its address (``source`` ``partner``): it counts as reached in every figure, like a
volunteer's handset or a coordinator's word. Withdrawing consent deletes the consent row; the
partner's next request no longer finds the household (404, not 403: it does not learn that it
exists).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from hub.domain.addresses import address_key, walking_order
from hub.domain.task_states import UNFINISHED, statuses
from hub.domain.vocab import CHECKIN_STATUSES, PARTNER_KINDS, PARTNER_ROLE
from hub.errors import Conflict, NotFound, ValidationError
from hub.models import CheckIn, Household, Partner, PartnerConsent, Task, User
from hub.models.base import new_id, utcnow
from hub.schemas import SignalCreate
from hub.services import accounts, escalation, signals, tasks
from hub.services.audit import record
from hub.services.context import HubContext
from hub.services.door import reads, writes, writes_without_context
from hub.services.outbox import append_event
from hub.services.record_views import PartnerView, TaskView, UserView, returning, views
from hub.services.state import is_drill

# How many finished tasks a partner still sees under its open ones.
FINISHED_SHOWN = 20


def get_partner(session: Session, partner_id: str) -> Partner:
    partner = session.exec(select(Partner).where(Partner.id == partner_id)).first()
    if partner is None:
        raise NotFound("no such partner")
    return partner


def list_partners(session: Session) -> list[Partner]:
    return list(session.exec(select(Partner).order_by(col(Partner.name))).all())


def create_partner(session: Session, name: str, kind: str, *, actor: str) -> Partner:
    """A partner organisation of the neighbourhood (names are unique)."""
    name = " ".join(name.split())
    if not name or len(name) > 80:
        raise ValidationError("a name of 1 to 80 characters", "name")
    if kind not in PARTNER_KINDS:
        raise ValidationError(f"kind must be one of {', '.join(PARTNER_KINDS)}", "kind")
    if session.exec(select(Partner).where(Partner.name == name)).first():
        raise Conflict(f"a partner named {name!r} already exists")
    partner = Partner(name=name, kind=kind)
    session.add(partner)
    session.flush()
    record(session, actor, "partner.create", partner.id, name=name, kind=kind)
    return partner


def create_account(session: Session, partner_id: str, name: str, password: str, *, actor: str) -> User:
    """A login for one person of the partner (argon2id like every account; role ``partner``)."""
    partner = get_partner(session, partner_id)
    return accounts.create_user(
        session, name, password, role=PARTNER_ROLE, actor=actor, partner_id=partner.id
    )


def create_token(
    session: Session, partner_id: str, name: str, *, actor: str, expires_days: int | None
) -> str:
    """An API token for the partner API (``/api/v1/partner``); returned once, stored as its hash."""
    partner = get_partner(session, partner_id)
    return accounts.create_token(session, name, actor=actor, expires_days=expires_days, partner_id=partner.id)


# -- consent ----------------------------------------------------------------------------------


def consents_of(session: Session, household_id: str) -> dict[str, bool]:
    """The partners a household shares with: partner id -> whether its contact goes along."""
    rows = session.exec(select(PartnerConsent).where(PartnerConsent.household_id == household_id)).all()
    return {row.partner_id: row.contact for row in rows}


def set_consents(
    session: Session, household: Household, shares: Mapping[str, bool], *, given_by: str, actor: str
) -> list[str]:
    """The household shares with exactly the partners in ``shares`` (id -> with its contact).

    A partner no longer named is withdrawn at once (its row deleted); an unknown partner id
    changes nothing (``ValidationError``). Returns what changed, for the audit log.
    """
    known = {p.id for p in list_partners(session)}
    unknown = set(shares) - known
    if unknown:
        raise ValidationError("no such partner", "share_partner")
    current = {
        row.partner_id: row
        for row in session.exec(
            select(PartnerConsent).where(PartnerConsent.household_id == household.id)
        ).all()
    }
    changed: list[str] = []
    for partner_id, row in current.items():
        if partner_id not in shares:
            session.delete(row)
            record(session, actor, "consent.partner.withdraw", household.id, partner_id=partner_id)
            changed.append(partner_id)
        elif row.contact != shares[partner_id]:
            row.contact = shares[partner_id]
            session.add(row)
            record(
                session,
                actor,
                "consent.partner.contact",
                household.id,
                partner_id=partner_id,
                contact=row.contact,
            )
            changed.append(partner_id)
    for partner_id, contact in shares.items():
        if partner_id not in current:
            session.add(
                PartnerConsent(
                    household_id=household.id, partner_id=partner_id, contact=contact, given_by=given_by[:80]
                )
            )
            record(
                session, actor, "consent.partner.give", household.id, partner_id=partner_id, contact=contact
            )
            changed.append(partner_id)
    session.flush()
    return changed


def change_consents(
    session: Session, household_id: str, shares: Mapping[str, bool], *, given_by: str, actor: str
) -> list[str]:
    """A coordinator records the household's consent per partner (given or withdrawn)."""
    household = session.exec(select(Household).where(Household.id == household_id)).first()
    if household is None:
        raise NotFound("no such household")
    return set_consents(session, household, shares, given_by=given_by, actor=actor)


def withdraw_consent(session: Session, household_id: str, partner_id: str, *, actor: str) -> None:
    """Withdraw one partner's consent (the household asked; a coordinator enters it)."""
    row = session.exec(
        select(PartnerConsent).where(
            PartnerConsent.household_id == household_id, PartnerConsent.partner_id == partner_id
        )
    ).first()
    if row is None:
        raise NotFound("this household does not share with this partner")
    session.delete(row)
    record(session, actor, "consent.partner.withdraw", household_id, partner_id=partner_id)


def consents_by_household(session: Session) -> dict[str, dict[str, bool]]:
    """Every household's consents (household id -> partner id -> with contact), for the register."""
    found: dict[str, dict[str, bool]] = {}
    for row in session.exec(select(PartnerConsent)).all():
        found.setdefault(row.household_id, {})[row.partner_id] = row.contact
    return found


# -- the coordinators' partners page ------------------------------------------------------------


@dataclass(frozen=True)
class PartnersOverview:
    partners: list[PartnerView]
    accounts: dict[str, list[UserView]]  # partner id -> its accounts
    households: dict[str, int]  # partner id -> how many households share with it
    tasks_open: dict[str, int]  # partner id -> its unfinished tasks


def _overview(session: Session) -> PartnersOverview:
    partners = list_partners(session)
    users = session.exec(select(User).where(col(User.partner_id).is_not(None)).order_by(col(User.name))).all()
    by_partner: dict[str, list[UserView]] = {}
    for user in users:
        by_partner.setdefault(user.partner_id or "", []).append(UserView.model_validate(user))
    households: dict[str, int] = {}
    for row in session.exec(select(PartnerConsent.partner_id)).all():
        households[row] = households.get(row, 0) + 1
    open_tasks: dict[str, int] = {}
    for partner_id in session.exec(
        select(Task.partner_id).where(
            col(Task.partner_id).is_not(None), col(Task.status).in_(statuses(UNFINISHED))
        )
    ).all():
        if partner_id:
            open_tasks[partner_id] = open_tasks.get(partner_id, 0) + 1
    return PartnersOverview(views(PartnerView, partners), by_partner, households, open_tasks)


def route_task(
    session: Session, ctx: HubContext, task_id: str, partner_id: str | None, *, actor: str
) -> Task:
    """A coordinator routes a task to a partner (``None``: back to the volunteers only)."""
    task = tasks.get_task(session, task_id)
    if partner_id is not None:
        get_partner(session, partner_id)
    if task.partner_id != partner_id:
        task.partner_id = partner_id
        session.add(task)
        record(session, actor, "task.route", task.id, number=task.number, partner_id=partner_id)
    return task


# -- what a partner sees and does -----------------------------------------------------------------


@dataclass(frozen=True)
class PartnerHousehold:
    """A consented household as its partner sees it: what is needed to help, nothing more."""

    id: str
    address: str
    special_attention: list[str]
    people: int | None
    contact: str | None  # only when the household consented to share it with this partner
    reached: bool
    contact_shared: bool = False  # the household ticked that this partner may see its contact


@dataclass(frozen=True)
class PartnerSight:
    """Everything one partner sees, at one moment."""

    partner: PartnerView
    households: list[PartnerHousehold]
    tasks: list[TaskView]
    finished: list[TaskView] = field(default_factory=list)
    signals: list[PartnerSignal] = field(default_factory=list)


@dataclass(frozen=True)
class PartnerSignal:
    """A neighbour's concern a coordinator routed to the partner: what and where, never who
    reported it or how to reach them."""

    id: str
    number: int
    category: str
    life: bool
    address: str | None
    description: str
    status: str
    created_at: datetime


def _consented(session: Session, partner_id: str) -> list[tuple[Household, bool]]:
    rows = session.exec(
        select(Household, PartnerConsent.contact)
        .join(PartnerConsent, col(PartnerConsent.household_id) == col(Household.id))
        .where(PartnerConsent.partner_id == partner_id)
    ).all()
    return [(household, contact) for household, contact in rows]


def _shown(household: Household, contact: bool, reached: set[str]) -> PartnerHousehold:
    return PartnerHousehold(
        id=household.id,
        address=household.address,
        special_attention=list(household.special_attention),
        people=household.people,
        contact=household.contact if contact else None,
        reached=household.id in reached,
        contact_shared=contact,
    )


def sight(session: Session, partner_id: str, *, actor: str, via: str) -> PartnerSight:
    """What the partner sees now, written to the audit log in the same transaction."""
    partner = get_partner(session, partner_id)
    reached = escalation.reached_ids(session, escalation.reference_time(session))
    households = sorted(
        (_shown(h, contact, reached) for h, contact in _consented(session, partner.id)),
        key=lambda h: walking_order(h.address),
    )
    routed = session.exec(
        select(Task).where(Task.partner_id == partner.id).order_by(col(Task.pk).desc())
    ).all()
    unfinished = set(statuses(UNFINISHED))
    open_tasks = [t for t in routed if t.status in unfinished]
    finished = [t for t in routed if t.status not in unfinished][:FINISHED_SHOWN]
    concerns = [
        PartnerSignal(s.id, s.pk or 0, s.category, s.life, s.address, s.description, s.status, s.created_at)
        for s in signals.routed_to(session, partner.id, partner.name)
    ]
    record(
        session,
        actor,
        "partner.view",
        partner.id,
        via=via,
        households=[h.id for h in households],
        tasks=[t.id for t in open_tasks + finished],
        signals=[c.id for c in concerns],
    )
    return PartnerSight(
        PartnerView.model_validate(partner),
        households,
        views(TaskView, open_tasks),
        views(TaskView, finished),
        concerns,
    )


def _consented_household(session: Session, partner_id: str, household_id: str) -> tuple[Household, bool]:
    """The household, when it shares with this partner; else :class:`NotFound` (as if absent)."""
    row = session.exec(
        select(Household, PartnerConsent.contact)
        .join(PartnerConsent, col(PartnerConsent.household_id) == col(Household.id))
        .where(PartnerConsent.partner_id == partner_id, Household.id == household_id)
    ).first()
    if row is None:
        raise NotFound("no such household")
    return row[0], row[1]


def confirm_reached(
    session: Session,
    ctx: HubContext,
    partner_id: str,
    household_id: str,
    *,
    actor: str,
    status: str = "ok",
    note: str | None = None,
) -> PartnerHousehold:
    """The partner visited or spoke to the household: a verified check-in at its address.

    It counts as reached in the figures and takes the household off the door-knock list.
    """
    partner = get_partner(session, partner_id)
    household, contact = _consented_household(session, partner.id, household_id)
    if status not in CHECKIN_STATUSES:
        raise ValidationError(f"status must be one of {', '.join(CHECKIN_STATUSES)}", "status")
    text = " ".join((note or "").split())[:280] or None
    checkin = CheckIn(
        id=new_id(),
        address=household.address,
        address_key=address_key(household.address),
        status=status,
        note=text,
        source="partner",
        household_id=household.id,
        verified=True,
        verified_by=f"partner:{partner.name}"[:80],
        drill=is_drill(session),
        created_at=utcnow(),
    )
    session.add(checkin)
    session.flush()
    record(
        session,
        actor,
        "partner.reached",
        household.id,
        partner_id=partner.id,
        status=status,
        checkin=checkin.id,
    )
    data: dict[str, Any] = {
        "id": checkin.id,
        "address": checkin.address,
        "status": checkin.status,
        "people": None,
        "note": checkin.note,
        "source": checkin.source,
        "household_id": checkin.household_id,
        "verified": True,
        "drill": checkin.drill,
    }
    append_event(session, ctx, "checkin.created", data, shape="checkin")
    return _shown(household, contact, {household.id})


def _routed_task(session: Session, partner_id: str, task_id: str) -> Task:
    task = session.exec(select(Task).where(Task.id == task_id, Task.partner_id == partner_id)).first()
    if task is None:
        raise NotFound("no such task")
    return task


def take_task(session: Session, ctx: HubContext, partner_id: str, task_id: str, *, actor: str) -> Task:
    """The partner takes a task routed to it (like a volunteer's ``JA``)."""
    task = _routed_task(session, get_partner(session, partner_id).id, task_id)
    return tasks.accept(session, ctx, task.id, actor=actor)


def finish_task(
    session: Session, ctx: HubContext, partner_id: str, task_id: str, *, actor: str, note: str | None = None
) -> Task:
    """The partner did a task routed to it (like a volunteer's ``KLAAR``)."""
    task = _routed_task(session, get_partner(session, partner_id).id, task_id)
    return tasks.done(session, ctx, task.id, actor=actor, note=" ".join((note or "").split())[:200] or None)


# The use cases callers outside the services name (see ``hub.services.door``).
def report_concern(
    session: Session, ctx: HubContext, partner_id: str, data: SignalCreate, *, actor: str
) -> str:
    """A concern the partner noticed: a signal from ``partner``, on the coordinators' worklist and
    routed to the partner itself, so its page shows how it goes on. Audited; the signal's id."""
    partner = get_partner(session, partner_id)
    signal = signals.create_signal(session, ctx, data, source="partner", reported_by=partner.name)
    signal.routed_to = partner.name
    session.add(signal)
    record(session, actor, "partner.signal", signal.id, partner=partner.id, category=signal.category)
    return signal.id


def _partner_views(session: Session) -> list[PartnerView]:
    return views(PartnerView, list_partners(session))


partners = reads(_partner_views)
partners_overview = reads(_overview)
add_partner = writes_without_context(returning(PartnerView, create_partner))
add_account = writes_without_context(returning(UserView, create_account))
add_token = writes_without_context(create_token)
household_consents = reads(consents_of)
all_consents = reads(consents_by_household)
change_household_consents = writes_without_context(change_consents)
withdraw = writes_without_context(withdraw_consent)
route = writes(returning(TaskView, route_task))
partner_sight = writes_without_context(sight)
household_reached = writes(confirm_reached)
take = writes(returning(TaskView, take_task))
finish = writes(returning(TaskView, finish_task))
report = writes(report_concern)
