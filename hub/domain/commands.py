"""The volunteers' mesh command grammar (docs/reference/mesh.md) as typed commands.

``parse_command`` never raises: free text becomes ``Unknown``, a known command word
with a malformed rest becomes ``Invalid``. Matching ignores case, extra spaces,
trailing punctuation and the accents handsets add ("Já", "KLAAR!"); task numbers may
carry a leading "#" or "T" ("JA T14", "ja #14").

    OK                                 Available
    JA [n] | ACK [n]                   Accept
    KLAAR [n] [note] | DONE [n] [note] Done
    NIET [n] [reason] | FAIL [n] ...   Fail
    CHECKIN <address> OK|HELP [note]   CheckIn
    NODIG|NEED <category> <address> [text]  Need
    ZORG|CONCERN <address> <text>      Concern (a signal about a place or a person)
    SOS [text]                         Sos
    TAKEN | TASKS                      ListTasks
    STATUS                             Status
    ? | HULP | HELP                    Help
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

CheckInStatus = Literal["ok", "help"]


class NeedCategory(StrEnum):
    WATER = "water"
    FOOD = "food"
    MEDICINE = "medicine"
    POWER = "power"
    MEDICAL_DEVICE = "medical_device"
    TRANSPORT = "transport"
    INFORMATION = "information"
    OTHER = "other"


CATEGORY_WORDS: dict[str, NeedCategory] = {
    "WATER": NeedCategory.WATER,
    "DRINKWATER": NeedCategory.WATER,
    "FOOD": NeedCategory.FOOD,
    "ETEN": NeedCategory.FOOD,
    "VOEDSEL": NeedCategory.FOOD,
    "MEDICINE": NeedCategory.MEDICINE,
    "MEDICIJNEN": NeedCategory.MEDICINE,
    "MEDICIJN": NeedCategory.MEDICINE,
    "POWER": NeedCategory.POWER,
    "STROOM": NeedCategory.POWER,
    "MEDICAL_DEVICE": NeedCategory.MEDICAL_DEVICE,
    "APPARAAT": NeedCategory.MEDICAL_DEVICE,
    "TRANSPORT": NeedCategory.TRANSPORT,
    "VERVOER": NeedCategory.TRANSPORT,
    "INFORMATION": NeedCategory.INFORMATION,
    "INFORMATIE": NeedCategory.INFORMATION,
    "INFO": NeedCategory.INFORMATION,
    "OTHER": NeedCategory.OTHER,
    "ANDERS": NeedCategory.OTHER,
    "OVERIG": NeedCategory.OTHER,
}


@dataclass(frozen=True)
class Available:
    """OK: the volunteer is available."""


@dataclass(frozen=True)
class Accept:
    task_number: int | None


@dataclass(frozen=True)
class Done:
    task_number: int | None
    note: str = ""


@dataclass(frozen=True)
class Fail:
    task_number: int | None
    reason: str = ""


@dataclass(frozen=True)
class CheckIn:
    address: str
    status: CheckInStatus
    note: str = ""


@dataclass(frozen=True)
class Need:
    category: NeedCategory
    address: str
    text: str = ""


@dataclass(frozen=True)
class Concern:
    """A volunteer's concern about a place or a person: a signal for the coordinators."""

    address: str
    text: str


@dataclass(frozen=True)
class Sos:
    text: str = ""


@dataclass(frozen=True)
class ListTasks:
    pass


@dataclass(frozen=True)
class Status:
    pass


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class Unknown:
    """Free text, not a command: it goes to the coordinators as a message."""

    text: str


@dataclass(frozen=True)
class Invalid:
    """A command word with a malformed rest; ``reason`` is Dutch, for the reply."""

    command: str
    reason: str


Command = (
    Available
    | Accept
    | Done
    | Fail
    | CheckIn
    | Need
    | Concern
    | Sos
    | ListTasks
    | Status
    | Help
    | Unknown
    | Invalid
)

_PUNCTUATION = ".,!?;:'\"()[]…¡¿"
_TASK_NUMBER = re.compile(r"^(?:#|T)?(\d{1,6})$")


def normalise_word(token: str) -> str:
    """Upper case, accents removed, surrounding punctuation stripped."""
    decomposed = unicodedata.normalize("NFKD", token)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain.strip(_PUNCTUATION).upper()


def _task_number(token: str) -> int | None:
    match = _TASK_NUMBER.match(normalise_word(token))
    return int(match.group(1)) if match else None


