"""A handset's text cannot forge log lines: line breaks and control characters are escaped."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from sqlmodel import select

from hub.config import Settings
from hub.logs import FORMAT, OneLineFormatter, one_line
from hub.mesh.sim import Simulator
from hub.models import MeshMessage

from .hubmesh import MeshHub, wait_until

pytestmark = pytest.mark.timeout(90)
FORGED = "water op\n2026-12-03 11:00:00,000 INFO hub.web.admin: coordinator coord logged in\r"


@pytest.fixture
def mesh(settings: Settings) -> Iterator[MeshHub]:
    radio = Simulator(handsets=2, preset="MEDIUM_FAST", seed=11)
    port = radio.start_tcp("127.0.0.1", 0)
    hub = MeshHub(settings, radio, f"tcp://127.0.0.1:{port}")
    try:
        yield hub.start()
    finally:
        hub.stop()
        radio.stop()


def test_a_handset_text_with_line_breaks_is_logged_on_one_line(
    mesh: MeshHub, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="hub.mesh.link")
    mesh.sim.send_text(mesh.handset(0), FORGED)
    stored = wait_until(lambda: mesh.read(lambda s: s.exec(select(MeshMessage)).first()), 10, "stored")
    assert "\n2026" in stored.text  # the message itself is kept as sent, for coordinators

    def logged() -> list[logging.LogRecord]:
        return [r for r in caplog.records if r.name == "hub.mesh.link" and "water op" in r.getMessage()]

    records = wait_until(logged, 10, "the text logged")
    assert len(records) == 1
    message = records[0].getMessage()
    assert "\n" not in message and "\r" not in message
    assert "water op\\n2026-12-03 11:00:00,000 INFO" in message
    line = logging.Formatter(FORMAT).format(records[0])
    assert len(line.splitlines()) == 1


def test_the_hubs_log_handler_writes_one_line_per_message() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(OneLineFormatter(FORMAT))
    logger = logging.getLogger("tests.forged")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("sync: dead letter from %s: %s", "buurtbaken/v1/inbox", FORGED + "\x1b[2J\u2028x")
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("failed: %s", "a\nb")
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    lines = stream.getvalue().splitlines()
    assert "dead letter" in lines[0] and "\\n2026" in lines[0] and "\\x1b[2J\\u2028x" in lines[0]
    assert not [line for line in lines if line.startswith("2026-12-03 11:00:00,000")]
    assert lines[1].endswith("failed: a\\nb")
    assert lines[2] == "Traceback (most recent call last):"  # a traceback keeps its lines
    assert lines[-1] == "ValueError: boom"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("OK", "OK"),
        ("Kerkstraat 5 — mevr. J", "Kerkstraat 5 — mevr. J"),
        ("a\nb\rc\td", "a\\nb\\rc\\td"),
        ("\x85\u2028\u2029", "\\x85\\u2028\\u2029"),
        ("\x00\x7f", "\\x00\\x7f"),
    ],
)
def test_one_line_escapes_control_characters_only(text: str, expected: str) -> None:
    assert one_line(text) == expected
