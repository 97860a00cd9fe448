"""CAP 1.2 (Common Alerting Protocol) to announcements and back, without I/O.

Parsing takes an element tree that the caller has already parsed safely (``defusedxml`` at
the boundary: no DTDs, no entities). The mapping decides what residents see:

- one ``info`` block per language; the hub shows the one in its language and keeps the others
  as translations;
- severity and urgency give the announcement's priority, and whether it goes on the mesh:
  ``Extreme``/``Severe`` with ``Immediate``/``Expected`` is urgent and is broadcast over LoRa;
- ``Actual`` and ``Exercise`` alerts are shown; an exercise is a drill announcement, marked as
  an exercise on the portal and with ``OEFENING`` at the start of every mesh packet, never as
  real news; ``Test``, ``System`` and ``Draft`` alerts are for machines and change nothing.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from hub.errors import ValidationError

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
STATUSES = ("Actual", "Exercise", "System", "Test", "Draft")
MSG_TYPES = ("Alert", "Update", "Cancel", "Ack", "Error")
SEVERITIES = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
URGENCIES = ("Immediate", "Expected", "Future", "Past", "Unknown")
CERTAINTIES = ("Observed", "Likely", "Possible", "Unlikely", "Unknown")
SHOWN_STATUSES = ("Actual", "Exercise")


@dataclass(frozen=True)
class CapInfo:
    language: str
    event: str
    headline: str
    description: str
    instruction: str
    severity: str
    urgency: str
    certainty: str
    expires: datetime | None


@dataclass(frozen=True)
class CapAlert:
    identifier: str
    sender: str
    sent: datetime
    status: str
    msg_type: str
    infos: tuple[CapInfo, ...]


@dataclass(frozen=True)
class AnnouncementDraft:
    """What an alert becomes on the hub (an ``AnnouncementCreate`` once it reaches a service)."""

    external_id: str
    title: str
    body: str
    priority: str
    send_mesh: bool
    expires_at: datetime | None
    translations: dict[str, dict[str, str]]
    drill: bool


class AnnouncementLike(Protocol):
    """The fields of an announcement that CAP export needs."""

    id: str
    title: str
    body: str
    priority: str
    created_at: datetime
    expires_at: datetime | None
    drill: bool
    translations: dict[str, dict[str, str]]


# --- parsing ------------------------------------------------------------------------------------


def _tag(name: str) -> str:
    return f"{{{CAP_NS}}}{name}"


def _text(element: ET.Element, name: str, *, required: bool = False, limit: int = 2000) -> str:
    child = element.find(_tag(name))
    value = (child.text or "").strip() if child is not None else ""
    if required and not value:
        raise ValidationError(f"CAP: <{name}> is missing", field=name)
    return value[:limit]


def _choice(element: ET.Element, name: str, allowed: tuple[str, ...], default: str | None = None) -> str:
    value = _text(element, name, required=default is None)
    if not value and default is not None:
        return default
    if value not in allowed:
        raise ValidationError(f"CAP: <{name}> {value!r} is not one of {', '.join(allowed)}", field=name)
    return value


def parse_time(value: str, field: str) -> datetime:
    """A CAP dateTime (``2026-11-28T21:00:00-00:00``) as an aware UTC datetime."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValidationError(f"CAP: <{field}> {value!r} is not a date and time", field=field) from exc
    if moment.tzinfo is None:
        raise ValidationError(f"CAP: <{field}> has no time zone", field=field)
    try:
        return moment.astimezone(UTC)
    except OverflowError as exc:
        raise ValidationError(f"CAP: <{field}> {value!r} is out of range", field=field) from exc


def parse_alert(root: ET.Element) -> CapAlert:
    """The alert in ``root`` (a CAP 1.2 ``<alert>``); ``ValidationError`` when it is not one."""
    if root.tag != _tag("alert"):
        raise ValidationError("CAP: the document is not a CAP 1.2 <alert>", field="alert")
    infos = tuple(_parse_info(info) for info in root.findall(_tag("info")))
    msg_type = _choice(root, "msgType", MSG_TYPES)
    if msg_type in ("Alert", "Update") and not infos:
        raise ValidationError("CAP: an alert needs at least one <info>", field="info")
    return CapAlert(
        identifier=_text(root, "identifier", required=True, limit=150),
        sender=_text(root, "sender", required=True, limit=150),
        sent=parse_time(_text(root, "sent", required=True), "sent"),
        status=_choice(root, "status", STATUSES),
        msg_type=msg_type,
        infos=infos,
    )


