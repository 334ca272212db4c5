"""The fleet's pure parts: the signed envelope, deployments, the topic schema, a device's
next step and health verdict, rollout decisions, the password file and credentials."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from wasmote.device.protocol import ModuleEntry
from wasmote.fleet.credentials import BrokerAddress, Credentials
from wasmote.fleet.deployment import Deployment, first_stage
from wasmote.fleet.errors import FleetError, MessageRejected
from wasmote.fleet.passwords import password_line
from wasmote.fleet.reconcile import health, next_step
from wasmote.fleet.reports import DeviceReport, ModuleReport, Result
from wasmote.fleet.rollout import decide, tally
from wasmote.fleet.signed import SignedMessage, sign, verify
from wasmote.fleet.topics import FleetTopics
from wasmote.package.keys import public_key_bytes

A, B, C, D = ("a" * 32, "b" * 32, "c" * 32, "d" * 32)
SHA = "5" * 64


def dep(**kw: object) -> Deployment:
    base = dict(fleet="plant", module="app", seq=10, rollout="0123456789abcdef",
                version="1.1.0", sha256=SHA, size=100)
    base.update(kw)
    return Deployment(**base)  # type: ignore[arg-type]


def test_a_deployment_survives_its_encoding_and_checks_its_fields() -> None:
    d = dep(staged=True, stage=(A, B), percent=25, max_failures=1, health_s=2.5)
    assert Deployment.from_payload(d.to_payload()) == d
    doc = json.loads(d.to_payload())
    for key, value, why in (("seq", 0, "seq"), ("sha256", "xyz", "sha256"),
                            ("module", "a/b", "module"), ("stage", ["A" * 32], "stage"),
                            ("percent", 0, "percent"), ("extra", 1, "unknown field"),
                            ("action", "erase", "action")):
        bad = dict(doc, **{key: value})
        with pytest.raises(MessageRejected, match=why):
            Deployment.from_payload(json.dumps(bad).encode())
    with pytest.raises(FleetError, match="a group or a list"):
        dep(group="g", devices=(A,))
    with pytest.raises(FleetError, match="names no package"):
        dep(action="remove")


def test_only_a_trusted_key_s_untouched_message_verifies() -> None:
    fleet, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    trusted = [public_key_bytes(fleet)]
    payload = dep().to_payload()
    raw = sign(payload, fleet).to_bytes()
    assert verify(SignedMessage.from_bytes(raw), trusted) == payload
    with pytest.raises(MessageRejected, match="does not trust"):
        verify(sign(payload, other), trusted)
    forged = json.loads(raw)
    forged["payload"] = base64.b64encode(dep(version="9.9.9").to_payload()).decode()
    with pytest.raises(MessageRejected, match="does not verify"):
        verify(SignedMessage.from_bytes(json.dumps(forged).encode()), trusted)
    forged = dict(json.loads(raw), key=public_key_bytes(fleet).hex())
    forged["sig"] = "00" * 64
    with pytest.raises(MessageRejected, match="does not verify"):
        verify(SignedMessage.from_bytes(json.dumps(forged).encode()), trusted)
    for junk in (payload, b"\xff", b"[]", b"{}", b'{"v":1,"key":"zz","sig":"","payload":""}',
                 b" " * 70_000):
        with pytest.raises(MessageRejected):
            SignedMessage.from_bytes(junk)


def test_the_first_stage_is_a_stable_share_of_the_candidates() -> None:
    ids = [f"{i:032x}" for i in range(40)]
    s = first_stage("0123456789abcdef", ids, 25)
    assert len(s) == 10 and set(s) <= set(ids)
    assert first_stage("0123456789abcdef", reversed(ids), 25) == s
    assert first_stage("fedcba9876543210", ids, 25) != s
    assert len(first_stage("0123456789abcdef", ids[:3], 1)) == 1
    assert first_stage("0123456789abcdef", [], 50) == ()


def test_topics_are_built_and_parsed_and_foreign_names_do_not_fit() -> None:
    t = FleetTopics("plant")
    assert t.parse(t.state("gw1", A)).kind == "state"
    p = t.parse(t.bridge_out("gw1", A, "sensor", "sensors/temp"))
    assert (p.kind, p.gateway, p.device, p.module, p.rest) == ("out", "gw1", A, "sensor",
                                                                "sensors/temp")
    assert t.parse(t.bridge_in("gw1", A, "commands/x")).rest == "commands/x"
    assert t.parse(t.deployment("app")).module == "app"
    for bad in ("wasmote/plant/gw/gw+1/online", f"wasmote/plant/gw/gw1/dev/{A.upper()}/state",
                "wasmote/other/deploy/app", "wasmote/plant/deploy/a b",
                f"wasmote/plant/gw/gw1/dev/{A}/in/a//b", "wasmote/plant/pkg/123"):
        assert t.parse(bad).kind == "", bad
    with pytest.raises(FleetError):
        FleetTopics("a/b")


def entry(sha: str = SHA, state: str = "ready", traps: int = 0,
          restarts: int = 0) -> ModuleEntry:
    return ModuleEntry("app", 100, 1, 3, bytes.fromhex(sha), state, "package", (1, 1, 0),
                       traps=traps, restarts=restarts, last_trap="boom" if traps else "")


def result(status: str, rollout: str = "0123456789abcdef") -> Result:
    return Result("app", rollout, 10, status)  # type: ignore[arg-type]


def test_the_next_step_comes_from_the_device_and_the_record() -> None:
    d = dep()
    assert next_step(d, A, [], None, None).kind == "install"
    assert next_step(d, A, [], entry(), None).kind == "verify"  # never installed twice
    assert next_step(d, A, [], entry(), result("installing")).kind == "verify"
    assert next_step(d, A, [], entry("6" * 64), None).kind == "install"
    assert next_step(d, A, [], entry("6" * 64), result("failed")).kind == "none"
    assert next_step(d, A, [], None, result("healthy")).kind == "install"  # it lost it
    assert next_step(d, A, [], entry(), result("healthy")).kind == "none"
    assert next_step(d, A, [], None, result("failed", "fedcba9876543210")).kind == "install"
    staged = dep(staged=True, stage=(B,))
    assert next_step(staged, A, [], None, None).status == "waiting"
    assert next_step(staged, A, [], None, result("waiting")).kind == "none"
    assert next_step(staged, B, [], None, None).kind == "install"
    assert next_step(dep(halted=True), A, [], None, None).status == "halted"
    assert next_step(dep(halted=True), A, [], entry(), None).kind == "verify"
    assert next_step(dep(group="hall"), A, ["yard"], None, None).kind == "none"
    assert next_step(dep(devices=(B,)), A, [], None, None).kind == "none"
    gone = dep(action="remove", version="", sha256="", size=0)
    assert next_step(gone, A, [], entry(), None).kind == "remove"
    assert next_step(gone, A, [], None, None).status == "removed"


def test_health_fails_a_trap_a_crash_loop_and_a_failed_start() -> None:
    assert health(entry(), 0, 0).status == "ok"
    assert health(entry(state="exited"), 0, 0).status == "ok"
    assert health(entry(state="trapped", traps=1), 0, 0).detail == "trapped: boom"
    assert health(entry(state="backoff", traps=3, restarts=2), 0, 0).status == "failed"
    assert health(entry(traps=2), 2, 0).status == "ok"  # old traps, before the install
    assert health(entry(state="failed"), 0, 0).status == "failed"
    assert health(None, 0, 0).detail == "the module is gone"


def report(device: str, online: bool = True) -> DeviceReport:
    return DeviceReport(device, "gw1", online,
                        modules=(ModuleReport("app", SHA, "1.1.0", "ready"),))


def test_a_rollout_promotes_halts_and_ends_from_the_reports() -> None:
    devices = {d: report(d, d != D) for d in (A, B, C, D)}
    d = dep(staged=True, stage=(A, B), max_failures=1)
    res = {(A, "app"): result("healthy"), (B, "app"): result("verifying"),
           (C, "app"): result("waiting")}
    t = tally(d, devices, res)
    assert (t.targets, t.online, t.healthy, t.busy, t.waiting, t.offline) == (4, 3, 1, 1, 1, 1)
    assert decide(d, t) == "wait"
    res[(B, "app")] = result("healthy")
    assert decide(d, tally(d, devices, res)) == "promote"
    d = d.promoted(11)
    assert decide(d, tally(d, devices, res)) == "wait"  # C has no result yet
    res[(C, "app")] = result("failed")
    assert decide(d, tally(d, devices, res)) == "done"  # D is offline: it converges later
    res[(A, "app")] = result("failed")
    t = tally(d, devices, res)
    assert decide(d, t) == "halt" and t.failures[0][0] == A
    # results of another rollout do not count
    res = {(k, "app"): result("failed", "fedcba9876543210") for k in (A, B, C)}
    assert tally(d, devices, res).failed == 0


def test_the_password_file_line_is_mosquittos() -> None:
    """user:$7$ITERATIONS$salt$PBKDF2-HMAC-SHA512 (the broker test logs in with it)."""
    line = password_line("gw1", "secret", salt=b"\x01" * 12)
    user, _, rest = line.partition(":")
    _, alg, iterations, salt, digest = rest.split("$")
    assert (user, alg, iterations) == ("gw1", "7", "101")
    assert base64.b64decode(salt) == b"\x01" * 12
    assert base64.b64decode(digest) == hashlib.pbkdf2_hmac("sha512", b"secret", b"\x01" * 12,
                                                           101, 64)


def test_credentials_round_trip_with_relative_files(tmp_path: Path) -> None:
    (tmp_path / "creds").mkdir()
    c = Credentials(BrokerAddress.parse("mqtts://h:1234"), "plant", "gw1", "pw",
                    tmp_path / "ca.crt", tmp_path / "fleet.pub")
    c.save(tmp_path / "creds" / "gw1.toml")
    text = (tmp_path / "creds" / "gw1.toml").read_text()
    assert 'ca = "../ca.crt"' in text and (tmp_path / "creds" / "gw1.toml").stat().st_mode \
        & 0o077 == 0
    back = Credentials.load(tmp_path / "creds" / "gw1.toml")
    assert back.ca is not None and back.ca.resolve() == (tmp_path / "ca.crt").resolve()
    assert replace(back, ca=c.ca, fleet_key=c.fleet_key) == c
    for url in ("http://h", "mqtt://", "mqtts://h:99999", "mqtt://h/x"):
        with pytest.raises(FleetError):
            BrokerAddress.parse(url)
    assert str(BrokerAddress.parse("mqtt://h")) == "mqtt://h:1883"
