"""The broker adapter: paho-mqtt 2.x behind a small protocol of ours.

paho's callbacks run on its network thread. Here they do one thing: turn what happened into
a typed :data:`BrokerEvent` and hand it to ``sink`` (a thread-safe queue's ``put``). No domain
logic, no database, no paho type beyond this module.

Each connection attempt builds a fresh paho client, so messages paho kept in memory for a dead
connection die with it; the outbox, not paho, is what is resent. The MQTT session on the
broker survives: clean start off *and* a session expiry interval (MQTT 5; without the
interval the session ends at disconnect). A client with session expiry 0 wants no session, so
it connects with clean start: nothing left of an earlier one (its subscriptions, its queue)
comes back. Inbound messages are acknowledged by the caller
(``ack``) once they are durably applied, not when the callback returns.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from hub.errors import ConfigError, LinkError

log = logging.getLogger(__name__)

SESSION_EXPIRY = 7 * 24 * 3600  # the broker keeps our session and queue for a week offline


@dataclass(frozen=True)
class Connected:
    session_present: bool


@dataclass(frozen=True)
class ConnectionLost:
    reason: str


@dataclass(frozen=True)
class Published:
    """The broker acknowledged (PUBACK) message ``mid``; ``ok`` is false when it refused it."""

    mid: int
    ok: bool


@dataclass(frozen=True)
class Received:
    topic: str
    payload: bytes
    mid: int
    qos: int


BrokerEvent = Connected | ConnectionLost | Published | Received
Sink = Callable[[BrokerEvent], None]


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None  # TLS: trust this CA instead of the system's (a region's own CA)

    @property
    def display(self) -> str:
        """Without credentials, for status pages and logs."""
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"


def parse_broker_url(url: str, ca_file: str | None = None) -> BrokerAddress:
    """``mqtt://host:1883`` or ``mqtts://user:pass@host:8883``."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise ConfigError(f"HUB_MQTT_URL: {url!r} is not mqtt://host:port or mqtts://user:pass@host:port")
    tls = parts.scheme == "mqtts"
    return BrokerAddress(
        host=parts.hostname,
        port=parts.port or (8883 if tls else 1883),
        tls=tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        ca_file=ca_file,
    )


@dataclass(frozen=True)
class Will:
    topic: str
    payload: bytes


class BrokerClient(Protocol):
    """One connection attempt's worth of broker: what the links need, nothing more."""

    def connect(self) -> None:
        """Start connecting; the outcome arrives as ``Connected`` or ``ConnectionLost``."""

    def close(self, *, with_will: bool = False) -> None:
        """Disconnect and stop; ``with_will`` asks the broker to publish the will."""

    def publish(self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False) -> int:
        """Send; returns the message id that a later ``Published`` names."""

    def subscribe(self, topics: Sequence[str]) -> None: ...

    def ack(self, mid: int, qos: int) -> None:
        """Acknowledge an inbound message once it is durably handled."""


ClientFactory = Callable[[Sink], BrokerClient]


class PahoClient:
    """:class:`BrokerClient` on paho-mqtt 2.x, MQTT 5."""

    def __init__(
        self,
        address: BrokerAddress,
        client_id: str,
        sink: Sink,
        *,
        keepalive: int = 30,
        will: Will | None = None,
        max_inflight: int = 500,
        receive_maximum: int | None = None,
        session_expiry: int = SESSION_EXPIRY,
    ) -> None:
        self._address = address
        self._sink = sink
        self._keepalive = keepalive
        self._session_expiry = session_expiry
        self._receive_maximum = receive_maximum
        client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=paho.MQTTv5,
            reconnect_on_failure=False,
            manual_ack=True,
        )
        client.max_inflight_messages_set(max_inflight)
        client.max_queued_messages_set(0)
        if address.username:
            client.username_pw_set(address.username, address.password)
        if address.tls:
            client.tls_set(ca_certs=address.ca_file, cert_reqs=ssl.CERT_REQUIRED)
        if will is not None:
            client.will_set(will.topic, will.payload, qos=1, retain=True)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_message = self._on_message
        self._client = client

    # --- the protocol ---

    def connect(self) -> None:
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        properties.SessionExpiryInterval = self._session_expiry
        if self._receive_maximum:
            properties.ReceiveMaximum = self._receive_maximum
        try:
            self._client.connect(
                self._address.host,
                self._address.port,
                keepalive=self._keepalive,
                clean_start=self._session_expiry == 0,
                properties=properties,
            )
        except (OSError, ValueError) as exc:
            self._sink(ConnectionLost(f"cannot reach {self._address.display}: {exc}"))
            return
        self._client.loop_start()

    def close(self, *, with_will: bool = False) -> None:
        reason = ReasonCode(
            PacketTypes.DISCONNECT, "Disconnect with will message" if with_will else "Success"
        )
        try:
            self._client.disconnect(reasoncode=reason)
        except (OSError, ValueError):
            log.debug("disconnect failed", exc_info=True)
        self._client.loop_stop()

    def publish(self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False) -> int:
        info = self._client.publish(topic, payload, qos=qos, retain=retain)
        if info.rc not in (paho.MQTT_ERR_SUCCESS, paho.MQTT_ERR_NO_CONN, paho.MQTT_ERR_QUEUE_SIZE):
            raise LinkError(f"publish to {topic} failed: {paho.error_string(info.rc)}")
        return int(info.mid)

    def subscribe(self, topics: Sequence[str]) -> None:
        if not topics:
            return
        result, _mid = self._client.subscribe([(topic, SubscribeOptions(qos=1)) for topic in topics])
        if result != paho.MQTT_ERR_SUCCESS:
            raise LinkError(f"subscribe failed: {paho.error_string(result)}")

    def ack(self, mid: int, qos: int) -> None:
        if qos > 0:
            self._client.ack(mid, qos)

    # --- paho's callbacks: hand over a typed event and return ---

    def _on_connect(self, _c: Any, _u: Any, flags: Any, reason: ReasonCode, _p: Any) -> None:
        if reason.is_failure:
            self._sink(ConnectionLost(f"broker refused the connection: {reason}"))
        else:
            self._sink(Connected(session_present=bool(flags.session_present)))

    def _on_disconnect(self, _c: Any, _u: Any, _flags: Any, reason: ReasonCode, _p: Any) -> None:
        self._sink(ConnectionLost(f"disconnected: {reason}"))

    def _on_publish(self, _c: Any, _u: Any, mid: int, reason: ReasonCode, _p: Any) -> None:
        self._sink(Published(mid=mid, ok=not reason.is_failure))

    def _on_message(self, _c: Any, _u: Any, message: paho.MQTTMessage) -> None:
        self._sink(Received(message.topic, bytes(message.payload), int(message.mid), int(message.qos)))
