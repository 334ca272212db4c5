"""The host side under malformed input (hypothesis): the Python library and the CLI, given
damaged modules, packages and manifests and a device whose answers are damaged, never raise
anything but the documented errors (`WasmoteError` and its subclasses), and the CLI never
shows a traceback: it exits with one error line.

Inputs are mutations of real things: spec-suite and project modules, packages the library
builds (signed and unsigned) and the golden package, and answers a real posix device gave
(replayed by tests/campaigns/hostile_device.py with bytes flipped, cut, inserted, numbers
replaced by extremes, statuses changed, frames echoed, sequence numbers wrong, garbage in
between). The long run is `python -m tests.campaigns.host_fuzz --examples 3000`, which sets
WASMOTE_HOST_FUZZ_EXAMPLES; the figures go to build/campaigns/host_robustness.json.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.campaigns.common import CAMPAIGN_DIR, TcpTransport, spec_modules, wat_modules
from tests.campaigns.hostile_device import Answer, HostileDevice
from tests.campaigns.modules import tagged_module
from tests.harness.posix_device import PosixDevice
from wasmote.cli import main as cli
from wasmote.device import protocol as p
from wasmote.device.client import DeviceClient
from wasmote.device.errors import ProtocolError
from wasmote.errors import WasmoteError
from wasmote.package.capabilities import parse_capabilities
from wasmote.package.container import Package, parse_package
from wasmote.package.describe import describe, package_summary
from wasmote.package.keys import public_key_bytes, sign_package, verify_package
from wasmote.package.manifest import (
    Limits,
    Manifest,
    Version,
    decode_manifest,
    encode_manifest,
    parse_manifest_toml,
)
from wasmote.package.policy import Device, check_install
from wasmote.paths import REPO_ROOT
from wasmote.wasm.inspect import render_text, summarize
from wasmote.wasm.reader import read_module
from wasmote.wasm.strip import strip_bytes
from wasmote.wasm.validator import validate_module

EXAMPLES = int(os.environ.get("WASMOTE_HOST_FUZZ_EXAMPLES", "40"))
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
COUNTS: dict[str, dict[str, int]] = {}


def _count(surface: str, outcome: str) -> None:
    c = COUNTS.setdefault(surface, {})
    c[outcome] = c.get(outcome, 0) + 1


@pytest.fixture(scope="module", autouse=True)
def _save_counts() -> Iterator[None]:
    yield
    CAMPAIGN_DIR.mkdir(parents=True, exist_ok=True)
    (CAMPAIGN_DIR / "host_robustness.json").write_text(json.dumps(COUNTS, indent=2) + "\n")


def _documented(surface: str, fn: Any, *args: Any) -> Any:
    """Call fn; a documented error is fine (counted), anything else fails the test."""
    try:
        out = fn(*args)
    except WasmoteError as e:
        _count(surface, type(e).__name__)
        return None
    _count(surface, "ok")
    return out


# ---- real material --------------------------------------------------------------------------

def _modules() -> list[bytes]:
    out = [m.read_bytes() for m in wat_modules(CAMPAIGN_DIR / "host-wat")]
    out += [m.read_bytes() for m in spec_modules()[::60] if m.stat().st_size < 6000]
    out.append(tagged_module(7, 2000))
    return out


MODULES = _modules()
MANIFEST = Manifest(name="thermo", version=Version.parse("1.4.0"), entry="run",
                    capabilities=parse_capabilities(["log", "time", "kv", "gpio:led0",
                                                     "pubsub:sensors/*"]),
                    limits=Limits(memory_bytes=131072, kv_bytes=512))


def _packages() -> list[bytes]:
    out = [g.read_bytes() for g in sorted((REPO_ROOT / "tests/package/golden").glob("*.wmp"))]
    for wasm in MODULES[:6]:
        pkg = Package(MANIFEST, wasm)
        out += [pkg.to_bytes(), sign_package(pkg, KEY).to_bytes()]
    return out


PACKAGES = _packages()
TOML = """name = "thermo"
version = "1.4.0"
api = 1
entry = "run"
autostart = false
capabilities = ["log", "time", "kv", "gpio:led0", "pubsub:sensors/*"]

