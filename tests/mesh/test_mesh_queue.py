"""The send queue without a radio: one row per packet, announcements in parts, `hub sim`."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import meshtastic.tcp_interface
import pytest
from sqlmodel import Session, col, select

from hub.domain.airtime import Priority
from hub.domain.text import utf8_len
from hub.models import MeshOutbound
from hub.runtime import Hub
from hub.schemas import AnnouncementCreate, NeedCreate
from hub.services import announcements, mesh_queue, residents

from ..conftest import free_port

pytestmark = pytest.mark.timeout(60)


def _rows(hub: Hub) -> list[MeshOutbound]:
    with hub.db.read() as session:
        return list(session.exec(select(MeshOutbound).order_by(col(MeshOutbound.pk))).all())


def test_send_priority_is_the_airtime_priority() -> None:
    assert mesh_queue.SendPriority is Priority
    assert [p.name for p in Priority] == ["SOS", "LIFE", "TASK", "REPLY", "ANNOUNCEMENT", "SUMMARY"]


def test_long_text_becomes_one_row_per_packet(hub: Hub) -> None:
    text = "Het water is weer drinkbaar maar " * 20
    rows = hub.db.writer.run_sync(
        lambda s: mesh_queue.enqueue_text(s, hub.ctx, "!1234abcd", text, mesh_queue.SendPriority.REPLY)
    )
    assert len(rows) == 4
    stored = _rows(hub)
    assert [r.text.split(" ", 1)[0] for r in stored] == ["1/4", "2/4", "3/4", "4/4"]
    assert all(utf8_len(r.text) <= 200 and r.want_ack and r.status == "queued" for r in stored)


def test_mesh_announcement_goes_to_the_channel_in_numbered_parts(hub: Hub) -> None:
    body = "Kook leidingwater drie minuten voor gebruik. Flessen water bij het buurthuis. " * 5

    def job(session: Session) -> None:
        announcements.create_announcement(
            session, hub.ctx, AnnouncementCreate(title="Kookadvies", body=body, send_mesh=True), actor="t"
        )
        announcements.create_announcement(
            session, hub.ctx, AnnouncementCreate(title="Alleen portaal", body="niet via LoRa"), actor="t"
        )

    hub.db.writer.run_sync(job)
    rows = _rows(hub)
    assert len(rows) == 3
    assert rows[0].text.startswith("1/3 Kookadvies: Kook")
    assert {(r.dest, r.priority, r.want_ack) for r in rows} == {
        (mesh_queue.BROADCAST, Priority.ANNOUNCEMENT, False)
    }


def test_only_life_threatening_needs_are_relayed(hub: Hub) -> None:
    def job(session: Session) -> None:
        for urgency in ("normal", "urgent", "life"):
            residents.create_need(
                session,
                hub.ctx,
                NeedCreate(
                    address="Kerkstraat 9", category="medicine", urgency=urgency, description="insuline"
                ),
            )

    hub.db.writer.run_sync(job)
    (row,) = _rows(hub)
    assert row.text == "SPOED (112 gebeld?) medicijnen Kerkstraat 9: insuline"
    assert row.priority == Priority.LIFE


def test_hub_sim_command_serves_the_library(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen(
        [sys.executable, "-m", "hub", "sim", "--port", str(port), "--handsets", "3", "--seed", "5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(4)]
        assert f"127.0.0.1:{port}" in lines[0]
        assert sum("handset !" in line for line in lines) == 3
        deadline = time.monotonic() + 10
        while True:
            try:
                iface = meshtastic.tcp_interface.TCPInterface("127.0.0.1", portNumber=port, timeout=10)
                break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        try:
            assert len(iface.nodes) == 4
        finally:
            iface.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
