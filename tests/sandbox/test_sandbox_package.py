"""The device's package reader and install policy against the host's reference.

Golden packages from tests/package/golden, the install decision compared case by case with
host_tools/wasmote/package/policy.py, and mutated packages compared with the host parser
(the device must never crash, and must refuse exactly what the host refuses).
"""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pytest

from tests.sandbox.sandbox_support import (
    GOLDEN,
    GOLDEN_PUB,
    KEY,
    OTHER_KEY,
    Device,
    pub_hex,
    rehash,
)
from wasmote.device.protocol import Status
from wasmote.package.capabilities import HOST_FUNCTIONS, parse_capabilities
from wasmote.package.container import AotCode, Package, parse_package
from wasmote.package.errors import PackageError
from wasmote.package.keys import public_key_bytes, sign_package
from wasmote.package.manifest import Limits, Manifest, Version
from wasmote.package.policy import Device as PolicyDevice
from wasmote.package.policy import check_install

DENIED, INVALID = int(Status.DENIED), int(Status.INVALID_MODULE)  # wm_status.h

EMPTY_WASM = b"\x00asm\x01\x00\x00\x00"
NOTE_KEYS = {"unprovisioned device: unsigned": "unsigned",
             "unprovisioned device: signature not checked": "untrusted",
             "AOT code ignored: native code runs only": "aot-unsigned",
             "AOT code ignored: ABI version": "aot-abi"}


def test_golden_packages(harness: Path, tmp_path: Path) -> None:
    dev = Device(harness, tmp_path)
    unsigned = (GOLDEN / "hello-unsigned.wmp").read_bytes()
    signed = (GOLDEN / "hello.wmp").read_bytes()
    steps = [(dev.install(0, unsigned), "ok [unprovisioned device: unsigned package accepted]"),
             (dev.cmd("call 0 run"), "ok 5"),
             (dev.install(1, signed), "ok [unprovisioned device: signature not checked "
                                      "against any trusted key]"),
             (dev.cmd(f"provision {GOLDEN_PUB}"), "ok"),
             (dev.install(2, signed), "ok"),
             (dev.cmd("call 2 run"), "ok 5"),
             (dev.install(3, unsigned), f"refused {DENIED} 0xe0 package is not signed")]
    run = dev.run()
    for i, expected in steps:
        assert run.lines[i].startswith(expected), (dev.script[i], run.lines[i])
    assert run.logs == ["log hello hello", "log hello hello"]


def _manifest(version: str = "1.0.0") -> Manifest:
    return Manifest(name="app", version=Version.parse(version),
                    capabilities=parse_capabilities(["log"]), limits=Limits())


def _variants() -> dict[str, Package]:
    base = Package(_manifest(), EMPTY_WASM)
    aot1 = replace(base, aot=(AotCode(3, 1, b"\x90" * 16),))
    aot2 = replace(base, aot=(AotCode(3, 2, b"\x90" * 16), AotCode(1, 1, b"\0" * 8)))
    signed = sign_package(base, KEY)
    assert signed.signature is not None
    forged = signed.with_signature(replace(signed.signature, signature=bytes(64)))
    bitflip = bytearray(signed.signature.signature)
    bitflip[10] ^= 4
    return {
        "unsigned": base,
        "signed": signed,
        "signed-other": sign_package(base, OTHER_KEY),
        "forged": forged,
        "bitflip": signed.with_signature(replace(signed.signature,
                                                 signature=bytes(bitflip))),
        "old": sign_package(Package(_manifest("0.9.9"), EMPTY_WASM), KEY),
        "same": sign_package(Package(_manifest("1.0.0"), EMPTY_WASM), KEY),
        "aot1-unsigned": aot1,
        "aot1-signed": sign_package(aot1, KEY),
        "aot2-signed": sign_package(aot2, KEY),
    }


DEVICES = {
    "unprovisioned": PolicyDevice(),
    "provisioned": PolicyDevice(trusted_keys=[public_key_bytes(KEY)]),
    "two-keys-pinned": PolicyDevice(trusted_keys=[public_key_bytes(OTHER_KEY),
                                                  public_key_bytes(KEY)],
                                    pinned={"app": Version(1, 0, 0)}),
    "x86-abi1": PolicyDevice(trusted_keys=[public_key_bytes(KEY)], arch=3, aot_abi=1),
    "x86-abi1-unprovisioned": PolicyDevice(arch=3, aot_abi=1),
}


def _expected(pkg: Package, device: PolicyDevice) -> str:
    try:
        decision = check_install(pkg, device)
    except PackageError:
        return "refused"
    notes = sorted(next(v for k, v in NOTE_KEYS.items() if n.startswith(k))
                   for n in decision.notes)
    aot = [f"aot{decision.aot.arch}"] if decision.aot else []
    return " ".join(["ok", *notes, *aot])


def _observed(line: str) -> str:
    if line.startswith("refused"):
        return "refused"
    notes = sorted(next(v for k, v in NOTE_KEYS.items() if n.startswith(k))
                   for n in line[3:].strip("[] ").split("] [") if n and not n.startswith("aot"))
    aot = [n.replace(" ", "") for n in line[3:].strip("[] ").split("] [") if n.startswith("aot")]
    return " ".join(["ok", *notes, *aot])


