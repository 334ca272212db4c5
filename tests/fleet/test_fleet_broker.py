"""The broker the tooling sets up (`wasmote fleet init`), against a real Mosquitto: TLS
with the fleet's own CA, a password per account, and an ACL that keeps each gateway to its
own devices' topics. (docs/fleet.md, "Broker, accounts and ACL")"""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from tests.fleet.harness import Broker, mosquitto_missing
from wasmote.fleet.credentials import Credentials
from wasmote.fleet.errors import BrokerError
from wasmote.fleet.mqtt import NOT_AUTHORIZED, MqttLink, client_id
from wasmote.fleet.tls import make_ca, make_server_cert

pytestmark = pytest.mark.skipif(mosquitto_missing() is not None,
                                reason=mosquitto_missing() or "")
DEV = "ab" * 16


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    b = Broker.create(tmp_path_factory.mktemp("fleet"), "plant", ["gw1", "gw2"], ["app"])
    b.start()
    yield b
    b.stop()


def link(broker: Broker, account: str, **changes: object) -> MqttLink:
    creds = replace(Credentials.load(broker.credentials(account)), **changes)  # type: ignore[arg-type]
    m = MqttLink(creds, client_id(account))
    m.connect(timeout=15)
    return m


def received(m: MqttLink) -> list[tuple[str, bytes]]:
    got: list[tuple[str, bytes]] = []
    m._on_message = lambda topic, payload, _retained: got.append((topic, payload))
    return got


def delivered_to(broker: Broker, user: str, pattern: str, topic: str) -> bool:
    """Whether a retained message the operator publishes on `topic` reaches `user`
    subscribed to `pattern`. A marker on the user's own topic, published after it, must
    arrive (the broker keeps a publisher's order), so a missing message was withheld."""
    op, m = link(broker, "operator"), link(broker, user)
    try:
        got = received(m)
        marker = f"wasmote/plant/gw/{user}/dev/{DEV}/marker" if user.startswith("gw") else \
            f"wasmote/plant/gw/gw1/dev/{DEV}/out/mod/marker"
        op.publish_checked(topic, b"secret", retain=True)
        m.subscribe(pattern)
        m.subscribe(marker)
        op.publish_checked(marker, b"marker")
        deadline = time.monotonic() + 20
        while (marker, b"marker") not in got:
            assert time.monotonic() < deadline, got
            time.sleep(0.02)
        return (topic, b"secret") in got
    finally:
        op.publish_checked(topic, b"", retain=True)  # clear it
        op.close()
        m.close()


def test_each_gateway_reads_and_writes_only_its_own_devices(broker: Broker) -> None:
    own = f"wasmote/plant/gw/gw1/dev/{DEV}/state"
    other = f"wasmote/plant/gw/gw2/dev/{DEV}/state"
    assert delivered_to(broker, "gw1", "wasmote/plant/gw/gw1/#", own)
    assert delivered_to(broker, "gw1", "wasmote/plant/deploy/+", "wasmote/plant/deploy/app")
    # another gateway's devices: nothing is delivered, whatever it subscribes to
    assert not delivered_to(broker, "gw1", "wasmote/plant/gw/gw2/#", other)
    assert not delivered_to(broker, "gw1", "wasmote/plant/gw/+/dev/+/state", other)
    assert not delivered_to(broker, "gw1", "#", other)
    gw1 = link(broker, "gw1")
    try:
        assert gw1.publish(own, b"{}", wait=True) < 0x80  # 0x10: no subscribers, fine
        # ... and every write to it is refused
        assert gw1.publish(other, b"{}", wait=True) == NOT_AUTHORIZED
        assert gw1.publish(f"wasmote/plant/gw/gw2/dev/{DEV}/in/cmd", b"x",
                           wait=True) == NOT_AUTHORIZED
        # it can publish neither a deployment nor a package, and no other fleet's topics
        assert gw1.publish("wasmote/plant/deploy/app", b"{}", wait=True) == NOT_AUTHORIZED
        assert gw1.publish("wasmote/plant/pkg/" + "0" * 64, b"", wait=True) == NOT_AUTHORIZED
        assert gw1.publish("wasmote/other/deploy/app", b"{}", wait=True) == NOT_AUTHORIZED
    finally:
        gw1.close()


def test_an_application_only_sees_bridged_data(broker: Broker) -> None:
    out = f"wasmote/plant/gw/gw1/dev/{DEV}/out/sensor/sensors/t"
    assert delivered_to(broker, "app", "wasmote/plant/gw/+/dev/+/out/#", out)
    assert not delivered_to(broker, "app", "#", f"wasmote/plant/gw/gw1/dev/{DEV}/state")
    assert not delivered_to(broker, "app", "#", "wasmote/plant/deploy/app")
    app = link(broker, "app")
    try:
        assert app.publish(f"wasmote/plant/gw/gw1/dev/{DEV}/in/commands/x", b"1",
                           wait=True) < 0x80
        assert app.publish(f"wasmote/plant/gw/gw1/dev/{DEV}/state", b"1",
                           wait=True) == NOT_AUTHORIZED
    finally:
        app.close()


def test_wrong_password_wrong_ca_and_plain_tcp_are_refused(broker: Broker,
                                                           tmp_path: Path) -> None:
    with pytest.raises(BrokerError, match="refused the connection"):
        link(broker, "gw1", password="guess")
    with pytest.raises(BrokerError, match="refused the connection"):
        link(broker, "gw1", user="gw3")
    # a broker certificate from another CA (a man in the middle) is not accepted
    other = make_ca("other")
    (tmp_path / "other.crt").write_bytes(other.cert_pem())
    with pytest.raises(BrokerError, match=r"TLS .* failed: CERTIFICATE_VERIFY_FAILED"):
        link(broker, "gw1", ca=tmp_path / "other.crt")
    creds = Credentials.load(broker.credentials("gw1"))
    plain = replace(creds, broker=replace(creds.broker, tls=False))
    with pytest.raises(BrokerError, match="closed the connection"):
        MqttLink(plain, client_id("plain")).connect(timeout=30)
    # the broker's certificate names the hosts it was made for
    cert = ssl._ssl._test_decode_cert(str(broker.setup.broker.cert))  # type: ignore[attr-defined]
    assert ("IP Address", "127.0.0.1") in cert["subjectAltName"]
    assert make_server_cert(other, ["h"]).cert.issuer == other.cert.subject
