"""The management link of a provisioned device, attacked from the line (issue 14): device
identity (item 3), tokens for every command that changes or reveals state (item 5), what
a new key set does to running modules (item 6), version pins across key rotation (item
11), a provisioning counter nobody can push out of reach (item 13). Posix device."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import wasmote.cli.device_cmds  # noqa: F401  (registers the commands)
from tests.harness.posix_device import PosixDevice
from tests.protocol.helpers import logs_with, until
from tests.supervisor.modules import signed, wasm
from wasmote.cli import main
from wasmote.device import protocol as p
from wasmote.device.client import DeviceClient
from wasmote.device.errors import DeviceRefused
from wasmote.device.transport import SerialTransport
from wasmote.package.keys import public_key_bytes, save_private_key, save_public_key


def refusal(fn: object, *args: object) -> DeviceRefused:
    with pytest.raises(DeviceRefused) as e:
        fn(*args)  # type: ignore[operator]
    return e.value


@pytest.fixture
def owner() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def provisioned(device: PosixDevice, owner: Ed25519PrivateKey) -> Iterator[DeviceClient]:
    """A device provisioned with `owner` (all roles), talker installed; the client holds no
    key (an attacker on the line): set .key to act as the owner."""
    c = DeviceClient(SerialTransport(device.url), timeout=3.0)
    c.provision([public_key_bytes(owner)])
    c.push("talker", signed("talker", owner))
    yield c
    c.transport.close()


def test_the_device_id_is_made_once_and_reported(tmp_path: Path, device_exe: Path) -> None:
    """Item 3: a random 16-byte id, kept in the config area across power cycles, different
    on every device; INFO and NONCE report it and where the randomness comes from."""
    ids = []
    for name, entropy in (("a", "os"), ("b", "os"), ("c", "jitter")):
        with PosixDevice(tmp_path / f"{name}.bin", variant="asan", entropy=entropy) as dev:
            c = DeviceClient(SerialTransport(dev.url))
            first = c.info()
            assert len(first.device_id) == 16 and first.device_id != bytes(16)
            assert first.random_kind_name == ("hardware" if entropy == "os" else "seeded DRBG")
            nonces = {c.nonce().nonce for _ in range(4)}
            assert c.nonce().device_id == first.device_id
            c.transport.close()
            dev.restart()  # a power cycle: RAM is gone, the config area stays
            c = DeviceClient(SerialTransport(dev.url))
            assert c.info().device_id == first.device_id
            nonces |= {c.nonce().nonce for _ in range(4)}
            assert len(nonces) == 8  # no nonce twice, not even across a boot
            c.transport.close()
            ids.append(first.device_id)
    assert len(set(ids)) == 3


def test_management_needs_an_operator_token(provisioned: DeviceClient, owner: Ed25519PrivateKey,
                                            device: PosixDevice) -> None:
    """Item 5: without a token nothing that changes or reveals state happens; INFO, NONCE
    and the push of a signed package stay open."""
    c = provisioned
    name = p.str8("talker")
    attempts = {p.Msg.LIST: b"\0\0", p.Msg.RUN: p.run_body("talker", "say", []),
                p.Msg.START: name, p.Msg.STOP: name, p.Msg.REMOVE: name, p.Msg.LOGS: b"",
                p.Msg.RESET: b"", p.Msg.SUBSCRIBE: struct.pack("<H", 60),
                p.Msg.PROVISION: p.provision_body(0, [])}
    boots = c.info().boots
    for msg, body in attempts.items():
        e = refusal(c.request, msg, body)
        assert e.status == p.Status.AUTH, (msg, e)
        assert ("admin" if msg == p.Msg.PROVISION else "operate") + " role" in e.message
    assert c.info().keys == 1 and c.info().boots == boots  # nothing was reset or removed
    c.push("talker", signed("talker", owner, "1.0.1"))  # open: the signature vouches
    assert c.nonce().auth_required
    # a key the device does not know, and known keys without the role
    c.key = Ed25519PrivateKey.generate()
    assert "not provisioned with" in refusal(c.request, p.Msg.LIST, b"\0\0").message
    packager, operator, admin = (Ed25519PrivateKey.generate() for _ in range(3))
    c.key = owner
    c.provision([(public_key_bytes(packager), p.ROLE_PACKAGE),
                 (public_key_bytes(operator), p.ROLE_OPERATE),
                 (public_key_bytes(admin), p.ROLE_ADMIN)])
    c.push("talker", signed("talker", packager, "1.0.2"))  # a build server signs packages,
    c.key = packager                                        # but cannot manage the device
    assert refusal(c.modules).status == p.Status.AUTH
    c.key = operator  # a fleet gateway: manages, cannot change the keys
    assert [m.name for m in c.modules()] == ["talker"]
    assert c.run("talker", "say", []) == [p.WireValue("i32", 7)]
    e = refusal(c.provision, [public_key_bytes(operator)])
    assert e.status == p.Status.AUTH and "lacks the role" in e.message
    c.key = admin
    e = refusal(c.provision, [(public_key_bytes(admin), p.ROLE_ADMIN)])
    assert e.status == p.Status.BAD_ARGS and "no key has the package role" in e.message
    c.provision([public_key_bytes(owner)])
    c.key = owner
    c.remove("talker")
    assert c.modules() == []


def _raw(c: DeviceClient, msg: p.Msg, body: bytes, flags: int) -> p.Frame:
    """One request as bytes on the line (what an attacker replays), answered."""
    seq = c._next_seq()
    c.send(msg, seq, body, flags)
    for _ in range(50):
        for f in c.receive(0.2):
            if f.seq == seq and f.msg == msg:
                return f
    raise AssertionError("no answer")


def _token(c: DeviceClient, key: Ed25519PrivateKey, msg: p.Msg, body: bytes) -> bytes:
    n = c.nonce()
    return body + public_key_bytes(key) + n.nonce + key.sign(
        p.auth_message(n.device_id, n.nonce, msg, body))


def test_tokens_are_single_use_bound_to_the_device_and_the_body(
        provisioned: DeviceClient, owner: Ed25519PrivateKey, tmp_path: Path) -> None:
    """Items 3 and 5: a sniffed authenticated request is worth nothing: not again on this
    device, not on another device with the same keys, not with another body."""
    c = provisioned
    body = p.str8("talker")
    stop_token = _token(c, owner, p.Msg.START, body)
    assert _raw(c, p.Msg.START, stop_token, p.FRAME_FLAG_AUTH).status == p.Status.OK
    again = _raw(c, p.Msg.START, stop_token, p.FRAME_FLAG_AUTH)
    assert again.status == p.Status.AUTH and b"unknown, used or expired nonce" in again.body
    # another body under the same token (a different module) does not verify
    other = p.str8("talkes") + _token(c, owner, p.Msg.STOP, body)[len(body):]
    bad = _raw(c, p.Msg.STOP, other, p.FRAME_FLAG_AUTH)
    assert bad.status == p.Status.AUTH and b"does not verify" in bad.body
    # the same message type must be signed too: a START token is not a STOP token
    mixed = _token(c, owner, p.Msg.START, body)
    assert _raw(c, p.Msg.STOP, mixed, p.FRAME_FLAG_AUTH).status == p.Status.AUTH
    # a request for this device, carried to a second one provisioned with the same key
    clear = _token(c, owner, p.Msg.PROVISION, p.provision_body(0, []))
    with PosixDevice(tmp_path / "twin.bin", variant="asan") as twin:
        t = DeviceClient(SerialTransport(twin.url), key=owner)
        t.provision([public_key_bytes(owner)])
        t.key = None
        t.nonce()  # the twin has nonces out too: the stolen one is simply not among them
        moved = _raw(t, p.Msg.PROVISION, clear, p.FRAME_FLAG_AUTH)
        assert moved.status == p.Status.AUTH and t.info().keys == 1
        t.transport.close()
    # the pool keeps 8 outstanding nonces: the oldest of 9 is gone
    early = _token(c, owner, p.Msg.LIST, b"\0\0")
    for _ in range(p.AUTH_NONCES):
        c.nonce()
    assert _raw(c, p.Msg.LIST, early, p.FRAME_FLAG_AUTH).status == p.Status.AUTH
    # malformed: a flag the device does not know, a trailer cut short
    assert _raw(c, p.Msg.INFO, b"", 0x80).status == p.Status.MALFORMED
    assert _raw(c, p.Msg.LIST, b"\0\0" + bytes(40), p.FRAME_FLAG_AUTH).status == \
        p.Status.MALFORMED
    assert c.info().keys == 1


def test_interleaved_host_processes_share_the_line(provisioned: DeviceClient,
                                                   owner: Ed25519PrivateKey) -> None:
    """Item 5 through a relay (issue 18): several processes ask nonces, sign and send in any
    interleaving, under sequence numbers the relay picks; each token stands on its own."""
    c = provisioned
    bodies = [(p.Msg.LIST, b"\0\0"), (p.Msg.RUN, p.run_body("talker", "say", [])),
              (p.Msg.LOGS, b""), (p.Msg.SUBSCRIBE, struct.pack("<H", 5))]
    tokens = [(msg, _token(c, owner, msg, body)) for msg, body in bodies]  # all nonces first
    for msg, token in reversed(tokens):  # then the requests, last asked first
        assert _raw(c, msg, token, p.FRAME_FLAG_AUTH).status == p.Status.OK, msg


def test_module_output_needs_a_subscription(provisioned: DeviceClient,
                                            owner: Ed25519PrivateKey) -> None:
    """Item 5: log lines, traps and exits carry module data: a provisioned device sends
    them only during an authenticated SUBSCRIBE, or to the authenticated RUN of that
    module; LOGS (authenticated) still has them."""
    c = provisioned
    c.key = owner
    c.events.clear()
    c.start("talker")  # says three lines and exits, to nobody
    logs_with(c, "talker: secret reading 42", "talker: exit")
    assert [e for e in c.events if e.module] == []
    assert c.run("talker", "say", []) == [p.WireValue("i32", 7)]
    assert [(e.module, e.text) for e in c.events] == [("talker", "secret reading 42")]
    c.events.clear()
    c.subscribe(60)
    c.start("talker")
    got: list[tuple[int, str]] = []
    while len(got) < 4:
        ev = c.wait_event(60.0)  # (an upper bound: the lines come at once)
        assert ev is not None, got
        got.append((ev.kind, ev.text))
    assert got == [(p.Msg.EV_LOG, "secret reading 42")] * 3 + [(p.Msg.EV_EXIT, "exit")]
    c.subscribe(0)  # ended: quiet again
    c.events.clear()
    c.start("talker")
    logs = until(c.logs, lambda text: text.count("talker: exit") >= 3)  # the third exit
    assert logs.count("talker: exit") == 3
    assert [e for e in c.events if e.module] == []


def test_the_push_flag_cannot_autostart_a_signed_package(provisioned: DeviceClient,
                                                         owner: Ed25519PrivateKey) -> None:
    """Item 5: autostart comes from the signed manifest on a provisioned device; the
    PUSH_BEGIN flag (outside the signature) changes nothing."""
    c = provisioned
    c.push("talker", signed("talker", owner, "1.1.0"), autostart=True)  # flag set, manifest no
    c.push("busy", signed("busy", owner, autostart=True), autostart=False)  # flag clear
    c.key = owner
    c.reset()
    mods = {m.name: m for m in c.modules()}
    assert not mods["talker"].autostart and mods["talker"].state == "idle"
    assert mods["busy"].autostart and mods["busy"].state in p.RUNNING_STATES


def test_a_new_key_set_stops_what_it_no_longer_allows(device: PosixDevice) -> None:
    """Item 6: provisioning (or revoking a key) re-checks every running module: unsigned
    ones and those signed by a key that is gone stop at once, saying why; the rest go on."""
    c = DeviceClient(SerialTransport(device.url), timeout=3.0)
    a, b = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    c.push("bare", wasm("busy"))
    c.push("by_b", signed("busy", b, called="by_b"))
    c.push("by_a", signed("busy", a, called="by_a"))
    for name in ("bare", "by_b", "by_a"):
        c.start(name)
    c.provision([public_key_bytes(a)])
    c.key = a
    mods = {m.name: m for m in c.modules()}
    assert mods["by_a"].state in p.RUNNING_STATES
    for name in ("bare", "by_b"):
        assert mods[name].state == "stopped", mods[name]
        assert mods[name].last_trap.startswith("stopped by new keys: ")
    assert "not signed" in mods["bare"].last_trap
    assert "not a trusted key" in mods["by_b"].last_trap
    assert "by_b: stopped by new keys: package is signed by key" in c.logs()
    # revoking a: the module it signed stops too
    c.provision([public_key_bytes(b)])
    c.key = b
    assert {m.name: m.state for m in c.modules()}["by_a"] == "stopped"


def test_pins_survive_key_rotation_and_only_a_signed_clear_drops_them(
        provisioned: DeviceClient, owner: Ed25519PrivateKey, tmp_path: Path) -> None:
    """Item 11: rotating keys used to forget every pin (a rollback by rotation). Now only
    PROVISION's CLEAR_PINS, signed by an admin key, does; unprovisioning keeps them."""
    c = provisioned
    c.key = owner
    c.push("talker", signed("talker", owner, "2.0.0"))
    new = Ed25519PrivateKey.generate()
    c.provision([public_key_bytes(new)])
    c.key = new
    old = signed("talker", new, "1.0.0")
    assert "older than the installed 2.0.0" in refusal(c.push, "talker", old).message
    c.provision([])  # unprovisioned: anything goes, but the pins stay for later
    c.key = None
    e = refusal(lambda: c.provision([], clear_pins=True, keep_keys=True))  # anonymous
    assert e.status == p.Status.DENIED and "admin key of a provisioned device" in e.message
    c.provision([public_key_bytes(new)])
    c.key = new
    assert "older than the installed 2.0.0" in refusal(c.push, "talker", old).message
    save_private_key(new, tmp_path / "new.key")
    url = c.transport.description
    c.transport.close()
    r = CliRunner().invoke(main, ["provision", "--clear-pins", "--key",
                                  str(tmp_path / "new.key"), "--port", url])
    assert r.exit_code == 0 and "version pins cleared; keys unchanged" in r.output, r.output
    c = DeviceClient(SerialTransport(url), timeout=3.0, key=new)
    c.push("talker", old)
    assert c.info().keys == 1
    c.transport.close()


