"""Texts the hub sends to volunteers' handsets (Dutch), each at most 200 UTF-8 bytes.

Small pure functions over plain values. When something must give way to fit a packet,
it is the free note: addresses and the command hints stay whole (an address is only
cut when it alone could not fit a packet).

A drill never looks real: every packet of a drill task, a drill ``SPOED`` alert or a drill
announcement starts with ``OEFENING`` (each numbered part too), within the packet limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hub.domain.text import DEFAULT_LIMIT, split_message, truncate_utf8, utf8_len

ELLIPSIS = "…"
DRILL_MARK = "OEFENING"
_DRILL_HEAD = DRILL_MARK + " "

KIND_WORDS: dict[str, str] = {
    "door_knock": "KLOP",
    "delivery": "BRENG",
    "transport": "RIJD",
    "check": "CHECK",
}

CATEGORY_LABELS: dict[str, str] = {
    "water": "water",
    "food": "eten",
    "medicine": "medicijnen",
    "power": "stroom",
    "medical_device": "apparaat",
    "transport": "vervoer",
    "information": "informatie",
    "other": "anders",
}

UNKNOWN_COMMAND = "Onbekend commando. Stuur ? voor hulp."

HELP_TEXT = (
    "OK=beschikbaar | JA n=taak aannemen | KLAAR n | NIET n [reden] | "
    "CHECKIN adres OK/HULP | NODIG soort adres [tekst] | ZORG adres tekst | SOS | TAKEN | STATUS"
)


@dataclass(frozen=True)
class TaskLine:
    """One task as a volunteer sees it in a list."""

    number: int
    kind: str
    address: str


def kind_word(kind: str) -> str:
    return KIND_WORDS.get(kind, kind.upper())


def _fit(text: str, limit: int = DEFAULT_LIMIT) -> str:
    return truncate_utf8(text, limit, ELLIPSIS)


def _drill_head(drill: bool) -> str:
    return _DRILL_HEAD if drill else ""


def is_drill_text(text: str) -> bool:
    """Whether a packet carries the drill marker at its very start."""
    return text.startswith(_DRILL_HEAD)


def packets(text: str, *, drill: bool = False, limit: int = DEFAULT_LIMIT) -> list[str]:
    """``text`` as packets of at most ``limit`` bytes (numbered parts when long); in a drill
    every part starts with ``OEFENING``: ``OEFENING 1/2 ...``, ``OEFENING 2/2 ...``."""
    head = _drill_head(drill)
    return [head + part for part in split_message(text, limit - utf8_len(head))]


def task_dispatch(
    number: int, kind: str, address: str, note: str | None = None, *, drill: bool = False
) -> str:
    """``T12 KLOP Kerkstraat 5: mevr. J (84, alleen). JA 12 / KLAAR 12 / NIET 12``;
    a drill task starts with ``OEFENING``."""
    hints = f"JA {number} / KLAAR {number} / NIET {number}"
    head = f"{_drill_head(drill)}T{number} {kind_word(kind)} "
    fixed = utf8_len(head) + utf8_len(". ") + utf8_len(hints)
    address = address.strip()
    if fixed + utf8_len(address) > DEFAULT_LIMIT:
        address = truncate_utf8(address, DEFAULT_LIMIT - fixed, ELLIPSIS)
    note = " ".join((note or "").split()).rstrip(".")
    if note:
        room = DEFAULT_LIMIT - fixed - utf8_len(address) - utf8_len(": ")
        if room >= utf8_len(ELLIPSIS) + 1:
            return f"{head}{address}: {truncate_utf8(note, room, ELLIPSIS)}. {hints}"
    return f"{head}{address}. {hints}"


def task_withdrawn(number: int, *, drill: bool = False) -> str:
    """To a volunteer who did not answer in time: the task went to someone else."""
    return f"{_drill_head(drill)}T{number} gaat naar een ander. Niets meer doen. Dank!"


def accepted(number: int) -> str:
    return f"T{number} is van jou. Meld KLAAR {number} of NIET {number}."


def done(number: int) -> str:
    return f"T{number} afgerond. Dank je wel!"


def failed(number: int) -> str:
    return f"T{number} teruggemeld, wordt opnieuw ingepland. Dank je."


def unknown_command() -> str:
    return UNKNOWN_COMMAND


def invalid_command(command: str, reason: str) -> str:
    return _fit(f"{command}: {reason}. Stuur ? voor hulp.")


def help_text() -> str:
    return HELP_TEXT


def which_task(command: str, numbers: Sequence[int]) -> str:
    """``Welke taak? JA 14 of JA 15`` — asked when a bare command fits several tasks."""
    options = [f"{command} {n}" for n in numbers]
    if not options:
        return no_task(command)
    text = "Welke taak? " + _or_list(options)
    while utf8_len(text) > DEFAULT_LIMIT and len(options) > 2:
        options = options[:-1]
        text = "Welke taak? " + _or_list(options)
    return _fit(text)


def _or_list(options: Sequence[str]) -> str:
    if len(options) == 1:
        return options[0]
    return ", ".join(options[:-1]) + " of " + options[-1]


def no_task(command: str) -> str:
    return f"Geen taak die wacht op {command}. Stuur TAKEN voor je lijst."


def available_confirmed() -> str:
    return "Dank je, je staat op beschikbaar."


NOT_SEEN_YET = "nog geen coördinator heeft het gezien. / Received by the hub; no coordinator has seen it yet."
_ADDRESS_ROOM = 60  # bytes: what an address may take in a reply that must stay honest


def checkin_confirmed(
    address: str, status: str, did_you_mean: str | None = None, *, outside: bool = False
) -> str:
    """The answer to ``CHECKIN``; a ``HULP`` one promises only what happened (it is stored).

    An address ``outside`` the address register is stored all the same; the answer says so, with
    the register's nearest address when there is one, so the volunteer can send it again.
    """
    tail = ""
    if outside:
        tail = (
            f" Niet in adreslijst: bedoel je {did_you_mean}?"
            if did_you_mean
            else " Adres niet in adreslijst."
        )
    if status == "help":
        shown = truncate_utf8(address, _ADDRESS_ROOM, ELLIPSIS)
        return _fit(f"Check-in {shown}: HULP ontvangen door de hub; {NOT_SEEN_YET}{tail}")
    return _fit(f"Check-in {address}: OK genoteerd. Dank je!{tail}")


def need_confirmed(category: str, address: str, urgent: bool = False) -> str:
    """The answer to ``NODIG``: received; an urgent one says nobody has seen it yet."""
    label = CATEGORY_LABELS.get(category, category)
    if urgent:
        shown = truncate_utf8(address, _ADDRESS_ROOM, ELLIPSIS)
        return _fit(f"Spoedmelding {label} {shown} ontvangen door de hub; {NOT_SEEN_YET}")
    return _fit(f"Melding {label} {address} ontvangen.")


def concern_confirmed(address: str, did_you_mean: str | None = None, *, outside: bool = False) -> str:
    """The answer to ``ZORG``: received; an address outside the register is said so (it is
    stored all the same), with the register's nearest address when there is one."""
    tail = ""
    if outside:
        tail = (
            f" Niet in adreslijst: bedoel je {did_you_mean}?"
            if did_you_mean
            else " Adres niet in adreslijst."
        )
    shown = truncate_utf8(address, _ADDRESS_ROOM, ELLIPSIS)
    return _fit(f"Zorgmelding {shown} ontvangen door de hub.{tail}")


