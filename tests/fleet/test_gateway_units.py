"""The gateway's checks without a broker or devices: which deployments it accepts (and
keeps across a restart), which packages, and what a hostile device or broker cannot do
with names and sizes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from wasmote.device import protocol as p
from wasmote.fleet.credentials import BrokerAddress, Credentials
from wasmote.fleet.deployment import Deployment
from wasmote.fleet.device_link import INBOX_MAX, DeviceLink
from wasmote.fleet.gateway import Gateway, GatewayConfig
from wasmote.fleet.signed import sign
from wasmote.package.keys import public_key_bytes

FLEET_KEY = Ed25519PrivateKey.generate()
DATA = b"\0wmp package bytes"
SHA = hashlib.sha256(DATA).hexdigest()


def gateway(state: Path) -> tuple[Gateway, list[str]]:
    creds = Credentials(BrokerAddress("127.0.0.1", 1, True), "plant", "gw1", "pw")
    lines: list[str] = []
    gw = Gateway(GatewayConfig(creds, (public_key_bytes(FLEET_KEY),), state), lines.append)
    gw.mqtt.publish = lambda *a, **k: 0  # type: ignore[method-assign]  # no broker here
    gw.mqtt.subscribe_nowait = lambda topic: None  # type: ignore[method-assign]
    return gw, lines


def dep(seq: int, **kw: object) -> Deployment:
    base: dict[str, object] = dict(fleet="plant", module="app", seq=seq,
                                   rollout="0123456789abcdef", version="1.0.0", sha256=SHA,
                                   size=len(DATA))
    base.update(kw)
    return Deployment(**base)  # type: ignore[arg-type]


def signed(d: Deployment, key: Ed25519PrivateKey = FLEET_KEY) -> bytes:
    return sign(d.to_payload(), key).to_bytes()


TOPIC = "wasmote/plant/deploy/app"


def test_deployments_are_checked_kept_and_replays_refused_after_a_restart(
        tmp_path: Path) -> None:
    gw, log = gateway(tmp_path)
    gw._message(TOPIC, signed(dep(5)), True)
    assert [d.seq for d in gw.desired()] == [5] and gw.rejected == 0
    gw._message(TOPIC, signed(dep(5)), True)  # the same retained message again: no noise
    assert gw.rejected == 0
    for raw, why in ((signed(dep(4)), "replay"), (signed(dep(5, version="2.0.0")), "replay"),
                     (signed(dep(9), Ed25519PrivateKey.generate()), "does not trust"),
                     (dep(9).to_payload(), "not a signed message"),
                     (signed(dep(9, fleet="other")), "in fleet 'other'"),
                     (signed(dep(9, module="other")), "'other'")):
        before = gw.rejected
        gw._message(TOPIC, raw, True)
        assert gw.rejected == before + 1 and why in log[-1], (why, log[-1])
    assert [d.seq for d in gw.desired()] == [5]
    gw._message(TOPIC, b"", True)  # a cleared retained message changes nothing
    assert [d.seq for d in gw.desired()] == [5]
    # a restart: the accepted deployment comes from the state folder, replays stay refused
    gw2, log2 = gateway(tmp_path)
    assert [d.seq for d in gw2.desired()] == [5]
    gw2._message(TOPIC, signed(dep(3)), True)
    assert gw2.rejected == 1 and "replay" in log2[-1]
    gw2._message(TOPIC, signed(dep(6, version="1.0.1")), True)
    assert [d.version for d in gw2.desired()] == ["1.0.1"]
    # a tampered file in the state folder is not followed
    (tmp_path / "deployments" / "app.msg").write_bytes(signed(dep(7), Ed25519PrivateKey
                                                               .generate()))
    gw3, _ = gateway(tmp_path)
    assert gw3.desired() == []


def test_only_the_package_a_deployment_names_is_kept(tmp_path: Path) -> None:
    gw, log = gateway(tmp_path)
    gw._message(TOPIC, signed(dep(5)), True)
    gw._message(f"wasmote/plant/pkg/{SHA}", DATA + b"x", True)  # not what the hash says
    assert gw.state.package(SHA) is None and "does not match" in log[-1]
    other = hashlib.sha256(b"other").hexdigest()
    gw._message(f"wasmote/plant/pkg/{other}", b"other", True)  # nobody asked for it
    assert gw.state.package(other) is None
    gw.mqtt.unsubscribe_nowait = lambda topic: None  # type: ignore[method-assign]
    gw._message(f"wasmote/plant/pkg/{SHA}", DATA, True)
    assert gw.state.package(SHA) == DATA


@pytest.mark.parametrize("module,topic,data", [
    ("a/b", "sensors/t", b""), ("m+", "sensors/t", b""), ("m", "sensors/#", b""),
    ("m", "a//b", b""), ("m", "x" * 33, b""), ("m", "sensors/t", b"d" * 65),
])
def test_a_hostile_device_cannot_shape_a_topic(tmp_path: Path, module: str, topic: str,
                                               data: bytes) -> None:
    gw, _ = gateway(tmp_path)
    sent: list[str] = []
    gw.publish = lambda topic, payload: sent.append(topic)  # type: ignore[method-assign]
    link = DeviceLink(gw, "socket://x")
    link.device_id = "ab" * 16
    link._bridged(p.BridgeMessage(module, topic, data, 0))
    assert sent == [] and link.dropped_out == 1
    link._bridged(p.BridgeMessage("sensor", "sensors/t", b"21", 0))
    assert sent == [f"wasmote/plant/gw/gw1/dev/{'ab' * 16}/out/sensor/sensors/t"]


def test_messages_in_are_checked_and_bounded(tmp_path: Path) -> None:
    gw, _ = gateway(tmp_path)
    link = DeviceLink(gw, "socket://x")
    link.inbound("commands/x", b"d" * 65)
    link.inbound("a/+", b"")
    assert link.dropped_in == 2 and link._inbox.empty()
    for _ in range(INBOX_MAX + 5):
        link.inbound("commands/x", b"1")
    assert link._inbox.qsize() == INBOX_MAX and link.dropped_in == 7


def test_scan_serves_each_usb_serial_device_once(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """--scan: every port with a USB vendor id gets a link, once, as ports appear."""
    import threading
    from types import SimpleNamespace

    import serial.tools.list_ports

    ports = [SimpleNamespace(device="socket://127.0.0.1:9", vid=0x0483),
             SimpleNamespace(device="/dev/ttyS0", vid=None)]  # not USB: not served
    monkeypatch.setattr(serial.tools.list_ports, "comports", lambda: ports)
    gw, _ = gateway(tmp_path)
    real_wait = gw.stopping.wait
    scans = 0

    def wait(timeout: float | None = None) -> bool:
        """The scanner's sleep between scans: a port appears, then the gateway stops. (The
        links' own waits, on their threads, just wait.)"""
        nonlocal scans
        if threading.current_thread() is not threading.main_thread():
            return real_wait(min(timeout or 0.1, 0.1))
        scans += 1
        if scans == 1:
            ports.append(SimpleNamespace(device="socket://127.0.0.1:10", vid=0x1a86))
        else:
            gw.stopping.set()
        return gw.stopping.is_set()

    monkeypatch.setattr(gw.stopping, "wait", wait)
    gw._scan()
    assert sorted(gw._links) == ["socket://127.0.0.1:10", "socket://127.0.0.1:9"]


def test_a_retained_message_in_is_not_passed_again_at_every_reconnect(tmp_path: Path) -> None:
    """The broker hands a retained message to each new subscription, and the gateway
    subscribes again after every reconnect: an app's command published with retain went to
    the device each time. Retained messages in are refused (a notice says why); live ones
    pass."""
    gw, log = gateway(tmp_path)
    link = DeviceLink(gw, "socket://x")
    assert gw.claim("ab" * 16, link)
    topic = f"wasmote/plant/gw/gw1/dev/{'ab' * 16}/in/commands/valve"
    for _ in range(3):  # three reconnects
        gw._message(topic, b"open", True)
    assert link._inbox.empty() and gw.rejected == 3
    assert "retained message into a device" in log[-1]
    gw._message(topic, b"open", False)
    assert link._inbox.get_nowait() == ("commands/valve", b"open")