def _parse_info(info: ET.Element) -> CapInfo:
    expires = _text(info, "expires")
    return CapInfo(
        language=_text(info, "language", limit=20) or "en-US",
        event=_text(info, "event", required=True, limit=120),
        headline=_text(info, "headline", limit=160),
        description=_text(info, "description"),
        instruction=_text(info, "instruction"),
        severity=_choice(info, "severity", SEVERITIES),
        urgency=_choice(info, "urgency", URGENCIES),
        certainty=_choice(info, "certainty", CERTAINTIES),
        expires=parse_time(expires, "expires") if expires else None,
    )


# --- mapping ------------------------------------------------------------------------------------


def _lang(code: str) -> str:
    return code.split("-")[0].lower()


def choose_info(alert: CapAlert, languages: list[str]) -> CapInfo:
    """The info block in the first of ``languages`` that the alert has, else its first one."""
    for wanted in languages:
        for info in alert.infos:
            if _lang(info.language) == wanted:
                return info
    return alert.infos[0]


def priority_of(severity: str, urgency: str) -> tuple[str, bool]:
    """The announcement priority for a CAP severity and urgency, and whether it goes on the mesh."""
    if severity in ("Extreme", "Severe"):
        if urgency in ("Immediate", "Expected"):
            return "urgent", True
        return "warning", False
    if severity == "Moderate":
        return "warning", False
    return "info", False


def _title_body(info: CapInfo) -> tuple[str, str]:
    title = (info.headline or info.event)[:120]
    parts = [part for part in (info.description, info.instruction) if part]
    body = "\n\n".join(parts) or info.event
    return title, body[:2000]


def to_announcement(alert: CapAlert, languages: list[str]) -> AnnouncementDraft | None:
    """The announcement residents see, or ``None`` for alerts that are not for them."""
    if alert.status not in SHOWN_STATUSES or alert.msg_type not in ("Alert", "Update", "Cancel"):
        return None
    info = choose_info(alert, languages) if alert.infos else None
    if info is None:
        return None
    title, body = _title_body(info)
    priority, mesh = priority_of(info.severity, info.urgency)
    if alert.msg_type == "Cancel":
        priority, mesh = "info", False
    drill = alert.status == "Exercise"
    translations = {}
    for other in alert.infos:
        if other is not info and _lang(other.language) not in translations:
            other_title, other_body = _title_body(other)
            translations[_lang(other.language)] = {"title": other_title, "body": other_body}
    return AnnouncementDraft(
        external_id=f"cap:{alert.sender}:{alert.identifier}"[:200],
        title=title,
        body=body,
        priority=priority,
        send_mesh=mesh,
        expires_at=info.expires,
        translations=translations,
        drill=drill,
    )


# --- export -------------------------------------------------------------------------------------

_SEVERITY_OF = {"urgent": ("Severe", "Immediate"), "warning": ("Moderate", "Expected")}


def cap_time(moment: datetime) -> str:
    """CAP's dateTime: seconds, numeric zone, UTC written as ``-00:00``."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S-00:00")


def to_cap_xml(
    announcement: AnnouncementLike, *, sender: str, language: str = "nl", sender_name: str | None = None
) -> bytes:
    """A CAP 1.2 alert for ``announcement``: one ``info`` block for its own language and one per
    translation; drill announcements have status ``Exercise``."""
    ET.register_namespace("", CAP_NS)
    alert = ET.Element(_tag("alert"))

    def add(parent: ET.Element, name: str, value: str) -> None:
        ET.SubElement(parent, _tag(name)).text = value

    add(alert, "identifier", announcement.id)
    add(alert, "sender", sender)
    add(alert, "sent", cap_time(announcement.created_at))
    add(alert, "status", "Exercise" if announcement.drill else "Actual")
    add(alert, "msgType", "Alert")
    add(alert, "scope", "Public")
    severity, urgency = _SEVERITY_OF.get(announcement.priority, ("Minor", "Future"))
    texts = [(language, announcement.title, announcement.body)] + [
        (lang, text.get("title") or announcement.title, text.get("body") or announcement.body)
        for lang, text in sorted(announcement.translations.items())
        if lang != language
    ]
    for lang, title, body in texts:
        info = ET.SubElement(alert, _tag("info"))
        add(info, "language", lang)
        add(info, "category", "Safety")
        add(info, "event", title)
        add(info, "urgency", urgency)
        add(info, "severity", severity)
        add(info, "certainty", "Observed")
        if announcement.expires_at is not None:
            add(info, "expires", cap_time(announcement.expires_at))
        add(info, "senderName", sender_name or sender)
        add(info, "headline", title)
        add(info, "description", body)
    document: bytes = ET.tostring(alert, encoding="utf-8", xml_declaration=True)
    return document
