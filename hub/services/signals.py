"""Signals: a neighbour's concern about a place or a person, and its triage by the coordinators.

A signal comes from the portal (``/signal``), a volunteer's handset (``ZORG``/``CONCERN``) or,
later, a partner organisation. Coordinators work it off ``/admin/signals`` through the steps of
:mod:`hub.domain.signal_states`, each kept on the signal with who and when and in the audit log.

A signal is about someone else, who did not consent to anything: it never leaves the hub with its
address, words or reporter. What goes upstream is one ``signal.street_counts`` event per change:
the open signals of that street, counted by category (at every share level).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from hub.domain import signal_states as rules
from hub.domain.addresses import address_key, street_of
from hub.domain.signal_states import SignalAction, SignalEvent, SignalStatus
from hub.errors import ValidationError
from hub.models import Household, Signal, utcnow
from hub.models.base import as_utc
from hub.schemas import NeedCreate, SignalCreate
from hub.services import idempotency, residents, tasks
from hub.services.audit import record
from hub.services.context import HubContext
from hub.services.door import reads, writes
from hub.services.outbox import append_event
from hub.services.record_views import SignalView, returning, view, views
from hub.services.records import get_by_id
from hub.services.state import is_drill

PAGE = 100  # finished signals per page (keyset paging on ``pk``)


# --- reporting ---------------------------------------------------------------------------------


def create_signal(
    session: Session,
    ctx: HubContext,
    data: SignalCreate,
    *,
    source: str = "portal",
    key: str | None = None,
    reported_by: str | None = None,
) -> Signal:
    """Store a signal (a retried ``key`` returns the first one) and count it for its street."""
    if seen := idempotency.replay(session, key, "signal", Signal):
        return seen
    signal = Signal(
        category=data.category,
        life=data.life,
        address=data.address,
        address_key=address_key(data.address) if data.address else None,
        street_key=street_of(data.address) if data.address else "",
        description=data.description,
        contact=data.contact,
        source=source,
        reported_by=(reported_by or "")[:80] or None,
        drill=is_drill(session),
    )
    session.add(signal)
    session.flush()
    idempotency.remember(session, key, "signal", signal.id)
    _count_street(session, ctx, signal.street_key, signal.drill)
    return signal


def street_counts(session: Session, street: str, drill: bool) -> dict[str, Any]:
    """The open signals of one street (``""``: those without an address), by category."""
    rows = session.exec(
        select(Signal.category, func.count())
        .where(
            col(Signal.street_key) == street,
            col(Signal.drill) == drill,
            col(Signal.status).in_(rules.statuses(rules.OPEN)),
        )
        .group_by(col(Signal.category))
    ).all()
    by_category = {category: int(n) for category, n in rows}
    return {
        "street": street or None,
        "open": sum(by_category.values()),
        "by_category": by_category,
        "drill": drill,
    }


def _count_street(session: Session, ctx: HubContext, street: str, drill: bool) -> None:
    session.flush()
    append_event(session, ctx, "signal.street_counts", street_counts(session, street, drill))


# --- triage ------------------------------------------------------------------------------------


def _step(signal: Signal, event: SignalEvent, actor: str, **detail: Any) -> None:
    """Move ``signal`` by ``event`` (``IllegalTransition`` when its status does not allow it)."""
    signal.status = rules.transition(signal.status, event).value
    now = utcnow()
    signal.steps = [*signal.steps, {"step": event.value, "by": actor[:80], "at": now.isoformat(), **detail}]
    signal.updated_at = now


def look(session: Session, ctx: HubContext, signal_id: str, *, actor: str) -> Signal:
    """A coordinator has read the signal; nothing done yet."""
    signal = get_by_id(session, Signal, signal_id)
    _step(signal, SignalEvent.LOOK, actor)
    session.add(signal)
    record(session, actor, "signal.look", signal.id)
    return signal


def _household_at(session: Session, key: str | None) -> Household | None:
    if not key:
        return None
    return session.exec(select(Household).where(col(Household.address_key) == key)).first()


def act(
    session: Session,
    ctx: HubContext,
    signal_id: str,
    *,
    actor: str,
    action: str,
    routed_to: str | None = None,
) -> Signal:
    """Record what was done: a task (``check``), a door knock, a need (made here, from the
    signal), or a call to a partner (``routed_to``: the organisation's name or id)."""
    signal = get_by_id(session, Signal, signal_id)
    try:
        chosen = SignalAction(action)
    except ValueError:
        raise ValidationError(
            f"action must be one of {', '.join(a.value for a in SignalAction)}", "action"
        ) from None
    rules.transition(signal.status, SignalEvent.ACT)  # refused before anything is made
    ref: str | None = None
    partner = " ".join((routed_to or "").split())[:80]
    if chosen is SignalAction.PARTNER:
        if not partner:
            raise ValidationError("fill in which partner was called", "routed_to")
        signal.routed_to = partner
    else:
        if not signal.address:
            raise ValidationError("a task, need or door knock needs an address", "address")
        if chosen is SignalAction.NEED:
            need = residents.create_need(
                session,
                ctx,
                NeedCreate(
                    address=signal.address,
                    category="other",
                    urgency="life" if signal.life else "normal",
                    description=signal.description,
                ),
                source="coordinator",
            )
            ref = need.id
        else:
            household = _household_at(session, signal.address_key)
            task = tasks.create_task(
                session,
                ctx,
                kind="door_knock" if chosen is SignalAction.DOOR_KNOCK else "check",
                actor=actor,
                address=signal.address,
                note=signal.description,
                household_id=household.id if household is not None else None,
            )
            ref = task.id
    _step(signal, SignalEvent.ACT, actor, action=chosen.value, ref=ref, routed_to=partner or None)
    signal.action = chosen.value
    signal.action_ref = ref or signal.action_ref
    session.add(signal)
    record(session, actor, "signal.act", signal.id, done=chosen.value, ref=ref, routed_to=partner or None)
    return signal


def close(session: Session, ctx: HubContext, signal_id: str, *, actor: str) -> Signal:
    signal = get_by_id(session, Signal, signal_id)
    _step(signal, SignalEvent.CLOSE, actor)
    session.add(signal)
    record(session, actor, "signal.close", signal.id)
    _count_street(session, ctx, signal.street_key, signal.drill)
    return signal


def reopen(session: Session, ctx: HubContext, signal_id: str, *, actor: str) -> Signal:
    signal = get_by_id(session, Signal, signal_id)
    _step(signal, SignalEvent.REOPEN, actor)
    session.add(signal)
    record(session, actor, "signal.reopen", signal.id)
    _count_street(session, ctx, signal.street_key, signal.drill)
    return signal


def merge(session: Session, ctx: HubContext, signal_id: str, *, into: str, actor: str) -> Signal:
    """``signal_id`` is the same concern as ``into``: closed as its duplicate (``merged``)."""
    signal = get_by_id(session, Signal, signal_id)
    target = session.exec(select(Signal).where(Signal.id == into.strip())).first()
    if target is None or target.id == signal.id or target.status == SignalStatus.MERGED:
        raise ValidationError("merge into another signal that is not itself merged", "merge_into")
    _step(signal, SignalEvent.MERGE, actor, into=target.id, into_pk=target.pk)
    signal.merged_into = target.id
    session.add(signal)
    target.steps = [
        *target.steps,
        {
            "step": "merged_in",
            "by": actor[:80],
            "at": utcnow().isoformat(),
            "from": signal.id,
            "from_pk": signal.pk,
        },
    ]
    session.add(target)
    record(session, actor, "signal.merge", signal.id, into=target.id)
    _count_street(session, ctx, signal.street_key, signal.drill)
    return signal


# --- the coordinators' list --------------------------------------------------------------------


@dataclass(frozen=True)
class SignalsList:
    """``/admin/signals``: the worklist (most urgent first), the finished ones (a page), and
    for each open signal its special-attention mark and the signals it may duplicate."""

    open: list[SignalView]
    finished: list[SignalView]
    older: int | None  # ``before`` of the next page of finished signals
    attention: set[str]  # ids of signals about a special-attention household
    duplicates: dict[str, list[SignalView]]  # open signal id -> likely duplicates (same place and kind)
    merged_counts: dict[str, int]  # signal id -> how many were merged into it
    query: str


def _matching(query: str) -> Any:
    like = f"%{query}%"
    return or_(col(Signal.description).ilike(like), col(Signal.address).ilike(like))


def _signals(session: Session, before: int | None = None, query: str = "", category: str = "") -> SignalsList:
    text = " ".join(query.split())[:80]
    where: list[Any] = []
    if text:
        where.append(_matching(text))
    if category:
        where.append(col(Signal.category) == category)
    open_rows = list(
        session.exec(
            select(Signal)
            .where(col(Signal.status).in_(rules.statuses(rules.OPEN)), *where)
            .order_by(col(Signal.pk).desc())
            .limit(500)
        ).all()
    )
    finished_query = (
        select(Signal)
        .where(col(Signal.status).in_(rules.statuses(rules.FINISHED)), *where)
        .order_by(col(Signal.pk).desc())
        .limit(PAGE)
    )
    if before is not None:
        finished_query = finished_query.where(col(Signal.pk) < before)
    finished = list(session.exec(finished_query).all())
    keys = {s.address_key for s in open_rows + finished if s.address_key}
    cared_for = set(
        session.exec(select(Household.address_key).where(col(Household.address_key).in_(keys))).all()
    )
    attention = {s.id for s in open_rows + finished if s.address_key in cared_for}
    open_rows.sort(
        key=lambda s: (
            *rules.priority(life=s.life, attention=s.id in attention, status=s.status),
            -(s.pk or 0),
        )
    )
    return SignalsList(
        open=views(SignalView, open_rows),
        finished=views(SignalView, finished),
        older=finished[-1].pk if len(finished) == PAGE else None,
        attention=attention,
        duplicates=_duplicates(session, open_rows),
        merged_counts=_merged_counts(session, [s.id for s in open_rows + finished]),
        query=text,
    )


def _duplicates(session: Session, open_rows: list[Signal]) -> dict[str, list[SignalView]]:
    """Per open signal, the other signals (not merged) about the same address and category
    within :data:`hub.domain.signal_states.DUPLICATE_WINDOW`."""
    keyed = [s for s in open_rows if s.address_key]
    if not keyed:
        return {}
    earliest = min(as_utc(s.created_at) for s in keyed) - rules.DUPLICATE_WINDOW
    near = session.exec(
        select(Signal).where(
            col(Signal.address_key).in_({s.address_key for s in keyed}),
            col(Signal.status) != SignalStatus.MERGED.value,
            col(Signal.created_at) >= earliest,
        )
    ).all()
    found: dict[str, list[SignalView]] = {}
    for signal in keyed:
        same = [
            view(SignalView, other)
            for other in near
            if other.id != signal.id
            and rules.is_duplicate_candidate(
                signal.address_key,
                signal.category,
                as_utc(signal.created_at),
                other.address_key,
                other.category,
                as_utc(other.created_at),
            )
        ]
        if same:
            found[signal.id] = same
    return found


def _merged_counts(session: Session, ids: list[str]) -> dict[str, int]:
    if not ids:
        return {}
    rows = session.exec(
        select(Signal.merged_into, func.count())
        .where(col(Signal.merged_into).in_(ids))
        .group_by(col(Signal.merged_into))
    ).all()
    return {str(target): int(n) for target, n in rows if target}


def urgent_new(session: Session, *, drill: bool) -> list[Signal]:
    """New signals with danger to life, for the dashboard's "needs a person now"."""
    return list(
        session.exec(
            select(Signal)
            .where(
                col(Signal.status) == SignalStatus.NEW.value,
                col(Signal.life).is_(True),
                col(Signal.drill) == drill,
            )
            .order_by(col(Signal.pk).desc())
            .limit(50)
        ).all()
    )


def new_count(session: Session, *, drill: bool) -> int:
    return int(
        session.exec(
            select(func.count())
            .select_from(Signal)
            .where(col(Signal.status) == SignalStatus.NEW.value, col(Signal.drill) == drill)
        ).one()
    )


def routed_to(session: Session, *names: str) -> list[Signal]:
    """The signals routed to a partner organisation (by any of ``names``: its name or id as the
    coordinator wrote it in "a call to a partner", whatever the case), newest first, merged ones
    left out: what a partner's account may be shown."""
    wanted = {" ".join(name.split()).lower() for name in names if name.strip()}
    return list(
        session.exec(
            select(Signal)
            .where(
                func.lower(col(Signal.routed_to)).in_(wanted),
                col(Signal.status) != SignalStatus.MERGED.value,
            )
            .order_by(col(Signal.pk).desc())
            .limit(200)
        ).all()
    )


def get_signal(session: Session, signal_id: str) -> Signal:
    return get_by_id(session, Signal, signal_id)


def _routed_views(session: Session, partner: str) -> list[SignalView]:
    return views(SignalView, routed_to(session, partner))


# The use cases callers outside the services name (see ``hub.services.door``).
signals_list = reads(_signals)
find_signal = reads(returning(SignalView, get_signal))
signals_routed_to = reads(_routed_views)
look_at = writes(returning(SignalView, look))
act_on = writes(returning(SignalView, act))
close_signal = writes(returning(SignalView, close))
reopen_signal = writes(returning(SignalView, reopen))
merge_signal = writes(returning(SignalView, merge))
