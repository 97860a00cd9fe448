"""Upstream announcements with dates the hub cannot keep are refused (a dead letter), not applied."""

from __future__ import annotations

import json

import pytest

from hub.domain.cap import parse_time
from hub.errors import ValidationError
from hub.sync.envelope import AnnouncementMessage, parse_json


@pytest.mark.parametrize(
    "expires_at", ["2030-01-01T12:00:00", "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+01:00"]
)
def test_a_json_announcement_needs_a_date_with_a_zone_within_range(expires_at: str) -> None:
    payload = json.dumps({"id": "a1", "title": "Water", "body": "Kook water.", "expires_at": expires_at})
    with pytest.raises(ValidationError) as refused:
        parse_json(payload.encode(), AnnouncementMessage)
    assert refused.value.field == "expires_at"


def test_a_cap_date_beyond_the_year_9999_in_utc_is_refused() -> None:
    with pytest.raises(ValidationError, match="out of range"):
        parse_time("9999-12-31T23:59:59-23:59", "expires")