def test_the_provisioning_counter_is_counted_by_the_device(device: PosixDevice) -> None:
    """Item 13: anyone could set the counter of an unprovisioned device to 0xFFFFFFFF and
    lock the owner out. The wire no longer carries a counter: the device counts key
    changes, and requests are bound to its nonces instead."""
    c = DeviceClient(SerialTransport(device.url), timeout=3.0)
    old_style = struct.pack("<IB", 0xFFFFFFFF, 0)  # the attack of the old format
    assert refusal(c.request, p.Msg.PROVISION, old_style).status == p.Status.MALFORMED
    for _ in range(3):  # unprovisioning an unprovisioned device writes nothing
        c.provision([])
    assert c.info().key_counter == 0
    owner = Ed25519PrivateKey.generate()
    c.provision([public_key_bytes(owner)])
    assert (c.info().keys, c.info().key_counter) == (1, 1)
    c.key = owner
    c.provision([public_key_bytes(owner), public_key_bytes(Ed25519PrivateKey.generate())])
    assert (c.info().keys, c.info().key_counter) == (2, 2)
    c.transport.close()


def test_cli_uses_the_configured_key(provisioned: DeviceClient, owner: Ed25519PrivateKey,
                                     tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--key or WASMOTE_KEY; without either the CLI says what is missing in one line."""
    url = provisioned.transport.description
    provisioned.transport.close()
    save_private_key(owner, tmp_path / "owner.key")
    save_public_key(owner, tmp_path / "owner.pub")
    r = CliRunner().invoke(main, ["ls", "--port", url])
    assert r.exit_code != 0 and "operate role" in r.output and "--key" in r.output
    assert len(r.output.strip().splitlines()) == 1, r.output
    monkeypatch.setenv("WASMOTE_KEY", str(tmp_path / "owner.key"))
    r = CliRunner().invoke(main, ["ls", "--port", url])
    assert r.exit_code == 0 and "talker" in r.output, r.output
    r = CliRunner().invoke(main, ["start", "-f", "talker", "--port", url])  # subscribes
    assert r.exit_code == 0 and r.output.count("secret reading 42") == 3, r.output
    r = CliRunner().invoke(main, ["info", "--port", url])
    assert r.exit_code == 0 and "device id:" in r.output and "random: hardware" in r.output
    r = CliRunner().invoke(main, ["push", "--autostart", "--port", url, str(tmp_path / "x")])
    assert r.exit_code != 0
    pkg = tmp_path / "talker.wmp"
    pkg.write_bytes(signed("talker", owner, "1.0.1"))
    r = CliRunner().invoke(main, ["push", str(pkg), "--autostart", "--port", url])
    assert r.exit_code != 0 and "manifest decides" in r.output, r.output
    r = CliRunner().invoke(main, ["provision", "--operator-key", str(tmp_path / "owner.pub"),
                                  "--port", url])
    assert r.exit_code != 0 and "no key has the package, admin role" in r.output, r.output
