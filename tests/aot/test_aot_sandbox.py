"""AOT sections through the device's install path (core/sandbox: policy, then attach):
native code only from packages signed by a provisioned key, for this architecture and AOT
ABI; otherwise interpreted (or refused, as any unsigned package on a provisioned device).
A section compiled from another module is refused, at the commit's check (wm_sb_check)
also on an unprovisioned device (loading a committed image does not hash the module again);
a tampered one fails the hash. The C
side is tests/aot/c/aot_sandbox.c, built with ASan+UBSan against the whole core."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from tests.harness import c_harness
from wasmote import posix_build
from wasmote.aot.blob import ABI_VERSION, AotBlob
from wasmote.aot.compile import compile_wasm
from wasmote.aot.targets import get_target
from wasmote.package.container import AotCode, Package
from wasmote.package.keys import generate_private_key, public_key_bytes, sign_package
from wasmote.package.manifest import Limits, Manifest, Version

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def packages(aot_modules, host_target, tmp_path_factory):
    out = tmp_path_factory.mktemp("aot_sandbox")
    key = generate_private_key()
    (out / "signer.pub").write_bytes(public_key_bytes(key))
    wasm = (aot_modules / "loop.wasm").read_bytes()
    manifest = Manifest("loopy", Version(1, 0, 0), limits=Limits(fuel_per_slice=50))
    aot = AotCode(int(host_target.arch), ABI_VERSION,
                  (aot_modules / "loop.aot").read_bytes())
    pkg = Package(manifest, wasm, (aot,))
    (out / "signed.wmp").write_bytes(sign_package(pkg, key).to_bytes())
    (out / "unsigned.wmp").write_bytes(pkg.to_bytes())
    m4 = compile_wasm(wasm, get_target("cortex-m4")).aot
    (out / "otherarch.wmp").write_bytes(sign_package(replace(pkg, aot=(m4,)), key).to_bytes())
    other = AotCode(int(host_target.arch), ABI_VERSION,
                    (aot_modules / "traps.aot").read_bytes())
    (out / "mismatch.wmp").write_bytes(
        sign_package(replace(pkg, aot=(other,)), key).to_bytes())
    # the same code and tables, claiming other module bytes: only the module hash tells
    blob = AotBlob.decode(aot.code)
    wrong = replace(aot, code=replace(blob, module_hash=bytes(32)).encode())
    (out / "wronghash.wmp").write_bytes(
        sign_package(replace(pkg, aot=(wrong,)), key).to_bytes())
    data = bytearray(sign_package(pkg, key).to_bytes())
    at = data.find(aot.code[-64:])
    data[at + 10] ^= 0x40  # a code byte of the AOT section
    (out / "tampered.wmp").write_bytes(bytes(data))
    return out


def test_aot_install_policy(packages):
    exe = posix_build.build_program(
        posix_build.Program("aot_sandbox", (str(HERE / "c" / "aot_sandbox.c"),),
                            (str(c_harness.INCLUDE_DIR),)), "asan")
    proc = subprocess.run([str(exe), str(packages)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip().endswith("ok"), (
        proc.stdout[-3000:] + proc.stderr[-4000:])
