"""A real PostgreSQL for tests: the server ``HUB_TEST_POSTGRES_URL`` names, else our own cluster.

``HUB_TEST_POSTGRES_URL`` is a SQLAlchemy URL of a database on a server where its user may
create databases (``postgresql+psycopg://postgres@127.0.0.1:5432/test``). Without it, a
session gets its own cluster: ``initdb`` in a temporary directory and ``pg_ctl`` on a free
port of 127.0.0.1 (Debian's ``postgresql``, which ``make setup`` installs when missing). As
root, the cluster runs as the ``postgres`` user (PostgreSQL refuses to run as root). Every
test gets a fresh database on it, dropped afterwards.

Tests that kill or restart PostgreSQL must use :class:`PostgresCluster` themselves, never the
server of ``HUB_TEST_POSTGRES_URL``.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def postgres_bin(name: str) -> str:
    """``initdb``/``pg_ctl`` of the newest PostgreSQL Debian installed (they are not on PATH)."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    if found:
        return found[-1]
    on_path = shutil.which(name)
    if on_path:
        return on_path
    raise RuntimeError(f"{name} not found: install Debian's postgresql (make setup does)")


class PostgresCluster:
    """Our own PostgreSQL server in a temporary directory; killable and restartable."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="hub-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self._as: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL will not run as root
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self._run(postgres_bin("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8")

    def _run(self, *command: str) -> None:
        subprocess.run(
            [*self._as, *command],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=self.root,
        )

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c max_connections=200"
        self._run(
            postgres_bin("pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.root / "log"),
            "-w",
            "start",
        )

    def pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def kill(self) -> None:
        """SIGKILL of the postmaster: what a power cut does."""
        subprocess.run(["kill", "-9", str(self.pid())], check=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (self.data / "postmaster.pid").exists():
            try:
                os.kill(self.pid(), 0)
            except (ProcessLookupError, ValueError, FileNotFoundError):
                break
            time.sleep(0.05)

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(postgres_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


class PostgresServer:
    """Where test databases are made: ``HUB_TEST_POSTGRES_URL``'s server or a cluster of ours."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")

    def create_database(self) -> str:
        name = f"hubtest_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        return make_url(self.url).set(database=name).render_as_string(hide_password=False)

    def drop_database(self, url: str) -> None:
        name = make_url(url).database
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def dispose(self) -> None:
        self.admin.dispose()


def postgres_server() -> Iterator[PostgresServer]:
    """The body of the session fixture ``postgres_server`` (tests/conftest.py)."""
    url = os.environ.get("HUB_TEST_POSTGRES_URL")
    cluster: PostgresCluster | None = None
    if not url:
        cluster = PostgresCluster()
        cluster.start()
        url = cluster.url
    server = PostgresServer(url)
    try:
        yield server
    finally:
        server.dispose()
        if cluster is not None:
            cluster.remove()
