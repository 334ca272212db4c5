"""One client's link to the broker (paho-mqtt, MQTT 5): TLS with the fleet CA, a password,
an optional last will, and a reconnect loop that restores subscriptions and lets the owner
publish its retained state again whenever the broker comes back (docs/fleet.md)."""

from __future__ import annotations

import secrets
import ssl
import threading
import time
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.reasoncodes import ReasonCode

from wasmote.fleet.credentials import Credentials
from wasmote.fleet.errors import BrokerError

MessageFn = Callable[[str, bytes, bool], None]  # topic, payload, retained
NOT_AUTHORIZED = 0x87


def _code(rc: ReasonCode | int) -> int:
    return rc.value if isinstance(rc, ReasonCode) else int(rc)


class MqttLink:
    def __init__(self, creds: Credentials, client_id: str, *,
                 will: tuple[str, bytes] | None = None,
                 on_message: MessageFn | None = None,
                 on_connect: Callable[[], None] | None = None) -> None:
        self.creds = creds
        self._on_message = on_message
        self._on_connect = on_connect
        # re-entrant: paho may call on_publish from the publishing thread itself
        self._lock = threading.Condition(threading.RLock())
        self._subs: list[str] = []
        # acknowledgements someone waits for (only those are kept)
        self._want: set[tuple[str, int]] = set()
        self._suback: dict[int, list[int]] = {}
        self._puback: dict[int, int] = {}
        self._connack: int | None = None
        self.connected = False
        self.connects = 0
        self.drops = 0
        c = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                        protocol=paho.MQTTv5)
        c.username_pw_set(creds.user, creds.password)
        if creds.broker.tls:
            c.tls_set(ca_certs=str(creds.ca) if creds.ca is not None else None,
                      cert_reqs=ssl.CERT_REQUIRED, tls_version=ssl.PROTOCOL_TLS_CLIENT)
        if will is not None:
            c.will_set(will[0], will[1], qos=1, retain=True)
        c.reconnect_delay_set(1, 5)
        c.on_connect = self._connected
        c.on_disconnect = self._disconnected
        c.on_subscribe = self._subscribed
        c.on_publish = self._published
        c.on_message = self._message
        self._c = c

    # ---- paho callbacks (its network thread) ------------------------------------------
    def _connected(self, c: paho.Client, _u: Any, _f: Any, rc: ReasonCode,
                   _p: Any) -> None:
        with self._lock:
            self._connack = _code(rc)
            self.connected = not rc.is_failure
            if self.connected:
                self.connects += 1
            subs = list(self._subs)
            self._lock.notify_all()
        if rc.is_failure:
            return
        for topic in subs:  # a fresh session: subscribe again
            c.subscribe(topic, qos=1)
        if self._on_connect is not None:
            self._on_connect()

    def _disconnected(self, _c: paho.Client, _u: Any, _f: Any, _rc: ReasonCode,
                      _p: Any) -> None:
        with self._lock:
            self.connected = False
            self.drops += 1
            self._lock.notify_all()

    def _subscribed(self, _c: paho.Client, _u: Any, mid: int, codes: list[ReasonCode],
                    _p: Any) -> None:
        with self._lock:
            if ("sub", mid) in self._want:
                self._suback[mid] = [_code(rc) for rc in codes]
                self._lock.notify_all()

    def _published(self, _c: paho.Client, _u: Any, mid: int, rc: ReasonCode,
                   _p: Any) -> None:
        with self._lock:
            if ("pub", mid) in self._want:
                self._puback[mid] = _code(rc)
                self._lock.notify_all()

    def _message(self, _c: paho.Client, _u: Any, m: paho.MQTTMessage) -> None:
        if self._on_message is not None:
            self._on_message(m.topic, bytes(m.payload), bool(m.retain))

    # ---- API --------------------------------------------------------------------------
    @property
    def description(self) -> str:
        return f"{self.creds.broker} as {self.creds.user}"

    def connect(self, timeout: float = 15.0, *, wait: bool = True) -> None:
        """Connects and keeps reconnecting in the background. With `wait`, fails with a
        clear error if the first attempt is refused or nothing answers within `timeout`."""
        b = self.creds.broker
        try:
            if wait:  # TCP and TLS now: a refusal or a bad certificate fails at once
                self._c.connect(b.host, b.port, keepalive=15)
            else:
                self._c.connect_async(b.host, b.port, keepalive=15)
            self._c.loop_start()
        except ssl.SSLError as e:
            raise BrokerError(f"TLS with {self.description} failed: {e.reason or e} (is the "
                              f"CA right?)") from None
        except (OSError, ValueError) as e:
            raise BrokerError(f"cannot connect to {self.description}: {e}") from None
        if not wait:
            return
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._connack is None:
                left = deadline - time.monotonic()
                if left <= 0 or self.drops:
                    self.close()
                    why = "closed the connection" if self.drops else \
                        f"did not answer within {timeout:g} s"
                    raise BrokerError(f"{self.description}: the broker {why} before "
                                      f"accepting it (TLS expected, or not a broker?)")
                self._lock.wait(min(left, 0.5))
            code = self._connack
        if code != 0:
            self.close()
            raise BrokerError(f"{self.description}: the broker refused the connection "
                              f"({ReasonCode(PacketTypes.CONNACK, identifier=code)})")

    def wait_connected(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._lock:
            while not self.connected:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(min(left, 0.5))
        return True

    def subscribe(self, topic: str, timeout: float = 10.0) -> int:
        """Subscribes (again after every reconnect); the SUBACK's reason code (0, 1 or 2
        granted; 0x87 not authorized)."""
        with self._lock:
            if topic not in self._subs:
                self._subs.append(topic)
            rc, sub_mid = self._c.subscribe(topic, qos=1)
            mid = sub_mid if sub_mid is not None else -1
            self._want.add(("sub", mid))
        if rc != paho.MQTT_ERR_SUCCESS:
            raise BrokerError(f"subscribe to {topic} failed: not connected to "
                              f"{self.description}")
        codes = self._wait("sub", self._suback, mid, timeout, f"SUBACK for {topic}")
        if codes[0] >= 0x80:
            with self._lock:
                self._subs.remove(topic)
        return int(codes[0])

    def subscribe_nowait(self, topic: str) -> None:
        """Subscribes (again after every reconnect) without waiting: for paho's own thread,
        which must not wait for an acknowledgement it would have to read itself."""
        with self._lock:
            if topic in self._subs:
                return
            self._subs.append(topic)
        self._c.subscribe(topic, qos=1)

    def unsubscribe_nowait(self, topic: str) -> None:
        with self._lock:
            if topic not in self._subs:
                return
            self._subs.remove(topic)
        self._c.unsubscribe(topic)

    def subscribe_checked(self, topic: str, timeout: float = 10.0) -> None:
        code = self.subscribe(topic, timeout)
        if code >= 0x80:
            raise BrokerError(f"the broker refused the subscription to {topic} for "
                              f"{self.creds.user} (reason 0x{code:02x})")

    def publish(self, topic: str, payload: bytes, *, retain: bool = False, qos: int = 1,
                wait: bool = False, timeout: float = 30.0) -> int:
        """0, or the broker's PUBACK reason code (0x87: not authorized) when `wait`. Without
        `wait` a message to a broker that is away is dropped (retained state is published
        again on reconnect)."""
        if not wait or qos == 0:
            self._c.publish(topic, payload, qos=qos, retain=retain)
            return 0
        with self._lock:
            info = self._c.publish(topic, payload, qos=qos, retain=retain)
            self._want.add(("pub", info.mid))
        if info.rc != paho.MQTT_ERR_SUCCESS:
            with self._lock:
                self._want.discard(("pub", info.mid))
            raise BrokerError(f"publish to {topic} failed: not connected to "
                              f"{self.description}")
        return int(self._wait("pub", self._puback, info.mid, timeout, f"PUBACK for {topic}"))

    def publish_checked(self, topic: str, payload: bytes, *, retain: bool = False,
                        timeout: float = 30.0) -> None:
        code = self.publish(topic, payload, retain=retain, wait=True, timeout=timeout)
        if code >= 0x80:
            raise BrokerError(f"the broker refused {self.creds.user}'s publication to {topic} "
                              f"(reason 0x{code:02x})")

    def _wait(self, kind: str, table: dict[int, Any], mid: int, timeout: float,
              what: str) -> Any:
        deadline = time.monotonic() + timeout
        with self._lock:
            try:
                while mid not in table:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise BrokerError(f"no {what} from {self.description} within "
                                          f"{timeout:g} s")
                    self._lock.wait(min(left, 0.5))
                return table.pop(mid)
            finally:
                self._want.discard((kind, mid))

    def close(self) -> None:
        try:
            self._c.disconnect()
        finally:
            self._c.loop_stop()


def client_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"
