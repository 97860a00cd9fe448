"""Sync over TLS with a user and password, as an operator sets it up; a wrong password is survived."""

from __future__ import annotations

import getpass
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.runtime import Hub
from hub.sync.upstream import UpstreamConsumer
from tests.conftest import free_port
from tests.sync.conftest import backlog, hub_settings, make_checkins, sync_hub, wait_for


class TlsBroker:
    """Mosquitto with a TLS listener (our own CA) and a password file; no anonymous clients."""

    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.root = root
        self.port = free_port()
        self.ca = root / "ca.pem"
        openssl = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
        subprocess.run(
            [*openssl, "-keyout", root / "ca.key", "-out", self.ca, "-subj", "/CN=Test regio CA"],
            check=True, capture_output=True,
        )  # fmt: skip
        subprocess.run(
            ["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", root / "server.key",
             "-out", root / "server.csr", "-subj", "/CN=127.0.0.1"],
            check=True, capture_output=True,
        )  # fmt: skip
        (root / "san.ext").write_text("subjectAltName = IP:127.0.0.1\n")
        subprocess.run(
            ["openssl", "x509", "-req", "-in", root / "server.csr", "-CA", self.ca, "-CAkey", root / "ca.key",
             "-CAcreateserial", "-out", root / "server.pem", "-days", "2", "-extfile", root / "san.ext"],
            check=True, capture_output=True,
        )  # fmt: skip
        passwords = root / "passwords"
        passwords.touch(mode=0o600)
        for user, password in (("hub-kerkbuurt", "geheim-1"), ("regio", "geheim-2")):
            subprocess.run(["mosquitto_passwd", "-b", passwords, user, password], check=True)
        config = root / "mosquitto.conf"
        config.write_text(
            f"listener {self.port} 127.0.0.1\n"
            f"cafile {self.ca}\ncertfile {root / 'server.pem'}\nkeyfile {root / 'server.key'}\n"
            f"allow_anonymous false\npassword_file {passwords}\nuser {getpass.getuser()}\n"
            f"persistence true\npersistence_location {root}/\nautosave_on_changes true\n"
            f"max_queued_messages 0\nlog_dest file {root / 'mosquitto.log'}\n"
        )
        self.process = subprocess.Popen(["/usr/sbin/mosquitto", "-c", str(config)])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("mosquitto (TLS) did not start")

    def url(self, user: str, password: str) -> str:
        return f"mqtts://{user}:{password}@127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def tls_broker(tmp_path: Path) -> Iterator[TlsBroker]:
    broker = TlsBroker(tmp_path / "tls-broker")
    yield broker
    broker.stop()


def test_events_travel_over_tls_with_a_password(tmp_path: Path, tls_broker: TlsBroker) -> None:
    consumer = UpstreamConsumer(
        tls_broker.url("regio", "geheim-2"),
        db_url=f"sqlite:///{tmp_path / 'upstream.sqlite3'}",
        hubs=["kerkbuurt"],
        client_id="test-upstream",
        keepalive=2,
        max_backoff=1.0,
        overview_every=0,
        ca_file=str(tls_broker.ca),
    )
    settings = hub_settings(
        tmp_path, "kerkbuurt", tls_broker.url("hub-kerkbuurt", "geheim-1"), mqtt_ca_file=tls_broker.ca
    )
    hub = sync_hub(settings)
    hub.start()
    consumer.start()
    try:
        make_checkins(hub, 50)
        wait_for(lambda: backlog(hub)["unconfirmed"] == 0, 60, "every event confirmed over TLS")
        assert consumer.stored_seqs("kerkbuurt") == list(range(1, 51))
        assert hub.links["sync"].status()["broker"] == f"mqtts://127.0.0.1:{tls_broker.port}"
    finally:
        consumer.stop()
        hub.stop()


def test_a_wrong_password_is_reported_and_changes_nothing(tmp_path: Path, tls_broker: TlsBroker) -> None:
    settings = hub_settings(
        tmp_path, "kerkbuurt", tls_broker.url("hub-kerkbuurt", "fout"), mqtt_ca_file=tls_broker.ca
    )
    hub: Hub = sync_hub(settings)
    hub.start()
    try:
        make_checkins(hub, 5)  # the hub goes on taking check-ins
        wait_for(lambda: hub.links["sync"].status()["last_error"], 20, "the refusal to be reported")
        status = hub.links["sync"].status()
        assert status["connected"] is False
        assert "fout" not in str(status)  # the password never shows
        assert backlog(hub) == {"unsent": 5, "unconfirmed": 5}
    finally:
        hub.stop()
