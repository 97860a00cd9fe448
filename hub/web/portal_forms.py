"""The portal's forms: choices with pictograms, reading a posted form, errors in plain words.

A form arrives as strings. :func:`read_form` turns it into the API's Create schema (so the
portal and the API share one set of rules) or into a :class:`FormErrors` that says, per field,
what to fix — in the visitor's language, in words a neighbour would use.

Labels are marked with ``N_`` (extracted, translated when shown); messages made here are
translated with :func:`hub.i18n.gettext` while the request's language is active.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pydantic
from pydantic import BaseModel

from hub.i18n import gettext as _
from hub.schemas import (
    CheckInCreate,
    HouseholdCreate,
    NeedCreate,
    OfferCreate,
    SelfCheckCreate,
    SignalCreate,
    VolunteerOfferCreate,
)


def N_(message: str) -> str:
    """Mark ``message`` for extraction; it is translated where it is shown."""
    return message


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    icon: str = ""
    hint: str = ""


STATUSES = (
    Choice("ok", N_("We are OK"), "ok"),
    Choice("help", N_("We need help"), "help"),
)
NEEDS = (
    Choice("water", N_("Water"), "water"),
    Choice("food", N_("Food"), "food"),
    Choice("medicine", N_("Medicine"), "medicine"),
    Choice("power", N_("Power or charging"), "power"),
    Choice("medical_device", N_("Medical device on power"), "device"),
    Choice("transport", N_("Transport"), "car"),
    Choice("information", N_("Information"), "info"),
    Choice("other", N_("Something else"), "other"),
)
URGENCIES = (
    Choice("normal", N_("Normal"), hint=N_("Today or tomorrow is fine.")),
    Choice("urgent", N_("Urgent"), hint=N_("Within a few hours.")),
    Choice("life", N_("Life-threatening"), "phone", N_("Someone's life is in danger now.")),
)
OFFERS = (
    Choice("first_aid", N_("First aid"), "firstaid"),
    Choice("care", N_("Care and company"), "care"),
    Choice("car", N_("A car for transport"), "car"),
    Choice("generator", N_("A generator or power"), "power"),
    Choice("language", N_("Translating"), "talk"),
    Choice("tools", N_("Tools"), "tools"),
    Choice("space", N_("A room or a place to stay"), "home"),
    Choice("other", N_("Something else"), "other"),
)
ATTENTION = (
    Choice("alone_75plus", N_("Someone aged 75 or older who lives alone")),
    Choice("mobility", N_("Someone who walks with difficulty or uses a wheelchair")),
    Choice("medical_device", N_("Someone who needs a medical device with power, like oxygen")),
    Choice("small_children", N_("Small children (younger than 4)")),
    Choice("pregnant", N_("Someone who is pregnant")),
    Choice("hearing_sight", N_("Someone who hears or sees badly")),
    Choice("no_phone", N_("No phone, or a phone that does not work well")),
    Choice("language", N_("Someone who does not speak Dutch well")),
)
SIGNALS = (
    Choice("not_seen", N_("Someone I have not seen for a while"), "people"),
    Choice("street_danger", N_("Danger in the street"), "help"),
    Choice("building", N_("A building or a utility that fails: lift, gas, water, power"), "home"),
    Choice("care", N_("Someone who needs care"), "care"),
    Choice("other", N_("Something else"), "other"),
)
DANGER = (
    Choice("no", N_("No")),
    Choice("yes", N_("Yes: someone's life is in danger now"), "phone"),
)
REGISTERED_BY = (
    Choice("self", N_("For myself or my own household"), "home"),
    Choice("neighbour", N_("For a neighbour, with their permission"), "people"),
)

# The national 72-hour emergency kit ("Denk vooruit"), in the order of the campaign's list.
KIT = (
    Choice("water", N_("Drinking water"), "water", N_("3 litres a person a day, for 3 days.")),
    Choice("food", N_("Food for 3 days"), "food", N_("Food that keeps without a fridge or cooking.")),
    Choice("torch", N_("A torch"), "power", N_("With spare batteries.")),
    Choice("radio", N_("A radio on batteries"), "announce", N_("Or a wind-up radio, with spare batteries.")),
    Choice("power_bank", N_("A charged power bank"), "phone", N_("To charge your phone.")),
    Choice("first_aid", N_("A first aid kit"), "firstaid"),
    Choice("medicines", N_("Your medicines"), "medicine", N_("What you need for a few days at least.")),
    Choice("cash", N_("Some cash"), "other", N_("Card payments may not work.")),
    Choice("documents", N_("Copies of important documents"), "info", N_("For example ID, insurance.")),
)
NEIGHBOUR_QUESTIONS = (
    Choice("check_on", N_("I know which neighbour I would check on")),
    Choice("checked_by", N_("I know who would check on me")),
)
HANDSET = (
    Choice("yes", N_("Yes, I have a Meshtastic radio")),
    Choice("no", N_("No")),
)

LABELS: dict[str, dict[str, str]] = {
    "status": {c.value: c.label for c in STATUSES},
    "need": {c.value: c.label for c in NEEDS},
    "urgency": {c.value: c.label for c in URGENCIES},
    "offer": {c.value: c.label for c in OFFERS},
    "attention": {c.value: c.label for c in ATTENTION},
    "registered_by": {c.value: c.label for c in REGISTERED_BY},
    "signal": {c.value: c.label for c in SIGNALS},
    "danger": {c.value: c.label for c in DANGER},
    "kit": {c.value: c.label for c in KIT},
    "handset": {c.value: c.label for c in HANDSET},
}

# What to fix, per field, when it is missing or not one of the choices.
REQUIRED: dict[str, str] = {
    "address": N_("Fill in your street and house number, for example Kerkstraat 5."),
    "status": N_("Choose: we are OK, or we need help."),
    "need_category": N_("Choose what you need."),
    "offer_category": N_("Choose what you can offer."),
    "urgency": N_("Choose how urgent it is."),
    "need_description": N_("Write in a few words what you need."),
    "offer_description": N_("Write in a few words what you can do or lend."),
    "special_attention": N_("Tick at least one box."),
    "given_by": N_("Fill in the name of the person who gives permission."),
    "agree": N_("Tick the box to give permission. Without permission we cannot save this."),
    "registered_by": N_("Choose for whom you fill in this form."),
    "people": N_("Fill in a number from 1 to 50, or leave it empty."),
    "signal_category": N_("Choose what your concern is about."),
    "signal_description": N_("Write in a few words what you noticed, and where."),
    "signal_address": N_("Fill in a street, or a street and house number, or leave it empty."),
    "life": N_("Choose: is someone's life in danger now?"),
    "share_contact": N_(
        "You ticked that an organisation may see how to reach them, but not that it may see the"
        " household. Tick both, or neither."
    ),
    "name": N_("Fill in your name."),
    "contact": N_("Fill in how we can reach you, for example a phone number."),
    "has_handset": N_("Choose: yes or no."),
    "selfcheck_address": N_("Fill in your street and house number, or leave it empty."),
}

TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def new_token() -> str:
    """A one-time form token: the submission's idempotency key."""
    return secrets.token_urlsafe(18)


