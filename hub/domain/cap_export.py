"""Announcements as CAP 1.2 alerts (OASIS Common Alerting Protocol), for export.

A minimal, valid builder: one ``<alert>`` per announcement, one ``<info>`` per language. Drill
records get ``status`` ``Exercise`` so that nobody mistakes a practice message for a real one.
(Reading CAP that arrives from upstream is ``hub.domain.cap``'s job.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
_SEVERITY = {
    "urgent": ("Immediate", "Severe"),
    "warning": ("Expected", "Moderate"),
    "info": ("Future", "Minor"),
}


@dataclass(frozen=True)
class CapSource:
    id: str
    title: str
    body: str
    priority: str
    created_at: datetime
    expires_at: datetime | None = None
    drill: bool = False
    translations: dict[str, dict[str, str]] = field(default_factory=dict)


def cap_time(moment: datetime) -> str:
    """CAP's date-time: seconds precision, explicit offset (``2025-11-18T18:40:00+00:00``)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).replace(microsecond=0).isoformat()


def build_alert(source: CapSource, *, sender: str, sender_name: str, language: str = "nl") -> str:
    """The CAP 1.2 XML document (UTF-8 text with declaration) for one announcement."""
    ET.register_namespace("", CAP_NS)

    def sub(parent: ET.Element, tag: str, text: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{CAP_NS}}}{tag}")
        element.text = text
        return element

    alert = ET.Element(f"{{{CAP_NS}}}alert")
    sub(alert, "identifier", f"{sender}:{source.id}")
    sub(alert, "sender", sender)
    sub(alert, "sent", cap_time(source.created_at))
    sub(alert, "status", "Exercise" if source.drill else "Actual")
    sub(alert, "msgType", "Alert")
    sub(alert, "scope", "Public")
    urgency, severity = _SEVERITY.get(source.priority, ("Unknown", "Unknown"))
    texts = [(language, source.title, source.body)] + [
        (lang, t.get("title", source.title), t.get("body", source.body))
        for lang, t in sorted(source.translations.items())
        if lang != language
    ]
    for lang, title, body in texts:
        info = sub(alert, "info", "")
        info.text = None
        sub(info, "language", lang)
        sub(info, "category", "Safety")
        sub(info, "event", title)
        sub(info, "urgency", urgency)
        sub(info, "severity", severity)
        sub(info, "certainty", "Observed")
        if source.expires_at is not None:
            sub(info, "expires", cap_time(source.expires_at))
        sub(info, "senderName", sender_name)
        sub(info, "headline", title)
        sub(info, "description", body)
    return ET.tostring(alert, encoding="unicode", xml_declaration=False).join(
        ['<?xml version="1.0" encoding="UTF-8"?>\n', "\n"]
    )