def sos_received() -> str:
    """The answer to an SOS: only what happened (Dutch and English, one packet)."""
    return (
        "SOS ontvangen door de hub; nog geen coördinator heeft het gezien. Bel 112 als het kan. "
        "/ Received by the hub; no coordinator has seen it yet."
    )


def sos_seen(by: str) -> str:
    """To the sender of an SOS once a coordinator acknowledged it (Dutch and English, one packet)."""
    name = truncate_utf8(" ".join(by.split()), 40, ELLIPSIS) or "?"
    return _fit(f"Je SOS is gezien door coördinator {name}. / Your SOS was seen by coordinator {name}.")


def task_list(tasks: Sequence[TaskLine]) -> str:
    """Open tasks, as many as fit, then ``+N meer``."""
    if not tasks:
        return "Geen open taken."
    lines = [f"T{t.number} {kind_word(t.kind)} {t.address}" for t in tasks]
    for shown in range(len(lines), 0, -1):
        more = len(lines) - shown
        text = "Taken: " + "; ".join(lines[:shown]) + (f"; +{more} meer" if more else "")
        if utf8_len(text) <= DEFAULT_LIMIT:
            return text
    return _fit(f"Taken: {lines[0]}")


def status_summary(
    checkins_ok: int,
    checkins_help: int,
    open_needs: int,
    urgent_needs: int,
    open_tasks: int,
    *,
    drill: bool = False,
) -> str:
    """The ``STATUS`` reply; in a drill the figures are the drill's, marked ``OEFENING``."""
    return (
        f"{_drill_head(drill)}Status: {checkins_ok} OK, {checkins_help} HULP, {open_needs} noden "
        f"({urgent_needs} spoed), {open_tasks} taken open."
    )


