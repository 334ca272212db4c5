"""Shared builders for the package tests (not a test module)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from wasmote.package.capabilities import Capability, CapKind
from wasmote.package.container import AotCode, Package, RawSection
from wasmote.package.manifest import Limits, Manifest, Version

# A minimal valid module: magic + version, nothing else.
EMPTY_WASM = b"\x00asm\x01\x00\x00\x00"

BLINKY_WAT = """
(module
  (import "wasmote" "log" (func $log (param i32 i32) (result i32)))
  (import "wasmote" "gpio_write" (func $gw (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "hello")
  (func $unused (result i32) (i32.const 7))
  (func (export "run") (result i32)
    (drop (call $log (i32.const 0) (i32.const 5)))
    (call $gw (i32.const 0) (i32.const 1))))
"""

BLINKY_TOML = """
name = "blinky"
version = "1.2.3"
entry = "run"
capabilities = ["log", "gpio:led0"]

[limits]
memory = "64KiB"
fuel = 5000
"""


def wat_to_wasm(text: str, tmp: Path) -> bytes:
    wat2wasm = shutil.which("wat2wasm")
    assert wat2wasm, "wat2wasm (wabt) is installed by scripts/bootstrap.sh"
    src = tmp / "m.wat"
    out = tmp / "m.wasm"
    src.write_text(text)
    subprocess.run([wat2wasm, "--debug-names", str(src), "-o", str(out)], check=True)
    return out.read_bytes()


def sample_manifest(**changes: object) -> Manifest:
    fields: dict[str, object] = dict(
        name="sensor-1", version=Version(2, 0, 1),
        capabilities=(Capability(CapKind.LOG), Capability(CapKind.KV),
                      Capability(CapKind.GPIO, "led0"), Capability(CapKind.PUBSUB, "sensors/*")),
        limits=Limits(memory_bytes=131072, stack_bytes=4096, fuel_per_slice=777, kv_bytes=2048),
        entry="main", autostart=True)
    fields.update(changes)
    return Manifest(**fields)  # type: ignore[arg-type]


def sample_package(aot: bool = True) -> Package:
    return Package(manifest=sample_manifest(), module=EMPTY_WASM + b"\x00\x04name\x00",
                   aot=(AotCode(1, 1, b"\x70\x47" * 5),) if aot else (),
                   extra=(RawSection(0x42, 0x01, b"future"),) if aot else ())
