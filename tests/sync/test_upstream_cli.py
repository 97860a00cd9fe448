"""``hub upstream`` as a municipality runs it: a subprocess, here storing into PostgreSQL."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from hub.sync.upstream import events_table
from tests.sync.conftest import MosquittoBroker, backlog, fill_outbox, hub_settings, sync_hub, wait_for


def test_upstream_command_stores_confirms_and_prints_an_overview(
    tmp_path: Path, broker: MosquittoBroker, postgres_url: str
) -> None:
    broker.start()
    command = [
        sys.executable,
        "-m",
        "hub",
        "upstream",
        "--mqtt",
        broker.url,
        "--db",
        postgres_url,
        "--hubs",
        "hub-a,hub-b",
        "--overview-every",
        "1",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    hub = sync_hub(hub_settings(tmp_path, "hub-a", broker.url))
    hub.start()
    try:
        fill_outbox(hub, 500)
        hub.links["sync"].wake()  # type: ignore[attr-defined]
        wait_for(lambda: backlog(hub)["unconfirmed"] == 0, 60, "confirmed by the upstream process")
    finally:
        hub.stop()
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=30)[0].decode()
    assert process.returncode == 0, output
    assert "region overview" in output
    assert "hub-a: 500 events, confirmed up to 500" in output
    engine = sa.create_engine(postgres_url)
    with engine.connect() as conn:
        seqs = conn.execute(sa.select(events_table.c.seq).order_by(events_table.c.seq)).scalars().all()
    engine.dispose()
    assert seqs == list(range(1, 501))