@pytest.mark.parametrize("device_name", sorted(DEVICES))
def test_install_decision_matches_the_reference_model(harness: Path, tmp_path: Path,
                                                      device_name: str) -> None:
    device = DEVICES[device_name]
    dev = Device(harness, tmp_path)
    for key in device.trusted_keys:
        dev.cmd(f"provision {key.hex()}")
    for name, v in (device.pinned or {}).items():
        dev.cmd(f"pin {name} {v.major} {v.minor} {v.patch}")
    if device.arch is not None:
        dev.cmd(f"arch {device.arch} {device.aot_abi or 0}")
    cases = {name: (dev.install(0, pkg.to_bytes()), _expected(pkg, device))
             for name, pkg in _variants().items()}
    run = dev.run()
    observed = {name: _observed(run.lines[i]) for name, (i, _) in cases.items()}
    expected = {name: exp for name, (_, exp) in cases.items()}
    assert observed == expected
    assert any(v.startswith("ok") for v in observed.values())
    assert any(v == "refused" for v in observed.values())


def _host_verdict(data: bytes) -> bool:
    try:
        parse_package(data)
    except PackageError:
        return False
    return True


def test_mutated_packages_match_the_host_parser(harness: Path, tmp_path: Path) -> None:
    """Byte flips, truncations and insertions with the hash fixed up, so the device's
    section and manifest checks (not only the hash) see them. Run on the ASan build."""
    rng = random.Random(6)
    seed = Package(Manifest(name="mut", version=Version(1, 2, 3),
                            capabilities=parse_capabilities(["log", "kv", "gpio:led0",
                                                             "pubsub:sensors/*"]),
                            limits=Limits(kv_bytes=100), entry="run"),
                   EMPTY_WASM, aot=(AotCode(2, 1, b"\1" * 12),)).to_bytes()
    mutants: list[bytes] = []
    for _ in range(400):
        data = bytearray(seed)
        for _ in range(rng.randint(1, 3)):
            choice = rng.random()
            pos = rng.randrange(len(data))
            if choice < 0.6:
                data[pos] = rng.randrange(256) if rng.random() < 0.5 else data[pos] ^ (
                    1 << rng.randrange(8))
            elif choice < 0.8:
                del data[pos:pos + rng.randint(1, 8)]
            else:
                data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        mutants.append(rehash(bytes(data)) if rng.random() < 0.9 else bytes(data))
    dev = Device(harness, tmp_path)
    idx = [dev.install(0, m) for m in mutants]
    run = dev.run()
    accepted = 0
    for i, m in zip(idx, mutants, strict=True):
        device_ok = run.lines[i].startswith("ok")
        host_ok = _host_verdict(m)
        if host_ok:
            # everything the host reads is well-formed; the device may still refuse the
            # module (wasm validation) or the link, never the container
            assert device_ok or run.lines[i].split()[1] in ("7", "8", "9"), run.lines[i]
        else:
            assert not device_ok, (m.hex(), run.lines[i])
        accepted += device_ok
    assert 10 < accepted < len(mutants) - 100, accepted
    assert _host_verdict(seed)


def test_capability_kinds_the_device_knows_are_the_hosts(harness: Path, tmp_path: Path) -> None:
    """Every kind byte 0..20 in place of a bridge grant's: the device accepts exactly the
    kinds the host knows that take a pattern (13 bridge:out and 14 bridge:in here) and
    refuses the rest: 8..12 (the peripheral grants) because "zq/*" names no bus device,
    0 and 15.. as unknown kinds."""
    caps = parse_capabilities(["pubsub:zq/*", "bridge:out:zq/*"])
    seed = Package(Manifest(name="kinds", version=Version(1, 0, 0), capabilities=caps,
                            limits=Limits()), EMPTY_WASM).to_bytes()
    at = seed.index(bytes([13, 4]) + b"zq/*")
    dev = Device(harness, tmp_path)
    cases = {k: rehash(seed[:at] + bytes([k]) + seed[at + 1:]) for k in range(21)}
    idx = {k: dev.install(0, data) for k, data in cases.items()}
    run = dev.run()
    device_ok = {k for k, i in idx.items() if run.lines[i].startswith("ok")}
    assert device_ok == {k for k, data in cases.items() if _host_verdict(data)}
    assert device_ok == {13, 14}
    assert all("unknown capability kind" in run.lines[idx[k]] for k in (0, 15, 20))
    assert all("bad capability argument" in run.lines[idx[k]] for k in range(8, 13))


def test_device_refuses_what_it_cannot_parse(harness: Path, tmp_path: Path) -> None:
    dev = Device(harness, tmp_path)
    good = (GOLDEN / "hello-unsigned.wmp").read_bytes()
    cases = [
        (EMPTY_WASM * 2,
         f"refused {INVALID} 0x0 not a wasmote package (bad magic): a bare wasm module"),
        (good[:10], f"refused {INVALID} 0xa truncated header"),
        (good[:-1], f"refused {INVALID} "),
        (good + b"\0" * 8, f"refused {INVALID} "),
        (good[:4] + b"\x02" + good[5:],
         f"refused {INVALID} 0x4 unsupported package format version"),
    ]
    idx = [(dev.install(0, data), exp) for data, exp in cases]
    dev.cmd(f"provision {pub_hex(KEY)}")
    run = dev.run()
    for i, exp in idx:
        assert run.lines[i].startswith(exp), (dev.script[i], run.lines[i])


def test_host_function_table_matches_capabilities_py(harness: Path, tmp_path: Path) -> None:
    letters = {"i32": "i", "i64": "I", "f32": "f", "f64": "F"}
    dev = Device(harness, tmp_path)
    i = dev.cmd("api")
    run = dev.run()
    device = {}
    for entry in run.lines[i].split():
        name, sig, cap = entry.split("/")
        device[name] = (sig, int(cap))
    host = {f.name: ("".join(letters[p] for p in f.params) + ":" +
                     "".join(letters[r] for r in f.results), int(f.kind or 0))
            for f in HOST_FUNCTIONS.values()}
    assert device == host