def valid_token(token: str) -> bool:
    return bool(TOKEN_PATTERN.match(token))


@dataclass
class FormErrors(Exception):
    """Messages per field (already translated), in the order of the form."""

    fields: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.fields.setdefault(name, message)


class Fields:
    """The posted fields as plain strings; a field sent twice counts once."""

    def __init__(self, data: Mapping[str, str], lists: Mapping[str, list[str]]) -> None:
        self._data = data
        self._lists = lists

    def values(self) -> dict[str, str]:
        return dict(self._data)

    def text(self, name: str) -> str:
        return self._data.get(name, "").strip()

    def optional(self, name: str) -> str | None:
        return self.text(name) or None

    def many(self, name: str) -> list[str]:
        return [value.strip() for value in self._lists.get(name, []) if value.strip()]

    def ticked(self, name: str) -> bool:
        return name in self._data


@dataclass(frozen=True)
class FormSpec:
    """One portal form: what it builds from the fields and how its fields are named."""

    kind: str
    build: Callable[[Fields], dict[str, Any]]
    schema: type[BaseModel]
    # schema location (first part, or a dotted path) -> field name in the form
    field_of: Mapping[str, str] = field(default_factory=dict)
    # form field -> key in REQUIRED
    required_key: Mapping[str, str] = field(default_factory=dict)
    check: Callable[[Fields, FormErrors], None] | None = None


def whole_number(text: str | None) -> int | str | None:
    """A typed number as an ``int`` (ASCII digits only); anything else stays text, for the schema."""
    if text is not None and re.fullmatch(r"[0-9]{1,6}", text):
        return int(text)
    return text


def _checkin(fields: Fields) -> dict[str, Any]:
    return {
        "address": fields.text("address"),
        "status": fields.text("status"),
        "people": whole_number(fields.optional("people")),
        "note": fields.optional("note"),
        "code": fields.optional("code"),
    }


def _need(fields: Fields) -> dict[str, Any]:
    return {
        "address": fields.text("address"),
        "category": fields.text("category"),
        "urgency": fields.text("urgency"),
        "description": fields.text("description"),
    }


