"""Every platform's captive-portal probe, with its real Host header, is sent to the portal."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from hub.config import load_settings
from tests.conftest import LiveServer

# (platform, host the phone asks, path, what a free internet would answer)
PROBES = [
    ("Android", "connectivitycheck.gstatic.com", "/generate_204", 204),
    ("Android", "clients3.google.com", "/generate_204", 204),
    ("Android (old)", "www.google.com", "/gen_204", 204),
    ("Apple", "captive.apple.com", "/hotspot-detect.html", "Success"),
    ("Apple", "www.apple.com", "/library/test/success.html", "Success"),
    ("Windows", "www.msftconnecttest.com", "/connecttest.txt", "Microsoft Connect Test"),
    ("Windows", "www.msftconnecttest.com", "/redirect", None),
    ("Windows (old)", "www.msftncsi.com", "/ncsi.txt", "Microsoft NCSI"),
    ("Firefox", "detectportal.firefox.com", "/canonical.html", "success"),
    ("Firefox", "detectportal.firefox.com", "/success.txt", "success"),
]


@pytest.mark.parametrize(("platform", "host", "path", "free_answer"), PROBES)
def test_probe_opens_the_portal(
    client: httpx.Client, platform: str, host: str, path: str, free_answer: object
) -> None:
    response = client.get(path, headers={"Host": host})
    # Any answer but the expected one makes the phone show its login sheet; ours is the portal.
    assert response.status_code == 302, platform
    assert response.headers["location"].startswith("http://")
    assert response.headers["cache-control"] == "no-store"
    assert response.status_code != free_answer
    assert not (isinstance(free_answer, str) and free_answer in response.text)
    assert client.get("/", headers={"Host": host}).status_code == 200  # DNS sends every name to the hub


def test_rfc8908_api_names_the_portal(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, portal_url="http://10.42.0.1/", rate_limit=0)
    with LiveServer(settings) as live, live.client() as http:
        response = http.get("/captive-portal/api")
        assert response.headers["content-type"] == "application/captive+json"
        assert response.json() == {"captive": True, "user-portal-url": "http://10.42.0.1/"}
        probe = http.get("/hotspot-detect.html", headers={"Host": "captive.apple.com"})
        assert probe.headers["location"] == "http://10.42.0.1/"


def test_captive_mode_off_answers_no_probe(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, captive=False, rate_limit=0)
    with LiveServer(settings) as live, live.client() as http:
        assert http.get("/generate_204", headers={"Host": "connectivitycheck.gstatic.com"}).status_code == 404
        assert http.get("/captive-portal/api").json()["captive"] is False