def status_broadcast(
    clock: str, checked_in: int, help_needed: int, open_needs: int, unreached: int, *, drill: bool = False
) -> str:
    """The periodic neighbourhood summary on the channel (lowest priority, always one packet)."""
    return _fit(
        f"{_drill_head(drill)}STATUS {clock}: {checked_in} ingecheckt, {help_needed} hulp, "
        f"{open_needs} open vragen, {unreached} nog bezoeken"
    )


PRIORITY_MARKS: dict[str, str] = {"urgent": "!! ", "warning": "! "}


def announcement(title: str, body: str, priority: str = "info", *, drill: bool = False) -> list[str]:
    """An announcement for the channel, split into numbered packets when long.

    Urgent ones start with ``!!``, warnings with ``!``: ``!! Kook water: Het kraanwater ...``;
    a drill (exercise) announcement starts every packet with ``OEFENING``.
    """
    head = PRIORITY_MARKS.get(priority, "") + " ".join(title.split())
    text = " ".join(body.split())
    return packets(f"{head}: {text}" if text else head, drill=drill)


def announcement_withdrawn(title: str, *, drill: bool = False) -> str:
    """``INGETROKKEN: Kook water`` — an announcement that went on the air no longer holds."""
    return _fit(f"{_drill_head(drill)}INGETROKKEN: {' '.join(title.split())}")


def unknown_task(number: int) -> str:
    """A task number that is not the volunteer's (or does not exist)."""
    return f"T{number} staat niet op jouw naam. Stuur TAKEN voor je lijst."


def free_text_received() -> str:
    return "Bericht doorgegeven aan de coördinator."


def life_alert(category: str, address: str, description: str = "", *, drill: bool = False) -> str:
    """``SPOED 112 medicijnen Kerkstraat 5: ...`` — a life-threatening need, one packet;
    in a drill ``OEFENING SPOED ...``."""
    label = CATEGORY_LABELS.get(category, category)
    head = f"{_drill_head(drill)}SPOED (112 gebeld?) {label} {address.strip()}"
    detail = " ".join(description.split())
    return _fit(f"{head}: {detail}" if detail else head)


# Why a volunteer's step on a closed task is refused, by the task's status.
CLOSED_BECAUSE = {"done": "al afgerond", "failed": "teruggemeld, de coördinator plant opnieuw"}


def task_closed(number: int, status: str) -> str:
    """The answer to ``JA``/``KLAAR``/``NIET`` on a task that is closed, saying why."""
    why = CLOSED_BECAUSE.get(status)
    head = f"T{number} is al afgesloten ({why})" if why else f"T{number} is al afgesloten"
    return f"{head}. Stuur TAKEN voor je lijst."
