"""The gateway (`wasmote gateway`, docs/fleet.md): connects its devices to the broker.

It follows the fleet's signed deployments (checking signature, fleet, module and replay
before anything else), keeps what it accepted and the packages in its state folder, runs
one DeviceLink per device (device_link.py: install, verify, report, bridge), publishes a
retained presence (its last will says offline), and publishes every device's state and
results again whenever the broker comes back. Devices come and go (each link retries),
the broker restarts (the link reconnects), the gateway restarts (it reads its state folder
and the devices themselves; nothing is installed twice).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import serial.tools.list_ports
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from wasmote.fleet.credentials import Credentials
from wasmote.fleet.deployment import Deployment
from wasmote.fleet.device_link import DeviceLink
from wasmote.fleet.errors import MessageRejected
from wasmote.fleet.gateway_state import GatewayState
from wasmote.fleet.mqtt import MqttLink
from wasmote.fleet.reports import GatewayPresence, Notice, Result
from wasmote.fleet.signed import SignedMessage, verify
from wasmote.fleet.topics import FleetTopics
from wasmote.terminal_text import escape_controls

LogFn = Callable[[str], None]
SCAN_S = 5.0


@dataclass(frozen=True)
class GatewayConfig:
    creds: Credentials                 # its broker account; the user name is its name
    fleet_keys: tuple[bytes, ...]      # public keys whose deployments it follows
    state_dir: Path
    devices: tuple[str, ...] = ()      # serial ports, socket:// URLs
    scan: bool = False                 # and every USB serial device that appears
    groups: tuple[str, ...] = ()       # groups its devices belong to
    device_key: Ed25519PrivateKey | None = None  # operate role on its devices
    baud: int = 115200
    poll_s: float = 5.0                # LIST this often when nothing happens
    # Through issue 18's relay (other wasmote commands on this machine share the line; a
    # process, ~17 MiB, per device), or the line held by the gateway itself.
    relay: bool = False
    verify_poll_s: float = 0.5         # ... and this often while a module is verified

    @property
    def name(self) -> str:
        return self.creds.user


class Gateway:
    def __init__(self, cfg: GatewayConfig, log: LogFn) -> None:
        self.cfg = cfg
        self.log = log
        self.topics = FleetTopics(cfg.creds.fleet)
        self.state = GatewayState(cfg.state_dir)
        self.stopping = threading.Event()
        self._lock = threading.Condition()
        self._desired: dict[str, tuple[Deployment, bytes]] = \
            self.state.deployments(cfg.fleet_keys)
        self.generation = 0                # bumped when the desired state changes
        self._retained: dict[str, bytes] = {}  # what to publish again after a reconnect
        self._claims: dict[str, DeviceLink] = {}  # device id -> its link
        self._links: dict[str, DeviceLink] = {}   # url -> its link
        self.rejected = 0
        me = cfg.name
        self.mqtt = MqttLink(cfg.creds, f"wasmote-gw-{me}",
                             will=(self.topics.online(me),
                                   GatewayPresence(False, 0, cfg.groups).to_bytes()),
                             on_message=self._message, on_connect=self._connected)

    # ---- life ---------------------------------------------------------------------------
    def start(self) -> None:
        for dep, _ in self._desired.values():
            self.log(f"holding {dep.module} {dep.version or dep.action} (rollout "
                     f"{dep.rollout}, seq {dep.seq}) from {self.cfg.state_dir}")
        self.mqtt.connect(wait=False)  # devices go on toward the state on disk meanwhile
        for url in self.cfg.devices:
            self._add_link(DeviceLink(self, url))
        if self.cfg.scan:
            threading.Thread(target=self._scan, name="scan", daemon=True).start()

    def _add_link(self, link: DeviceLink) -> None:
        with self._lock:
            if link.url in self._links:
                return
            self._links[link.url] = link
        link.start()

    def _scan(self) -> None:
        while not self.stopping.is_set():
            for p in serial.tools.list_ports.comports():
                if p.vid is not None:
                    self._add_link(DeviceLink(self, str(p.device)))
            self.stopping.wait(SCAN_S)

    def run(self) -> None:
        self.start()
        self.stopping.wait()
        self.close()

    def close(self) -> None:
        self.stopping.set()
        with self._lock:
            links = list(self._links.values())
            self._lock.notify_all()
        for link in links:
            link.join(timeout=10)
        if self.mqtt.connected:
            self.mqtt.publish(self.topics.online(self.cfg.name),
                              GatewayPresence(False, 0, self.cfg.groups).to_bytes(),
                              retain=True, wait=True, timeout=5)
        self.mqtt.close()

    # ---- the broker ---------------------------------------------------------------------
    def _connected(self) -> None:
        """On paho's thread, after every (re)connect: subscribe without waiting, publish the
        presence and everything retained again (the broker may have lost it)."""
        me = self.cfg.name
        self.log(f"connected to {self.mqtt.description}")
        self.mqtt.subscribe_nowait(self.topics.all_deployments)
        self.mqtt.subscribe_nowait(f"{self.topics.gateway(me)}/dev/+/in/#")
        for sha in self._missing_packages():
            self.mqtt.subscribe_nowait(self.topics.package(sha))
        with self._lock:
            devices = len(self._claims)
            retained = dict(self._retained)
        self.mqtt.publish(self.topics.online(me),
                          GatewayPresence(True, devices, self.cfg.groups).to_bytes(),
                          retain=True)
        for topic, payload in retained.items():
            self.mqtt.publish(topic, payload, retain=True)

    def _message(self, topic: str, payload: bytes, retained: bool) -> None:
        t = self.topics.parse(topic)
        if t.kind == "deploy":
            self._deployment(topic, t.module, payload)
        elif t.kind == "pkg":
            self._package(t.rest, payload)
        elif t.kind == "in" and t.gateway == self.cfg.name:
            if retained:
                # The broker hands a retained message to every new subscription: a command
                # kept so would reach the device again at each reconnect of the gateway.
                self._reject(topic, "a retained message into a device (messages in are "
                                    "passed once: publish them without retain)")
                return
            with self._lock:
                link = self._claims.get(t.device)
            if link is not None:
                link.inbound(t.rest, payload)

    def _deployment(self, topic: str, module: str, raw: bytes) -> None:
        with self._lock:
            held = self._desired.get(module)
        if held is not None and held[1] == raw:
            return  # the same message again (a reconnect sends retained messages anew)
        if not raw:
            return  # a retained message cleared: the desired state stays what it was
        try:
            dep = Deployment.from_payload(verify(SignedMessage.from_bytes(raw),
                                                 self.cfg.fleet_keys))
            if dep.fleet != self.cfg.creds.fleet or dep.module != module:
                raise MessageRejected(f"a deployment of {dep.module!r} in fleet "
                                      f"{dep.fleet!r} published on {topic}")
            if held is not None and dep.seq <= held[0].seq:
                raise MessageRejected(f"replay: seq {dep.seq} is not above seq "
                                      f"{held[0].seq} of the deployment held for {module}")
        except MessageRejected as e:
            self._reject(topic, str(e))
            return
        self.state.save_deployment(dep, raw)
        with self._lock:
            self._desired[module] = (dep, raw)
            self.generation += 1
            self._lock.notify_all()
        self.log(f"deployment accepted: {dep.module} {dep.version or dep.action} for "
                 f"{dep.describe_targets()} (rollout {dep.rollout}, seq {dep.seq}"
                 f"{', halted' if dep.halted else ', first stage' if dep.staged else ''})")
        if dep.action == "install" and self.state.package(dep.sha256) is None:
            self.mqtt.subscribe_nowait(self.topics.package(dep.sha256))

    def _reject(self, topic: str, why: str) -> None:
        self.rejected += 1
        self.log(f"ignored a message on {topic}: {escape_controls(why)}")
        self.mqtt.publish(self.topics.events(self.cfg.name),
                          Notice("rejected", why[:256], topic).to_bytes())

    def _missing_packages(self) -> list[str]:
        with self._lock:
            deps = [d for d, _ in self._desired.values()]
        return sorted({d.sha256 for d in deps if d.action == "install" and
                       self.state.package(d.sha256) is None})

    def _package(self, sha: str, data: bytes) -> None:
        if sha not in self._missing_packages():
            return
        with self._lock:
            sizes = {d.size for d, _ in self._desired.values() if d.sha256 == sha}
        if hashlib.sha256(data).hexdigest() != sha or len(data) not in sizes:
            self._reject(self.topics.package(sha), "package does not match its hash or size")
            return
        self.state.save_package(data)
        self.mqtt.unsubscribe_nowait(self.topics.package(sha))
        with self._lock:
            self.generation += 1
            self._lock.notify_all()

    # ---- for the device links -----------------------------------------------------------
    def desired(self) -> list[Deployment]:
        with self._lock:
            return [d for d, _ in self._desired.values()]

    def version_of(self, sha256: str) -> str:
        with self._lock:
            return next((d.version for d, _ in self._desired.values()
                         if d.sha256 == sha256), "")

    def wait_change(self, generation: int, timeout: float) -> None:
        with self._lock:
            if self.generation == generation and not self.stopping.is_set():
                self._lock.wait(timeout)

    def claim(self, device_id: str, link: DeviceLink) -> bool:
        """A device id belongs to one link: a second device claiming the same id (a copy,
        or one that lies) is not served."""
        with self._lock:
            owner = self._claims.get(device_id)
            if owner is not None and owner is not link:
                return False
            self._claims[device_id] = link
            return True

    def release(self, device_id: str, link: DeviceLink) -> None:
        with self._lock:
            if self._claims.get(device_id) is link:
                del self._claims[device_id]

    def publish_retained(self, topic: str, payload: bytes) -> None:
        with self._lock:
            if self._retained.get(topic) == payload:
                return
            self._retained[topic] = payload
        self.mqtt.publish(topic, payload, retain=True)

    def record(self, device_id: str, result: Result) -> None:
        self.state.save_result(device_id, result)
        self.publish_retained(self.topics.result(self.cfg.name, device_id, result.module),
                              result.to_bytes())

    def publish(self, topic: str, payload: bytes) -> None:
        self.mqtt.publish(topic, payload, qos=0)

    def notice(self, kind: str, detail: str) -> None:
        self.mqtt.publish(self.topics.events(self.cfg.name), Notice(kind, detail).to_bytes())
