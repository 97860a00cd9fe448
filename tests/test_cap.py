"""CAP 1.2 mapping without I/O (the boundary's defusedxml parsing is in test_sync_wire)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from hub.domain import cap
from hub.errors import ValidationError

NS = "urn:oasis:names:tc:emergency:cap:1.2"


def alert_xml(*, status: str = "Actual", msg_type: str = "Alert", infos: str | None = None) -> ET.Element:
    info = infos or (
        "<info><language>nl-NL</language><event>Brand</event><urgency>Immediate</urgency>"
        "<severity>Extreme</severity><certainty>Observed</certainty>"
        "<expires>2026-11-29T06:00:00+01:00</expires>"
        "<headline>Grote brand</headline><description>Veel rook.</description>"
        "<instruction>Ramen en deuren dicht.</instruction></info>"
        "<info><language>en-US</language><event>Fire</event><urgency>Immediate</urgency>"
        "<severity>Extreme</severity><certainty>Observed</certainty><headline>Big fire</headline></info>"
    )
    text = (
        f'<alert xmlns="{NS}"><identifier>NL-1</identifier><sender>vr@example.nl</sender>'
        f"<sent>2026-11-28T21:00:00+01:00</sent><status>{status}</status><msgType>{msg_type}</msgType>"
        f"<scope>Public</scope>{info}</alert>"
    )
    return ET.fromstring(text)


def test_alert_is_parsed_into_typed_fields() -> None:
    alert = cap.parse_alert(alert_xml())
    assert alert.identifier == "NL-1"
    assert alert.sent == datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
    assert alert.status == "Actual"
    assert [info.language for info in alert.infos] == ["nl-NL", "en-US"]
    assert alert.infos[0].expires == datetime(2026, 11, 29, 5, 0, tzinfo=UTC)
    assert alert.infos[0].instruction == "Ramen en deuren dicht."


@pytest.mark.parametrize(
    ("languages", "headline"), [(["nl"], "Grote brand"), (["en", "nl"], "Big fire"), (["ar"], "Grote brand")]
)
def test_info_block_is_chosen_by_language(languages: list[str], headline: str) -> None:
    assert cap.choose_info(cap.parse_alert(alert_xml()), languages).headline == headline


@pytest.mark.parametrize(
    ("severity", "urgency", "expected"),
    [
        ("Extreme", "Immediate", ("urgent", True)),
        ("Severe", "Expected", ("urgent", True)),
        ("Severe", "Future", ("warning", False)),
        ("Moderate", "Immediate", ("warning", False)),
        ("Minor", "Immediate", ("info", False)),
        ("Unknown", "Unknown", ("info", False)),
    ],
)
def test_severity_and_urgency_give_priority_and_mesh(
    severity: str, urgency: str, expected: tuple[str, bool]
) -> None:
    assert cap.priority_of(severity, urgency) == expected


def test_announcement_from_alert_keeps_translations() -> None:
    draft = cap.to_announcement(cap.parse_alert(alert_xml()), ["nl", "en"])
    assert draft is not None
    assert draft.title == "Grote brand"
    assert draft.body == "Veel rook.\n\nRamen en deuren dicht."
    assert draft.priority == "urgent"
    assert draft.send_mesh
    assert not draft.drill
    assert draft.external_id == "cap:vr@example.nl:NL-1"
    assert draft.translations == {"en": {"title": "Big fire", "body": "Fire"}}


def test_exercise_is_a_drill_marked_on_the_mesh_and_tests_are_not_shown() -> None:
    drill = cap.to_announcement(cap.parse_alert(alert_xml(status="Exercise")), ["nl"])
    assert drill is not None
    assert drill.drill
    assert drill.send_mesh  # on the mesh like the real alert would be, with OEFENING in front
    assert not cap.to_announcement(cap.parse_alert(alert_xml()), ["nl"]).drill  # type: ignore[union-attr]
    assert cap.to_announcement(cap.parse_alert(alert_xml(status="Test")), ["nl"]) is None
    cancel = cap.to_announcement(cap.parse_alert(alert_xml(msg_type="Cancel")), ["nl"])
    assert cancel is not None
    assert (cancel.priority, cancel.send_mesh) == ("info", False)


@pytest.mark.parametrize(
    "broken",
    [
        f'<alert xmlns="{NS}"><sender>x</sender></alert>',
        f'<other xmlns="{NS}"/>',
        "<alert><identifier>no namespace</identifier></alert>",
    ],
)
def test_what_is_not_a_cap_alert_is_refused(broken: str) -> None:
    with pytest.raises(ValidationError):
        cap.parse_alert(ET.fromstring(broken))


def test_wrong_vocabulary_and_times_are_refused() -> None:
    with pytest.raises(ValidationError, match="status"):
        cap.parse_alert(alert_xml(status="Real"))
    bad_time = alert_xml()
    sent = bad_time.find(f"{{{NS}}}sent")
    assert sent is not None
    sent.text = "2026-11-28 21:00"
    with pytest.raises(ValidationError, match="sent"):
        cap.parse_alert(bad_time)
    with pytest.raises(ValidationError, match="info"):
        cap.parse_alert(alert_xml(infos="<scope>Public</scope>"))


@dataclass
class _Announcement:
    id: str
    title: str
    body: str
    priority: str
    created_at: datetime
    expires_at: datetime | None
    drill: bool
    translations: dict[str, dict[str, str]] = field(default_factory=dict)


def test_announcement_exports_as_cap_and_reads_back() -> None:
    original = _Announcement(
        id="01JXYZ",
        title="Water bij het buurthuis",
        body="Van 10 tot 16 uur.",
        priority="warning",
        created_at=datetime(2026, 11, 28, 20, 0, tzinfo=UTC),
        expires_at=None,
        drill=True,
    )
    document = cap.to_cap_xml(original, sender="buurtbaken-1", language="nl-NL")
    assert b"-00:00" in document
    alert = cap.parse_alert(ET.fromstring(document))
    assert alert.status == "Exercise"
    assert alert.identifier == "01JXYZ"
    assert alert.infos[0].severity == "Moderate"
    draft = cap.to_announcement(alert, ["nl"])
    assert draft is not None
    assert (draft.title, draft.body, draft.priority, draft.drill) == (
        "Water bij het buurthuis",
        "Van 10 tot 16 uur.",
        "warning",
        True,
    )
