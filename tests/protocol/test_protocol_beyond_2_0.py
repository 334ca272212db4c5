"""A module built with a feature beyond WebAssembly 2.0 that reaches a device anyway (a
package crafted past the host's checks, `push --no-host-check`) is refused there naming the
feature at the byte the host tools name, within the protocol's vocabulary (INVALID_MODULE,
"invalid module at 0x..: <spec message> (<feature>: a feature beyond WebAssembly 2.0)");
before, the device said only "illegal opcode". The module installed under that name stays
and still runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_invoke import assert_one_error_line, run_cli
from tests.harness.posix_device import PosixDevice
from tests.harness.spec_driver import Answer, DriverProcess
from tests.sandbox.sandbox_support import package
from tests.wasm.test_wasm_features import CASES, HEADER, _module, _sec
from wasmote import posix_build
from wasmote.device.client import DeviceClient
from wasmote.device.errors import DeviceRefused
from wasmote.device.protocol import Status, WireValue
from wasmote.device.transport import SerialTransport
from wasmote.wasm.errors import WasmError
from wasmote.wasm.reader import read_module
from wasmote.wasm.validator import validate_module

BEYOND = ": a feature beyond WebAssembly 2.0"
# The host's cases and a few more shapes other toolchains emit.
MORE = [
    ("custom page sizes", _module(memory=b"\x01\x08\x01\x00"), "integer too large"),
    ("typed function references", HEADER + _sec(4, b"\x01\x64\x70\x00\x01"),
     "malformed reference type"),
    ("SIMD (v128)", _module(b"\x02\x7b\x00\x0b"), "malformed value type"),  # block (result v128)
    ("tail calls", _module(b"\x41\x00\x13\x00\x00"), "illegal opcode"),  # return_call_indirect
    ("exception handling (exnref)", _module(locals_=b"\x01\x01\x69"), "malformed value type"),
    # what binaryen's -ttf emits with reference types enabled: an anyref global, local
    ("GC (reference types)", _module(extra=_sec(6, b"\x01\x6e\x01\xd0\x6e\x0b")),
     "malformed value type"),
    ("GC (reference types)", _module(locals_=b"\x01\x02\x6d"), "malformed value type"),
    # Emscripten -fwasm-exceptions: import env.__cpp_exception, a tag; an exported tag
    ("exception handling (tags)",
     HEADER + _sec(1, b"\x01\x60\x01\x7f\x00")
     + _sec(2, b"\x01\x03env\x0f__cpp_exception\x04\x00\x00"), "malformed import kind"),
    ("exception handling (tags)", _module(extra=_sec(7, b"\x01\x01t\x04\x00")),
     "malformed export kind"),
]
ALL = CASES + MORE
# () -> (i32 42), exported as "f"
GOOD = bytes.fromhex("0061736d01000000" "010501600001 7f" "03020100" "070501016600 00"
                     "0a06010400412a0b".replace(" ", ""))


def _host_says(wasm: bytes) -> WasmError:
    with pytest.raises(WasmError) as e:
        validate_module(read_module(wasm))
    return e.value


def test_the_runtime_names_the_feature_at_the_hosts_offset(tmp_path: Path) -> None:
    with DriverProcess(posix_build.build_program("wasmote-spec", "release")) as d:
        for i, (feature, wasm, spec) in enumerate(ALL):
            host = _host_says(wasm)
            assert host.message.startswith(spec), (feature, host.message)
            assert f"({feature}: a feature beyond" in host.message, (feature, host.message)
            path = tmp_path / f"m{i}.wasm"
            path.write_bytes(wasm)
            a = Answer.parse(d.command(f"probe {d.module_source(path)}"))
            assert a.kind == "error" and a.error_kind in ("malformed", "invalid"), (feature, a)
            # an alignment: the host names the load, the device its memory argument
            at = host.offset + spec.startswith("alignment")
            assert (a.offset, a.message.split(" (")[0]) == (at, spec.split(",")[0]), \
                (feature, a.raw, host.offset)
            assert a.message.endswith(f" ({feature}{BEYOND})"), (feature, a.raw)


def test_a_component_is_named_on_the_device_too(device: PosixDevice, tmp_path: Path) -> None:
    path = tmp_path / "c.wasm"
    path.write_bytes(b"\0asm\x0d\x00\x01\x00")
    assert_one_error_line(run_cli("push", str(path), "--no-host-check", "--port", device.url),
                          "invalid module at 0x4: unknown binary version (WebAssembly "
                          "components" + BEYOND + ") (INVALID_MODULE)")


def test_a_2_0_refusal_names_no_feature(tmp_path: Path) -> None:
    path = tmp_path / "ff.wasm"
    path.write_bytes(_module(b"\xff"))
    with DriverProcess(posix_build.build_program("wasmote-spec", "release")) as d:
        assert Answer.parse(d.command(f"probe {d.module_source(path)}")).message \
            == "illegal opcode"


def _keeps_running(c: DeviceClient) -> None:
    assert [m.name for m in c.modules()] == ["app"]
    assert c.run("app", "f", []) == [WireValue("i32", 42)]


def test_the_device_refuses_past_the_host_and_keeps_what_it_had(device: PosixDevice,
                                                                 tmp_path: Path) -> None:
    c = DeviceClient(SerialTransport(device.url))
    try:
        c.push("app", package(GOOD, "app", []))
        _keeps_running(c)
        for feature, wasm, spec in ALL:
            pkg = package(wasm, "app", [])
            at = pkg.index(b"\0asm") + _host_says(wasm).offset + spec.startswith("alignment")
            with pytest.raises(DeviceRefused) as e:
                c.push("app", pkg)
            assert e.value.status == Status.INVALID_MODULE
            assert e.value.message.startswith(f"invalid module at {at:#x}: {spec.split(',')[0]}")
            assert e.value.message.endswith(f" ({feature}{BEYOND})"), e.value.message
        _keeps_running(c)
    finally:
        c.transport.close()
    feature, wasm, spec = CASES[3]  # tail calls, through the CLI
    path = tmp_path / "tail.wmp"
    path.write_bytes(package(wasm, "app", []))
    assert_one_error_line(run_cli("push", str(path), "--no-host-check", "--port", device.url),
                          f"illegal opcode ({feature}{BEYOND}) (INVALID_MODULE)")


@pytest.mark.qemu
def test_a_cortex_m_board_says_the_same_and_runs_a_deep_switch(tmp_path: Path) -> None:
    """The product firmware on mps2-an386 (32-bit, the frames 48 bytes): the same refusal,
    and a C switch of 1000 cases (1001 nested blocks) installs and runs as on wasmtime."""
    import subprocess

    import wasmtime

    from tests.campaigns.test_foreign_shapes import switch_of
    from tests.protocol.test_protocol_qemu import booted

    (tmp_path / "sw.wat").write_text(switch_of(1000))
    subprocess.run(["wat2wasm", str(tmp_path / "sw.wat"), "-o", str(tmp_path / "sw.wasm")],
                   check=True)
    sw = (tmp_path / "sw.wasm").read_bytes()
    store = wasmtime.Store()
    f = wasmtime.Instance(store, wasmtime.Module(store.engine, sw), []).exports(store)["f"]
    with booted("mps2-an386", timeout=10.0) as c:
        c.push("app", package(GOOD, "app", []))
        feature, wasm, spec = CASES[3]
        pkg = package(wasm, "app", [])
        with pytest.raises(DeviceRefused) as e:
            c.push("app", pkg)
        at = pkg.index(b"\0asm") + _host_says(wasm).offset
        assert (e.value.status, e.value.message) == (
            Status.INVALID_MODULE, f"invalid module at {at:#x}: {spec} ({feature}{BEYOND})")
        _keeps_running(c)
        c.push("sw", package(sw, "sw", []))
        for k in (0, 500, 999, 5000):
            want = f(store, k) & 0xFFFFFFFF  # type: ignore[operator]
            assert c.run("sw", "f", [WireValue("i32", k)]) == [WireValue("i32", want)]
