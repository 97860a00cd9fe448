"""Texts and node news from the volunteers' handsets, applied once.

A text is stored as a ``MeshMessage`` keyed by ``(from, packet id)``: the node replays
up to ~30 buffered packets after a reconnect and the mesh duplicates, so a second copy
is recognised and ignored. Commands call the same services as the portal (a CHECKIN over
LoRa is a check-in like any other, ``source="mesh"``). How each is answered on the air is
``hub.domain.replies``: a success with no text (the hub's radio already acknowledged the
direct message; otherwise a reaction on it), a question with a short text without ACK, a
refusal with a short text that must be acknowledged.

    kind       what it is
    command    a command, answered
    sos        an SOS, from a volunteer or from an unknown node: an open alert until a
               coordinator acknowledges it (``services.alerts``); answered at SOS priority
    unknown    one word that is no command ("Onbekend commando ...")
    free_text  words that are no command: for the coordinators, unhandled until marked
    held       from a node that is no registered volunteer: waits for a coordinator
    repeat     a question asked again soon after its answer (stored as a command, not answered)

Only commands are stored as handled: an SOS, free text and held messages wait for a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import ValidationError as PydanticValidationError
from sqlmodel import Session, select

from hub.domain import commands, messages, replies
from hub.domain.radio_events import NodeUpdated, TextReceived
from hub.domain.replies import Answer
from hub.models import MeshMessage, Volunteer
from hub.models.base import as_utc, utcnow
from hub.schemas import CheckInCreate, NeedCreate, SignalCreate
from hub.services import address_matching, alerts, residents, signals, task_flow
from hub.services.audit import record
from hub.services.context import HubContext
from hub.services.door import writes_without_context
from hub.services.figures import current_figures
from hub.services.mesh_queue import BROADCAST, SendPriority, answered_recently, enqueue_reaction, enqueue_text
from hub.services.record_views import MeshMessageView, returning
from hub.services.records import get_by_id
from hub.services.state import is_drill


@dataclass(frozen=True)
class Handled:
    """What became of one received text."""

    kind: str  # see the module docstring; "duplicate" when it was applied before
    reply: str | None = None  # what a sentence would say (a success sends none, or a reaction)


def handle_text(session: Session, ctx: HubContext, text: TextReceived, *, allow_unknown: bool) -> Handled:
    """Apply one text from a handset (a writer job: database only, re-runnable)."""
    seen = session.exec(
        select(MeshMessage.pk).where(
            MeshMessage.from_node == text.from_num, MeshMessage.packet_id == text.packet_id
        )
    ).first()
    if seen is not None:
        return Handled("duplicate")
    volunteer = session.exec(select(Volunteer).where(Volunteer.node_id == text.node_id)).first()
    message = MeshMessage(
        from_node=text.from_num,
        node_id=text.node_id,
        packet_id=text.packet_id,
        channel=text.channel,
        direct=text.direct,
        pki=text.pki,
        text=text.text[:500],
        drill=is_drill(session),
    )
    session.add(message)
    if volunteer is not None:
        volunteer.last_heard_at = utcnow()
        if text.rx_snr is not None:
            volunteer.snr = text.rx_snr
        session.add(volunteer)
    command = commands.parse_command(text.text)
    if isinstance(command, commands.Sos):  # from anyone: an SOS is never held back
        message.kind = "sos"
        session.flush()
        alerts.raise_sos(session, ctx, message, volunteer, command.text)
        return Handled("sos", messages.sos_received())
    if volunteer is None and not allow_unknown:
        message.kind = "held"
        return Handled("held")
    kind, answer, priority = _apply(session, ctx, command, volunteer, text)
    message.kind = kind
    message.handled = kind in ("command", "unknown")
    if answer is None:
        return Handled(kind)
    if answer.ok:
        if replies.needs_reaction(direct=text.direct, want_ack=text.want_ack):
            where = text.node_id if text.direct else BROADCAST  # on the message, where it was sent
            enqueue_reaction(session, ctx, where, text.packet_id, replies.REACTION, priority)
        return Handled(kind, answer.text)
    question = commands.repeat_key(command)
    if question is not None and answered_recently(session, text.node_id, question, ctx.mesh_repeat_seconds):
        return Handled("repeat")  # answered moments ago: the air is worth more than a copy
    enqueue_text(
        session, ctx, text.node_id, answer.text, priority, want_ack=answer.want_ack, question=question
    )
    return Handled(kind, answer.text)


def _apply(
    session: Session,
    ctx: HubContext,
    command: commands.Command,
    volunteer: Volunteer | None,
    text: TextReceived,
) -> tuple[str, Answer | None, SendPriority]:
    reply = SendPriority.REPLY
    refusal, success = replies.refusal, replies.success
    match command:
        case commands.Help():
            return "command", replies.information(messages.help_text()), reply
        case commands.Status():
            return "command", replies.information(status_reply(session)), reply
        case commands.CheckIn(address, status, note):
            try:
                data = CheckInCreate(address=address, status=status, note=note or None)
            except PydanticValidationError:
                return (
                    "command",
                    refusal(messages.invalid_command("CHECKIN", "adres of notitie klopt niet")),
                    reply,
                )
            saved = residents.create_checkin(
                session, ctx, data, source="mesh", volunteer_id=volunteer.id if volunteer else None
            )
            known = address_matching.check_typed(session, saved.address)
            near = known.did_you_mean[0] if known.did_you_mean else None
            confirmed = messages.checkin_confirmed(
                saved.address, saved.status, near, outside=known.not_in_register
            )
            # A call for help gets its honest sentence (nobody has seen it yet), acknowledged; an
            # address outside the register a short hint (the check-in is stored all the same).
            if saved.status == "help":
                answer = replies.notice(confirmed)
            elif known.not_in_register:
                answer = replies.information(confirmed)
            else:
                answer = success(confirmed)
            return "command", answer, reply
        case commands.Need(category, address, need_text):
            try:
                need_data = NeedCreate(
                    address=address,
                    category=category.value,
                    description=need_text or f"gemeld via LoRa door {text.node_id}",
                )
            except PydanticValidationError:
                return (
                    "command",
                    refusal(messages.invalid_command("NODIG", "adres of tekst klopt niet")),
                    reply,
                )
            need = residents.create_need(session, ctx, need_data, source="mesh")
            return "command", success(messages.need_confirmed(need.category, need.address)), reply
        case commands.Concern(address, concern_text):
            try:
                signal_data = SignalCreate(category="other", address=address, description=concern_text)
            except PydanticValidationError:
                return (
                    "command",
                    refusal(messages.invalid_command("ZORG", "adres of tekst klopt niet")),
                    reply,
                )
            signal = signals.create_signal(
                session,
                ctx,
                signal_data,
                source="mesh",
                reported_by=volunteer.name if volunteer else text.node_id,
            )
            place = address_matching.check_typed(session, signal.address or address)
            near = place.did_you_mean[0] if place.did_you_mean else None
            said = messages.concern_confirmed(signal.address or address, near, outside=place.not_in_register)
            # Stored: the radio's ACK says so; an address outside the register gets a short hint.
            return "command", (replies.information(said) if place.not_in_register else success(said)), reply
        case commands.Invalid(word, why):
            return "command", refusal(messages.invalid_command(word, why)), reply
        case commands.Unknown(words):
            if len(words.split()) <= 1:
                return "unknown", refusal(messages.unknown_command()), reply
            return "free_text", None, reply
    if volunteer is None:  # an unknown node (allowed to create data) has no tasks
        return "command", refusal(messages.no_task("TAKEN")), reply
    match command:
        case commands.Available():
            volunteer.available = True
            session.add(volunteer)
            return "command", success(messages.available_confirmed()), reply
        case commands.Accept(number):
            return "command", task_flow.accept(session, ctx, volunteer, number), reply
        case commands.Done(number, note):
            return "command", task_flow.done(session, ctx, volunteer, number, note), reply
        case commands.Fail(number, why):
            return "command", task_flow.fail(session, ctx, volunteer, number, why), reply
        case commands.ListTasks():
            tasks = task_flow.open_tasks(session, volunteer)
            return "command", replies.information(messages.task_list(tasks)), reply
    return "unknown", refusal(messages.unknown_command()), reply  # pragma: no cover - every command matched


def status_reply(session: Session) -> str:
    """The ``STATUS`` reply: the neighbourhood's figures (``hub.services.figures``) in one packet."""
    f = current_figures(session)
    return messages.status_summary(
        f.households_ok, f.households_help, f.open_needs, f.urgent_needs, f.tasks_open, drill=f.drill
    )


def update_node(session: Session, node: NodeUpdated) -> bool:
    """Battery, SNR and last-heard of a registered volunteer's handset; False if unknown."""
    volunteer = session.exec(select(Volunteer).where(Volunteer.node_id == node.node_id)).first()
    if volunteer is None:
        return False
    if node.battery is not None:
        volunteer.battery = max(0, min(node.battery, 101))
    if node.snr is not None:
        volunteer.snr = node.snr
    if node.last_heard:
        heard = datetime.fromtimestamp(node.last_heard, UTC)
        if volunteer.last_heard_at is None or heard > as_utc(volunteer.last_heard_at):
            volunteer.last_heard_at = heard
    session.add(volunteer)
    return True


def mark_handled(session: Session, message_id: str, *, actor: str) -> MeshMessage:
    """A coordinator dealt with this message (audited)."""
    message = get_by_id(session, MeshMessage, message_id)
    if not message.handled:
        message.handled = True
        session.add(message)
        record(session, actor, "message.handled", message.id, node=message.node_id)
    return message


# The use cases callers outside the services name (see ``hub.services.door``).
message_handled = writes_without_context(returning(MeshMessageView, mark_handled))
