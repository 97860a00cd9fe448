"""Transports of the simulated radio: a TCP listener (like port 4403) and a pty (like USB).

Each connection is a ``Session``; the simulator (a ``SessionHandler``) gets its bytes
and writes frames back through it. The transports know nothing about protobufs.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import select
import socket
import threading
import time
import tty
from abc import ABC, abstractmethod
from typing import Protocol

log = logging.getLogger(__name__)


class Session(ABC):
    """One API client connection (TCP or pseudo-terminal)."""

    kind = "session"

    def __init__(self, name: str) -> None:
        self.name = name
        self.handshaken = False
        self.closed = False
        self._write_lock = threading.Lock()

    @abstractmethod
    def send(self, data: bytes) -> bool:
        """Write ``data``; False (and the session closed) when the peer is gone."""

    def close(self) -> None:
        self.closed = True


class SessionHandler(Protocol):
    def session_opened(self, session: Session) -> bool: ...
    def session_bytes(self, session: Session, data: bytes) -> None: ...
    def session_closed(self, session: Session) -> None: ...


class TcpSession(Session):
    kind = "tcp"

    def __init__(self, sock: socket.socket, name: str) -> None:
        super().__init__(name)
        self.sock = sock

    def send(self, data: bytes) -> bool:
        if self.closed:
            return False
        try:
            with self._write_lock:
                self.sock.sendall(data)
            return True
        except OSError:
            self.close()
            return False

    def close(self) -> None:
        if self.closed:
            return
        super().close()
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self.sock.close()


class TcpServer:
    """Accepts API clients; each gets a reader thread."""

    def __init__(self, handler: SessionHandler, host: str, port: int) -> None:
        self._handler = handler
        self._listener: socket.socket | None = self._listen(host, port)
        self.host, self.port = self._listener.getsockname()[:2]
        self._refuse_until = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, name=f"sim-tcp-{self.port}", daemon=True)
        self._readers: list[threading.Thread] = []

    def start(self) -> int:
        self._thread.start()
        return int(self.port)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.close()
        for reader in self._readers:
            reader.join(timeout=2)

    def refuse_for(self, seconds: float) -> None:
        """Stop listening for ``seconds``: connection attempts are refused."""
        self._refuse_until = time.monotonic() + seconds

    @staticmethod
    def _listen(host: str, port: int) -> socket.socket:
        listener = socket.create_server((host, port))  # SO_REUSEADDR on POSIX
        listener.settimeout(0.2)
        return listener

    def _accept_loop(self) -> None:
        counter = 0
        while not self._stop.is_set():
            if time.monotonic() < self._refuse_until:
                if self._listener is not None:
                    self._listener.close()
                    self._listener = None
                time.sleep(0.05)
                continue
            if self._listener is None:
                try:
                    self._listener = self._listen(str(self.host), int(self.port))
                except OSError:
                    log.warning("could not listen again on port %s", self.port)
                    time.sleep(0.5)
                    continue
            try:
                sock, peer = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            counter += 1
            sock.settimeout(0.2)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            session = TcpSession(sock, f"tcp#{counter} {peer[0]}:{peer[1]}")
            if not self._handler.session_opened(session):
                session.close()
                continue
            reader = threading.Thread(target=self._read_loop, args=(session,), name=session.name, daemon=True)
            self._readers = [r for r in self._readers if r.is_alive()] + [reader]
            reader.start()

    def _read_loop(self, session: TcpSession) -> None:
        try:
            while not self._stop.is_set() and not session.closed:
                try:
                    data = session.sock.recv(4096)
                except TimeoutError:
                    continue
                except OSError:
                    break
                if not data:
                    break
                self._handler.session_bytes(session, data)
        finally:
            session.close()
            self._handler.session_closed(session)


class PtySession(Session):
    """The radio's end of a pseudo-terminal; the client opens ``path``."""

    kind = "pty"

    def __init__(self) -> None:
        super().__init__("pty")
        self.master, self._slave = os.openpty()
        tty.setraw(self._slave)
        os.set_blocking(self.master, False)
        self.path = os.ttyname(self._slave)

    def send(self, data: bytes) -> bool:
        if self.closed:
            return False
        view = memoryview(data)
        deadline = time.monotonic() + 1.0
        with self._write_lock:
            while view:
                try:
                    written = os.write(self.master, view)
                    view = view[written:]
                except BlockingIOError:
                    # nobody reads the other end: drop rather than block the radio
                    if time.monotonic() > deadline:
                        return False
                    select.select([], [self.master], [], 0.05)
                except OSError:
                    return False
        return True

    def close(self) -> None:
        if self.closed:
            return
        super().close()
        for fd in (self.master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)

    def discard_unread_output(self) -> None:
        """Forget frames a previous client left unread (a new client starts clean)."""
        import termios

        with contextlib.suppress(OSError, termios.error):
            termios.tcflush(self._slave, termios.TCIFLUSH)


class PtyTransport:
    """Reads the pty master and feeds the handler; the session lives as long as this."""

    def __init__(self, handler: SessionHandler) -> None:
        self._handler = handler
        self.session = PtySession()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read_loop, name="sim-pty", daemon=True)

    @property
    def path(self) -> str:
        return self.session.path

    def start(self) -> str:
        self._handler.session_opened(self.session)
        self._thread.start()
        return self.path

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.session.close()

    def _read_loop(self) -> None:
        session = self.session
        while not self._stop.is_set() and not session.closed:
            try:
                ready, _, _ = select.select([session.master], [], [], 0.2)
            except (OSError, ValueError):
                break
            if not ready:
                continue
            try:
                data = os.read(session.master, 4096)
            except BlockingIOError:
                continue
            except OSError as exc:
                if exc.errno == errno.EIO:  # no client has the slave open
                    time.sleep(0.05)
                    continue
                break
            if data:
                self._handler.session_bytes(session, data)
        self._handler.session_closed(session)
