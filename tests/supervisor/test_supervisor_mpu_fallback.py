"""Native code the MPU cannot cover where it is stored (docs/aot.md, "Isolation by the MPU"):
PMSAv7 covers a section's code with two power-of-two regions and their subregions inside
the 4 KiB granules around it, so whether it can depends on the code's size and address.
A package whose code it cannot cover is accepted, its wasm runs instead, and the push's
answer says why; where it can, the code runs native. Before, such a push was accepted and
every call trapped.

The test predicts the device's decision from the image's address in the store (read back
from QEMU's RAM) with the firmware's own region arithmetic (mpu_cover.c, built for the
host), and checks the device decides the same, each time, at up to four addresses; at least
one of them must be one the MPU cannot cover."""

from __future__ import annotations

import ctypes
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.aot.mpu_cover_lib import build, v7_cover
from tests.package.helpers import wat_to_wasm
from tests.sim_client import past_banner
from tests.supervisor.modules import ints
from wasmote import sim
from wasmote.aot.blob import HEADER
from wasmote.aot.compile import compile_wasm
from wasmote.aot.package import with_aot
from wasmote.aot.targets import get_target
from wasmote.boards import load_board
from wasmote.device.client import DeviceClient
from wasmote.device.transport import SerialTransport
from wasmote.package.build import build_package
from wasmote.package.keys import public_key_bytes, sign_package
from wasmote.package.manifest import parse_manifest_toml

pytestmark = pytest.mark.qemu

BOARD = "mps2-an386"  # PMSAv7 (Cortex-M4F)
CODE_GRAIN = 4096     # aot_iso.c WM_AOT_ISO_CODE_GRAIN
NFUNCS, NLOADS = 12, 1000  # ~170 KB of Cortex-M4 code


def _big(tmp: Path) -> tuple[bytes, int]:
    """A module of NFUNCS functions of NLOADS checked loads each (xor'ed with distinct
    constants, so GCC can neither fold nor merge them) and the i32 its `sum` returns."""
    data = b"".join(j.to_bytes(4, "little") for j in range(NLOADS))
    funcs, total = [], 0
    for k in range(NFUNCS):
        body = []
        for j in range(NLOADS):
            c = k * 7919 + j * 31
            body.append(f"local.get 0 i32.load offset={4 * j} i32.const {c} i32.xor i32.add")
            total += j ^ c
        funcs.append(f"(func $f{k} (param i32) (result i32) i32.const 0 {' '.join(body)})")
    calls = " ".join(f"i32.const 0 call $f{k} i32.add" for k in range(NFUNCS))
    hexdata = "".join(f"\\{b:02x}" for b in data)
    wat = (f'(module (memory 1) (data (i32.const 0) "{hexdata}") {" ".join(funcs)} '
           f'(func (export "sum") (result i32) i32.const 0 {calls}))')
    total &= 0xFFFFFFFF
    return wat_to_wasm(wat, tmp), total - (1 << 32) if total >= 1 << 31 else total


def _package(wasm: bytes, version: str, key: Ed25519PrivateKey) -> tuple[bytes, bytes]:
    """The signed package with its Cortex-M4 code, and that code's section payload."""
    manifest = parse_manifest_toml(f'name = "big"\nversion = "{version}"\n')
    pkg = build_package(wasm, manifest, source="big.wat").package
    aot = compile_wasm(pkg.module, get_target("cortex-m4")).aot  # (the stripped module)
    return sign_package(with_aot(pkg, [aot]), key).to_bytes(), aot.code


def _coverable(lib: ctypes.CDLL, flash: bytes, store_base: int, payload: bytes) -> bool:
    """What the device decides for the stored payload: can two regions cover its code?"""
    at = flash.find(payload[:HEADER.size])
    assert at >= 0 and flash.find(payload[:HEADER.size], at + 1) < 0, "one stored copy"
    fields = HEADER.unpack(payload[:HEADER.size])
    code_off, code_size = fields[8], fields[9]
    base = store_base + at + code_off
    lo, hi = base & ~(CODE_GRAIN - 1), -(-(base + code_size) // CODE_GRAIN) * CODE_GRAIN
    return v7_cover(lib, base, code_size, lo, hi, 0, 2) is not None


def test_native_code_the_mpu_cannot_cover_runs_its_wasm_and_says_so(tmp_path: Path) -> None:
    lib = build(tmp_path)
    wasm, expected = _big(tmp_path)
    key = Ed25519PrivateKey.generate()
    store = load_board(BOARD).store
    flash_file = tmp_path / "store.bin"
    decided: list[bool] = []
    s = sim.launch(BOARD, flash=flash_file)
    try:
        line = SerialTransport(s.url, open_timeout=10.0)
        sim.restore_flash(s)  # (a fresh store: the file does not exist yet)
        c = DeviceClient(past_banner(line, BOARD), timeout=60.0)
        c.provision([public_key_bytes(key)])
        c.key = key
        for attempt in range(4):
            image, payload = _package(wasm, f"1.0.{attempt}", key)
            note = c.push("big", image).note
            s.save_flash(resume=True)  # the store as the device laid it out
            native = _coverable(lib, flash_file.read_bytes(), store.base, payload)
            if native:
                assert "MPU" not in note, note
            else:
                assert "the MPU's regions cannot cover its native code" in note, note
            # before: accepted, and this call trapped ("the MPU cannot cover ...")
            assert ints(c.run("big", "sum", [])) == [expected]
            decided.append(native)
            if not native:
                break
        c.transport.close()
    finally:
        s.stop()
    assert False in decided, (
        f"the code was coverable at every address tried ({decided}): grow NFUNCS")
