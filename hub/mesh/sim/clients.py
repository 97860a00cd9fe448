"""``ApiClients``: the simulated radio's API clients, as its firmware keeps them.

Every TCP connection or pty is a ``Session`` (``server.py``). Here each gets a frame
decoder; a new TCP client kicks the old one (the firmware serves one at a time); the
session that completes the handshake becomes the active client. FromRadio messages are
numbered and framed here, and packets for the client wait in a backlog (the last
``BACKLOG_PACKETS``) while no client is connected.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from typing import Any

from hub.mesh.sim.framing import MAX_FRAME, FrameDecoder, encode_frame
from hub.mesh.sim.server import PtySession, Session

log = logging.getLogger(__name__)

BACKLOG_PACKETS = 30


class ApiClients:
    """The sessions of one simulated radio; thread-safe."""

    def __init__(self, stats: dict[str, int]) -> None:
        self._stats = stats  # the simulator's counters: "connections", "handshakes"
        self._lock = threading.RLock()
        self._decoders: dict[int, FrameDecoder] = {}
        self._sessions: list[Session] = []
        self._active: Session | None = None
        self._backlog: deque[Any] = deque(maxlen=BACKLOG_PACKETS)
        self._from_radio_id = 0
        self._client_ready = threading.Condition(self._lock)

    @property
    def active(self) -> Session | None:
        with self._lock:
            return self._active

    @property
    def connected(self) -> bool:
        with self._lock:
            return self._active is not None and self._active.handshaken

    def wait_for_client(self, timeout: float) -> bool:
        with self._client_ready:
            return self._client_ready.wait_for(lambda: self.connected, timeout)

    def add(self, session: Session) -> None:
        with self._lock:
            self._stats["connections"] += 1
            self._decoders[id(session)] = FrameDecoder()
            if session.kind == "tcp":
                # the firmware serves one TCP client at a time: a new one kicks the old
                for old in [s for s in self._sessions if s.kind == "tcp"]:
                    old.close()
            self._sessions.append(session)

    def remove(self, session: Session) -> None:
        with self._lock:
            self._decoders.pop(id(session), None)
            if session in self._sessions:
                self._sessions.remove(session)
            if self._active is session:
                self._active = None

    def frames(self, session: Session, data: bytes) -> list[bytes]:
        """The complete ToRadio frames ``data`` finishes (none for an unknown session)."""
        with self._lock:
            decoder = self._decoders.get(id(session))
        return [] if decoder is None else decoder.feed(data)

    def close_all(self) -> None:
        with self._lock:
            sessions = list(self._sessions)
        for session in sessions:
            session.close()

    def drop_active(self) -> None:
        """Close the active client's connection."""
        with self._lock:
            active = self._active
            self._active = None
        if active is not None:
            active.close()

    def handshake(self, session: Session, frames: list[Any]) -> None:
        """Send the handshake's ``frames``; the session then becomes the active client."""
        if isinstance(session, PtySession):
            session.discard_unread_output()
        session.handshaken = False
        for fr in frames:
            if not self.send(session, fr):
                return
        with self._lock:
            self._stats["handshakes"] += 1
            session.handshaken = True
            self._active = session
            backlog = list(self._backlog)
            self._backlog.clear()
            self._client_ready.notify_all()
        for fr in backlog:
            self.send(session, fr)

    def deliver(self, fr: Any) -> None:
        """Send a packet to the client, or keep it (up to 30) until one handshakes."""
        with self._lock:
            active = self._active
            if active is None or not active.handshaken or active.closed:
                self._backlog.append(fr)
                return
        self.send(active, fr)

    def send(self, session: Session, fr: Any) -> bool:
        with self._lock:
            self._from_radio_id += 1
            fr.id = self._from_radio_id
        data = fr.SerializeToString()
        if len(data) > MAX_FRAME:
            log.error("dropping an oversized FromRadio (%d bytes)", len(data))
            return False
        return session.send(encode_frame(data))