def _rest(tokens: list[str]) -> str:
    return " ".join(tokens).strip()


def _clean_address(words: list[str]) -> str:
    return " ".join(words).strip().rstrip(",;:.").strip()


def _number_and_rest(tokens: list[str]) -> tuple[int | None, str]:
    if tokens:
        number = _task_number(tokens[0])
        if number is not None:
            return number, _rest(tokens[1:])
    return None, _rest(tokens)


def _parse_checkin(word: str, args: list[str]) -> Command:
    for index in range(1, len(args)):
        status = normalise_word(args[index])
        if status in ("OK", "HELP", "HULP"):
            address = _clean_address(args[:index])
            if not address:
                break
            return CheckIn(
                address=address,
                status="ok" if status == "OK" else "help",
                note=_rest(args[index + 1 :]),
            )
    if not args or normalise_word(args[0]) in ("OK", "HELP", "HULP"):
        return Invalid(word, "adres ontbreekt")
    return Invalid(word, "status ontbreekt (OK of HULP)")


def _parse_need(word: str, args: list[str]) -> Command:
    if not args:
        return Invalid(word, "categorie ontbreekt")
    category = CATEGORY_WORDS.get(normalise_word(args[0]))
    if category is None:
        return Invalid(word, "onbekende categorie")
    rest = args[1:]
    if not rest:
        return Invalid(word, "adres ontbreekt")
    for index, token in enumerate(rest):
        if token[:1].isdigit():
            return Need(
                category=category,
                address=_clean_address(rest[: index + 1]),
                text=_rest(rest[index + 1 :]),
            )
    return Invalid(word, "huisnummer ontbreekt")


def _parse_concern(word: str, args: list[str]) -> Command:
    """``ZORG Molenweg 12 niet gezien sinds maandag`` (the address ends at its house number) or
    ``ZORG Molenweg: gaslucht`` (a street, or any place, ended by a colon)."""
    if not args:
        return Invalid(word, "adres ontbreekt")
    for index, token in enumerate(args):
        if token.endswith(":") or token[:1].isdigit():
            address = _clean_address(args[: index + 1])
            text = _rest(args[index + 1 :])
            if not address:
                return Invalid(word, "adres ontbreekt")
            if not text:
                return Invalid(word, "tekst ontbreekt")
            return Concern(address=address, text=text)
    return Invalid(word, "adres ontbreekt (straat huisnummer, of straat: tekst)")


_SIMPLE: dict[str, Command] = {
    "OK": Available(),
    "TAKEN": ListTasks(),
    "TASKS": ListTasks(),
    "STATUS": Status(),
    "HULP": Help(),
    "HELP": Help(),
}


def parse_command(text: str) -> Command:
    """Turn one handset text into a command. Never raises."""
    tokens = text.split()
    if not tokens:
        return Unknown(text.strip())
    first = tokens[0]
    if set(first) == {"?"}:
        return Help()
    word = normalise_word(first)
    args = tokens[1:]
    simple = _SIMPLE.get(word)
    if simple is not None:
        # "OK ..." and "HULP ..." followed by free words still mean the command.
        return simple
    if word in ("JA", "ACK"):
        number, _ = _number_and_rest(args)
        return Accept(number)
    if word in ("KLAAR", "DONE"):
        number, note = _number_and_rest(args)
        return Done(number, note)
    if word in ("NIET", "FAIL"):
        number, reason = _number_and_rest(args)
        return Fail(number, reason)
    if word in ("CHECKIN", "CHECK-IN"):
        return _parse_checkin("CHECKIN", args)
    if word in ("NODIG", "NEED"):
        return _parse_need("NODIG", args)
    if word in ("ZORG", "CONCERN"):
        return _parse_concern("ZORG", args)
    if word == "SOS":
        return Sos(_rest(args))
    return Unknown(text.strip())


def repeat_key(command: Command) -> str | None:
    """What makes a repeat of ``command`` the same question, or None if it is no question.

    Questions change nothing (``STATUS``, ``TAKEN``, ``?``, an unknown word, a malformed
    command): a handset that asks the same again soon is not answered again. Commands that
    change something (``JA``, ``KLAAR``, ``CHECKIN`` ...) and ``SOS`` are always answered.
    """
    match command:
        case Status():
            return "STATUS"
        case ListTasks():
            return "TAKEN"
        case Help():
            return "HULP"
        case Unknown(text) if len(text.split()) <= 1:
            return "ONBEKEND"
        case Invalid(word, reason):
            return f"{word} {reason}"[:64]
    return None