def _offer(fields: Fields) -> dict[str, Any]:
    return {
        "category": fields.text("category"),
        "description": fields.text("description"),
        "address": fields.optional("address"),
        "contact": fields.optional("contact"),
    }


def _household(fields: Fields) -> dict[str, Any]:
    return {
        "address": fields.text("address"),
        "special_attention": fields.many("special_attention"),
        "people": whole_number(fields.optional("people")),
        "contact": fields.optional("contact"),
        "registered_by": fields.text("registered_by"),
        "consent": {
            "given_by": fields.text("given_by"),
            "share_upstream": fields.ticked("share_upstream"),
            "share_partners": fields.many("share_partner"),
            # a contact box without its partner's box is an error (_household_check), not a consent
            "share_contact": [p for p in fields.many("share_contact") if p in fields.many("share_partner")],
        },
    }


def _signal(fields: Fields) -> dict[str, Any]:
    return {
        "category": fields.text("category"),
        "description": fields.text("description"),
        "life": fields.text("life") == "yes",
        "address": fields.optional("address"),
        "contact": fields.optional("contact"),
    }


def _signal_check(fields: Fields, errors: FormErrors) -> None:
    if fields.text("life") not in ("yes", "no"):
        errors.add("life", _(REQUIRED["life"]))


def _selfcheck(fields: Fields) -> dict[str, Any]:
    return {
        "items": fields.many("items"),
        "check_on": fields.ticked("check_on"),
        "checked_by": fields.ticked("checked_by"),
        "people": whole_number(fields.optional("people")),
        "address": fields.optional("address"),
    }


def _volunteer(fields: Fields) -> dict[str, Any]:
    return {
        "name": fields.text("name"),
        "address": fields.text("address"),
        "contact": fields.text("contact"),
        "skills": fields.text("skills"),
        "has_handset": {"yes": True, "no": False}.get(fields.text("has_handset")),
    }


def _household_check(fields: Fields, errors: FormErrors) -> None:
    if not fields.ticked("agree"):
        errors.add("agree", _(REQUIRED["agree"]))
    if set(fields.many("share_contact")) - set(fields.many("share_partner")):
        errors.add("share_partner", _(REQUIRED["share_contact"]))


FORMS: dict[str, FormSpec] = {
    "checkin": FormSpec("checkin", _checkin, CheckInCreate),
    "need": FormSpec(
        "need",
        _need,
        NeedCreate,
        required_key={"category": "need_category", "description": "need_description"},
    ),
    "offer": FormSpec(
        "offer",
        _offer,
        OfferCreate,
        required_key={"category": "offer_category", "description": "offer_description"},
    ),
    "signal": FormSpec(
        "signal",
        _signal,
        SignalCreate,
        required_key={
            "category": "signal_category",
            "description": "signal_description",
            "address": "signal_address",
        },
        check=_signal_check,
    ),
    "household": FormSpec(
        "household",
        _household,
        HouseholdCreate,
        field_of={
            "consent.given_by": "given_by",
            "consent.share_partners": "share_partner",
            "consent.share_contact": "share_partner",
            "consent": "given_by",
        },
        check=_household_check,
    ),
    "selfcheck": FormSpec(
        "selfcheck", _selfcheck, SelfCheckCreate, required_key={"address": "selfcheck_address"}
    ),
    "volunteer": FormSpec("volunteer", _volunteer, VolunteerOfferCreate),
}


def read_form(spec: FormSpec, fields: Fields) -> BaseModel:
    """The validated schema, or :class:`FormErrors` in the active language."""
    errors = FormErrors()
    model: BaseModel | None = None
    try:
        model = spec.schema.model_validate(spec.build(fields))
    except pydantic.ValidationError as exc:
        for error in exc.errors():
            name = _field_name(spec, error["loc"])
            errors.add(name, _message(spec, name, error))
    if spec.check:
        spec.check(fields, errors)
    if errors.fields or model is None:
        raise errors
    return model


def _field_name(spec: FormSpec, loc: tuple[int | str, ...]) -> str:
    parts = [str(part) for part in loc if not isinstance(part, int)]
    dotted = ".".join(parts)
    return spec.field_of.get(dotted) or spec.field_of.get(parts[0] if parts else "") or dotted or "form"


def _message(spec: FormSpec, name: str, error: Any) -> str:
    kind = str(error.get("type", ""))
    context = error.get("ctx") or {}
    if kind == "string_too_long":
        return _("This is too long. Use at most %(max)s characters.") % {"max": context.get("max_length")}
    if name == "people":
        return _(REQUIRED["people"])
    key = spec.required_key.get(name, name)
    if key in REQUIRED:
        return _(REQUIRED[key])
    return _("Check this field.")