[limits]
memory = "64KiB"
stack = 8192
fuel = 100000
kv = 1024
"""


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes], rehash: bool = False) -> bytes:
    """A seed with 0-3 small damages; with `rehash`, packages sometimes get their content
    hash recomputed (and their signature dropped) so the damage reaches the manifest and
    module parsers behind the hash check."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(0, 3))):
        op = draw(st.sampled_from(["flip", "set", "cut", "insert", "delete", "u32"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "set" and data:
            data[pos] = draw(st.integers(0, 255))
        elif op == "cut":
            del data[pos:]
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete" and data:
            del data[pos:pos + draw(st.integers(1, 16))]
        elif op == "u32" and len(data) >= pos + 4:
            v = draw(st.sampled_from([0, 1, 0x7F, 0xFF, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF]))
            data[pos:pos + 4] = struct.pack("<I", v)
    if rehash and len(data) >= 16 and draw(st.booleans()):
        clen = int.from_bytes(data[8:12], "little")
        if 16 <= clen <= len(data):
            data = data[:clen] + b"\x80\0\0\0\x20\0\0\0" + hashlib.sha256(data[:clen]).digest()
    return bytes(data)


# ---- the library ----------------------------------------------------------------------------

def _wasm_pipeline(data: bytes) -> None:
    mod = read_module(data)
    render_text(summarize(mod, len(data)))
    validate_module(mod)
    strip_bytes(data)
    from wasmote.package.build import build_package
    build_package(data, MANIFEST, "fuzz.wasm")


@settings(max_examples=EXAMPLES * 4, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated(MODULES))
def test_library_on_malformed_modules(data: bytes) -> None:
    _documented("library: modules", _wasm_pipeline, data)


def _package_pipeline(data: bytes) -> None:
    pkg = parse_package(data, "fuzz.wmp")
    describe(pkg, "fuzz.wmp")
    package_summary(pkg, [public_key_bytes(KEY)])
    check_install(pkg, Device())
    check_install(pkg, Device(trusted_keys=(public_key_bytes(KEY),),
                              pinned={"thermo": Version.parse("1.3.0")}, arch=3, aot_abi=1))
    if pkg.signature is not None:
        verify_package(pkg, [public_key_bytes(KEY)])


@settings(max_examples=EXAMPLES * 4, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated(PACKAGES, rehash=True))
def test_library_on_malformed_packages(data: bytes) -> None:
    _documented("library: packages", _package_pipeline, data)




@settings(max_examples=EXAMPLES * 2, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(mutated([TOML.encode()]), mutated([encode_manifest(MANIFEST)]))
def test_library_on_malformed_manifests(toml: bytes, binary: bytes) -> None:
    _documented("library: manifests", parse_manifest_toml,
                toml.decode("utf-8", "replace"), "fuzz.toml")
    _documented("library: manifests", decode_manifest, binary, 0, "fuzz.wmp")


# ---- a device that lies -------------------------------------------------------------------------

class _Recorder:
    def __init__(self, inner: TcpTransport) -> None:
        self.inner, self.description, self.baud = inner, inner.description, inner.baud
        self.dec = p.FrameDecoder()
        self.bodies: dict[int, bytes] = {}

    def write(self, data: bytes) -> None:
        self.inner.write(data)

    def read(self, timeout: float) -> bytes:
        data = self.inner.read(timeout)
        for f in self.dec.feed(data):
            if f.type == p.FrameType.RESPONSE and f.status == 0:
                self.bodies[int(f.msg)] = f.body
        return data

    def close(self) -> None:
        self.inner.close()


@pytest.fixture(scope="module")
def real_answers(tmp_path_factory: pytest.TempPathFactory) -> dict[int, bytes]:
    """Real answer bodies, one per message, from the posix device."""
    with PosixDevice(tmp_path_factory.mktemp("dev") / "flash.bin", variant="asan") as dev:
        rec = _Recorder(TcpTransport(dev.url))
        c = DeviceClient(rec, timeout=2.0)
        c.info()
        c.push("m", tagged_module(9, 3000))
        c.push("pkg", Package(Manifest("pkg", Version.parse("1.0.0"), entry="id"),
                              tagged_module(3, 500)).to_bytes())
        c.modules()
        c.run("m", "id", [])
        c.start("pkg")
        c.logs()
        c.remove("m")
        c.transport.close()
    assert {p.Msg.INFO, p.Msg.PUSH_BEGIN, p.Msg.PUSH_CHUNK, p.Msg.LIST, p.Msg.RUN} <= \
        set(rec.bodies)
    return rec.bodies


@pytest.fixture(scope="module")
def liar() -> Iterator[HostileDevice]:
    dev = HostileDevice()
    yield dev
    dev.close()


@st.composite
def answer_scripts(draw: st.DrawFn, real: dict[int, bytes]) -> list[Answer]:
    """Answers for the next requests: a real body of the request's kind or of another kind,
    mutated, with a status, and sometimes junk or a damaged event before it."""
    out = []
    for _ in range(draw(st.integers(0, 14))):
        kind = draw(st.sampled_from(["answer"] * 6 + ["silent", "wrong_seq", "request_echo"]))
        body = draw(mutated(list(real.values()))) if draw(st.booleans()) else b"\x00"
        status = draw(st.sampled_from([0] * 12 + [1, 4, 7, 8, 12, 16, 17, 99, 0xFFFF]))
        before = draw(st.sampled_from([
            b"", b"\x00\x00", b"\xff" * 40 + b"\x00",
            p.Frame(p.FrameType.EVENT, p.Msg.LOG if hasattr(p.Msg, "LOG") else 0x81, 1, 0,
                    draw(st.binary(max_size=40))).encode(),
        ]))
        out.append(Answer(kind, status, body if kind != "answer" or draw(st.booleans())
                          else draw(mutated(list(real.values()))), before))
    return out


OPS = ["info", "modules", "push", "push_pkg", "run", "logs", "remove", "start", "stop",
       "reset"]


def _client_op(c: DeviceClient, op: str, arg: int) -> None:
    if op == "info":
        c.info()
    elif op == "modules":
        c.modules()
    elif op == "push":
        c.push("m", tagged_module(arg, 2500))
    elif op == "push_pkg":
        c.push("pkg", PACKAGES[arg % len(PACKAGES)])
    elif op == "run":
        c.run("m", "f", [p.WireValue("i32", arg), p.WireValue("f64", arg << 40)], timeout=0.1)
    elif op == "logs":
        c.logs()
    elif op == "remove":
        c.remove("m")
    elif op == "start":
        c.start("m")
    elif op == "stop":
        c.stop("m")
    else:
        c.reset()


def test_the_liar_answers_like_a_device(liar: HostileDevice,
                                        real_answers: dict[int, bytes]) -> None:
    """The hostile device really answers (a scripted real INFO decodes), so the test below
    is not just timing out."""
    liar.script([Answer("answer", 0, real_answers[p.Msg.INFO])])
    c = DeviceClient(TcpTransport(liar.url), timeout=30.0, retries=0)  # (it answers at once)
    try:
        assert c.info().protocol_version == 1
    finally:
        c.transport.close()


@settings(max_examples=EXAMPLES * 2, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_library_on_malformed_device_answers(liar: HostileDevice,
                                             real_answers: dict[int, bytes],
                                             data: st.DataObject) -> None:
    liar.script(data.draw(answer_scripts(real_answers)))
    ops = data.draw(st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 1 << 20)),
                             min_size=1, max_size=3))
    c = DeviceClient(TcpTransport(liar.url), timeout=0.05, retries=1, slow_timeout=0.05)
    try:
        for op, arg in ops:
            _documented(f"library: device answers ({op})", _client_op, c, op, arg)
    finally:
        c.transport.close()


# ---- the CLI ------------------------------------------------------------------------------------

def _cli(args: list[str], surface: str) -> None:
    r = CliRunner().invoke(cli, args)
    # a documented failure is a clean exit with one line, never an escaping exception
    assert r.exception is None or isinstance(r.exception, SystemExit), \
        f"{args}: {type(r.exception).__name__}: {r.exception}\n{r.output}"
    assert "Traceback" not in r.output, r.output
    if r.exit_code != 0:
        last = r.output.strip().splitlines()[-1] if r.output.strip() else ""
        assert last, f"{args}: exit {r.exit_code} without a message"
    _count(surface, "ok" if r.exit_code == 0 else f"exit {r.exit_code}")


@pytest.fixture(scope="module")
def key_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("keys")
    r = CliRunner().invoke(cli, ["keys", "generate", "-o", str(d / "k")])
    assert r.exit_code == 0, r.output
    (d / "m.toml").write_text(TOML)
    return d


@settings(max_examples=max(8, EXAMPLES // 4), deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(module=mutated(MODULES), package=mutated(PACKAGES, rehash=True),
       toml=mutated([TOML.encode()]))
def test_cli_on_malformed_files(key_files: Path, tmp_path_factory: pytest.TempPathFactory,
                                module: bytes, package: bytes, toml: bytes) -> None:
    d = tmp_path_factory.mktemp("cli")
    (d / "m.wasm").write_bytes(module)
    (d / "p.wmp").write_bytes(package)
    (d / "bad.toml").write_bytes(toml)
    k = key_files
    # (exec gets a fuel budget: without one it runs a looping module as long as it loops)
    for args in (["inspect", "m.wasm"], ["inspect", "p.wmp"], ["validate", "m.wasm"],
                 ["strip", "m.wasm", "-o", "s.wasm"],
                 ["package", "m.wasm", "-m", str(k / "m.toml"), "-o", "o.wmp"],
                 ["package", "m.wasm", "-m", "bad.toml", "-o", "o.wmp"],
                 ["verify", "p.wmp", "--pubkey", str(k / "k.pub")],
                 ["sign", "p.wmp", "--key", str(k / "k.key")],
                 ["exec", "m.wasm", "--invoke", "run", "--fuel", "1000000"]):
        args = [str(d / a) if a.endswith((".wasm", ".wmp", ".toml")) and "/" not in a else a
                for a in args]
        _cli(args, f"cli: {args[0]}")
    shutil.rmtree(d)


@settings(max_examples=max(8, EXAMPLES // 5), deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_cli_on_malformed_device_answers(liar: HostileDevice, real_answers: dict[int, bytes],
                                         tmp_path_factory: pytest.TempPathFactory,
                                         data: st.DataObject) -> None:
    liar.script(data.draw(answer_scripts(real_answers)))
    d = tmp_path_factory.mktemp("clidev")
    (d / "m.wasm").write_bytes(tagged_module(5, 1500))
    link = ["--port", liar.url, "--timeout", "0.1"]
    # (run and push ping first, but a device that answers INFO and then goes silent makes
    # them wait 30 s / 10 s per try: the library test above drives them with short timeouts)
    args = data.draw(st.sampled_from([
        ["info"], ["ls"], ["rm", "m"], ["logs"], ["reset"], ["stop", "m"], ["start", "m"],
    ]))
    _cli([*args, *link], f"cli: device {args[0]}")
    shutil.rmtree(d)


def _list_page(total: int, names: list[str]) -> bytes:
    """A LIST answer: total, then one entry per name (idle, nothing loaded)."""
    body = struct.pack("<HB", total, len(names))
    for n in names:
        body += struct.pack("<III", 10, 0, 1) + bytes(32) + p.str8(n) + bytes(2)
        body += struct.pack("<HHHIIHII", 0, 0, 0, 0, 0, 0, 0, 0) + p.str8("")
    return body


def test_ls_is_bounded_by_the_protocol_not_by_the_device(liar: HostileDevice,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    """Issue 14, item 14: a device claiming 65535 modules, one per page, made `ls` do a
    round trip per claimed module. The host now refuses more than LIST_MAX at once and a
    page that does not add up, so a listing costs at most LIST_MAX round trips."""
    many = [Answer("answer", 0, _list_page(0xFFFF, [f"m{i}"])) for i in range(50)]
    liar.script(many)
    c = DeviceClient(TcpTransport(liar.url), timeout=30.0, retries=0)  # (it answers at once)
    before = liar.requests
    try:
        with pytest.raises(ProtocolError, match="claims 65535 modules, more than the "
                                                "protocol allows"):
            c.modules()
        assert liar.requests - before == 1
        # within the bound: one per page is slow but finite, and a page past the total fails
        liar.script([Answer("answer", 0, _list_page(3, [f"m{i}"])) for i in range(3)])
        assert [m.name for m in c.modules()] == ["m0", "m1", "m2"]
        liar.script([Answer("answer", 0, _list_page(2, ["a", "b", "c"]))])
        with pytest.raises(ProtocolError, match="sent 3 modules after saying it has 2"):
            c.modules()
        liar.script([Answer("answer", 0, _list_page(3, ["a"])),
                     Answer("answer", 0, _list_page(4, ["b"]))])
        with pytest.raises(ProtocolError, match="changed while it was read"):
            c.modules()
    finally:
        c.transport.close()
    liar.script(many)
    # straight to the liar: a relay another test left on its port would hold the line
    monkeypatch.setenv("WASMOTE_RELAY", "0")
    r = CliRunner().invoke(cli, ["ls", "--port", liar.url, "--timeout", "30"])
    assert r.exit_code != 0 and "more than the protocol allows (64)" in r.output
