"""The bridge's device end (docs/fleet.md, docs/protocol.md): a module's publications leave
the device only under its bridge:out grant, messages from the network reach only modules
whose bridge:in grant covers them, at most WM_BRIDGE_OUT_PER_S a second leave the device,
and on a provisioned device both directions need the operator. Posix device (ASan)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.fleet.modules import package
from tests.protocol.conftest import posix_device
from wasmote.device import protocol as p
from wasmote.device.client import DeviceClient
from wasmote.device.errors import DeviceRefused
from wasmote.device.transport import SerialTransport
from wasmote.package.keys import public_key_bytes


def collect(c: DeviceClient, until: Callable[[list[p.BridgeMessage]], bool],
            got: list[p.BridgeMessage] | None = None,
            timeout: float = 20.0) -> list[p.BridgeMessage]:
    """Bridged messages (those already in `got`, too) until `until(messages)` is true (a
    generous upper bound on time)."""
    got = [] if got is None else got
    c.on_bridge = got.append
    deadline = time.monotonic() + timeout
    while not until(got):
        assert time.monotonic() < deadline, f"bridge: only {got}"
        c.receive(0.1)
    c.on_bridge = None
    return got


def test_only_granted_publications_leave_the_device(client: DeviceClient) -> None:
    c = client
    assert "bridge" in c.info().feature_names()
    c.push("leaky", package("leaky"))
    c.push("sensor", package("sensor"))
    got = collect(c, lambda m: sum(x.module == "sensor" for x in m) >= 5)
    # up to the fifth reading (200 ms of the sensor): a host that reads late gets more in
    # the same read, and by then the sensor (20 a second) has outrun the rate (10 a second):
    # those rightly carry drops
    got = got[:[i for i, m in enumerate(got) if m.module == "sensor"][4] + 1]
    # leaky published as often as sensor, on the same topic tree, for the whole time
    assert {(m.module, m.topic) for m in got} == {("sensor", "sensors/temp")}
    counts = [int.from_bytes(m.data, "little") for m in got]
    assert counts == sorted(counts) and all(m.dropped == 0 for m in got)
    assert all(len(m.data) == 4 for m in got)


def test_messages_in_reach_only_modules_granted_bridge_in(client: DeviceClient) -> None:
    c = client
    c.push("echo", package("echo"))
    c.push("deaf", package("deaf"))
    # both subscribe to commands/echo/*: only echo's grant lets the message in
    got: list[p.BridgeMessage] = []
    c.on_bridge = got.append  # the answer may come in the same read as the response
    taken = 0
    deadline = time.monotonic() + 20
    while taken == 0:  # until echo has subscribed (it starts after the push)
        assert time.monotonic() < deadline
        taken = c.bridge_in("commands/echo/x", b"ping")
    assert taken == 1
    got = collect(c, lambda m: len(m) >= 1, got)
    assert [(m.module, m.topic, m.data) for m in got] == [("echo", "sensors/echo", b"ping")]
    assert c.bridge_in("commands/other", b"x") == 0  # nobody's grant covers it
    for topic, data in (("commands/echo/*", b""), ("a//b", b""), ("x" * 33, b""),
                        ("commands/echo/x", b"d" * 65)):
        with pytest.raises(DeviceRefused) as e:
            c.bridge_in(topic, data)
        assert e.value.status == p.Status.BAD_ARGS


def test_a_flooding_module_is_held_to_the_rate_and_its_drops_are_counted(
        client: DeviceClient) -> None:
    c = client
    t0 = time.monotonic()
    c.push("flood", package("flood"))
    got = collect(c, lambda m: len(m) >= 2 * p.BRIDGE_OUT_PER_S + 1)
    elapsed = time.monotonic() - t0
    # windows of one device second: at most the rate per window the host saw begin
    assert len(got) <= p.BRIDGE_OUT_PER_S * (elapsed + 2)
    assert sum(m.dropped for m in got) > 0  # it published far more than went out


def test_a_provisioned_device_bridges_only_for_the_operator(client: DeviceClient) -> None:
    c = client
    owner, gateway, stranger = (Ed25519PrivateKey.generate() for _ in range(3))
    c.provision([(public_key_bytes(owner), p.ROLE_PACKAGE | p.ROLE_ADMIN),
                 (public_key_bytes(gateway), p.ROLE_OPERATE)])
    c.push("echo", package("echo", key=owner))
    c.push("sensor", package("sensor", key=owner))
    with pytest.raises(DeviceRefused) as e:  # no token: nothing goes in
        c.bridge_in("commands/echo/x", b"ping")
    assert e.value.status == p.Status.AUTH
    c.key = stranger
    with pytest.raises(DeviceRefused) as e:
        c.bridge_in("commands/echo/x", b"ping")
    assert e.value.status == p.Status.AUTH
    # nothing comes out without the operator's subscription either (readings keep coming)
    c.key = None
    seen: list[p.BridgeMessage] = []
    c.on_bridge = seen.append
    for _ in range(10):
        c.receive(0.1)
    assert seen == []
    c.key = gateway
    c.subscribe(60)
    got = collect(c, lambda m: any(x.module == "sensor" for x in m))
    assert got[0].topic == "sensors/temp"


def test_a_flooding_module_does_not_silence_another_modules_bridge(
        client: DeviceClient) -> None:
    """The rate is the device's, and a module publishing out as fast as its slices allow
    took all of it at the start of every second: the sensor beside it (20 readings a
    second) got none of its readings out. Each bridging module is now promised its share
    (the rate / bridging modules) and the flood only what the sensor leaves."""
    c = client
    c.push("flood", package("flood"))
    c.push("sensor", package("sensor"))
    # four windows' worth, wherever the host's reads fall
    got = collect(c, lambda m: len(m) >= 4 * p.BRIDGE_OUT_PER_S, timeout=120.0)
    sensor = [m for m in got if m.module == "sensor"]
    # three whole windows at least, each with the sensor's share (5 of 10): 15; asserted
    # with a margin (the flood, too, bridges more than its share while the sensor sleeps)
    assert len(sensor) >= 10, [(m.module, m.dropped) for m in got]
    assert any(m.module == "flood" for m in got)


def test_a_bridged_publication_costs_what_its_event_costs(tmp_path: Path) -> None:
    """A bridged publication leaves as an event down the serial line, like a log line, but
    cost only its publish (~100 units): a module could send the device's whole second of
    bridged messages, ~1.5 KB (~127 ms of a 115200-baud line), in one slice. It is now
    charged like a log line (500 + 2 a byte): the sensor, 10 of whose 20 readings a second
    leave, spends ~5500 units a second more than the same code without the grant (before:
    the same). The device runs on its own clock, so each second holds 20 readings."""
    with posix_device(tmp_path, clock="cpu") as dev:
        c = DeviceClient(SerialTransport(dev.url), timeout=5.0)
        try:
            c.push("sensor", package("sensor"))
            c.push("muted", package("muted"))

            def rates() -> dict[str, int]:
                return {m.name: m.fuel_per_s for m in c.modules()}

            # 25 bridged readings: the sensor is in its third second, the muted copy
            # (started with it) too, so LIST's rates are of whole seconds past the start
            collect(c, lambda m: len(m) >= 25, timeout=120.0)
            got = rates()
            # ~10 leave in any second (the bridge's window and LIST's are not in phase:
            # 8 asserted) at 500 + 2 x 26 bytes each
            assert got["sensor"] - got["muted"] >= 8 * 500, got
        finally:
            c.transport.close()
