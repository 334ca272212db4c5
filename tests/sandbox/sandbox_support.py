"""Builders and a runner for the device-side sandbox tests (not a test module).

Packages are made with the host library (`wasmote.package`) without stripping or the host's
link check, so the device sees exactly what a hostile sender could push.
"""

from __future__ import annotations

import hashlib
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from wasmote import posix_build
from wasmote.package.capabilities import parse_capabilities
from wasmote.package.container import Package
from wasmote.package.keys import public_key_bytes, sign_package
from wasmote.package.manifest import Limits, Manifest, Version

HERE = Path(__file__).resolve().parent
HOSTILE = HERE / "hostile"
GOLDEN = HERE.parent / "package" / "golden"
GOLDEN_PUB = "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))


def pub_hex(key: Ed25519PrivateKey) -> str:
    return public_key_bytes(key).hex()


def build_harness(variant: str = "asan") -> Path:
    prog = posix_build.Program("sandbox-harness", (str(HERE / "sandbox_harness.c"),
                                                   "src/port/posix/sim_periph.c"),
                               ("src/port/posix",))
    return posix_build.build_program(prog, variant)


def wat(name: str, tmp: Path) -> bytes:
    out = tmp / f"{name}.wasm"
    subprocess.run(["wat2wasm", str(HOSTILE / f"{name}.wat"), "-o", str(out)], check=True)
    return out.read_bytes()


def package(wasm: bytes, name: str, caps: list[str], *, version: str = "1.0.0",
            memory: int = 65536, fuel: int = 20000, kv: int = 0, stack: int = 8192,
            key: Ed25519PrivateKey | None = None, args: tuple[str, ...] = (),
            env: tuple[tuple[str, str], ...] = (), entry: str = "") -> bytes:
    manifest = Manifest(name=name, version=Version.parse(version), entry=entry,
                        capabilities=parse_capabilities(caps),
                        limits=Limits(memory_bytes=memory, stack_bytes=stack,
                                      fuel_per_slice=fuel, kv_bytes=kv), args=args, env=env)
    pkg = Package(manifest, wasm)
    if key is not None:
        pkg = sign_package(pkg, key)
    return pkg.to_bytes()


def rehash(data: bytes) -> bytes:
    """Recompute the content hash after a mutation and drop any signature."""
    clen = int.from_bytes(data[8:12], "little")
    if clen + 40 > len(data):
        return data
    return data[:clen + 8] + hashlib.sha256(data[:clen]).digest()


@dataclass
class Run:
    lines: list[str]   # one answer per command, log and output lines removed
    logs: list[str]
    outs: list[str] = field(default_factory=list)  # "out NAME FLAGS HEX": WASI output


class Device:
    """A script of harness commands, run in one process (one simulated device)."""

    def __init__(self, exe: Path, tmp: Path) -> None:
        self.exe = exe
        self.tmp = tmp
        self.script: list[str] = []
        self.n = 0

    def cmd(self, line: str) -> int:
        self.script.append(line)
        return len(self.script) - 1

    def install(self, slot: int, data: bytes) -> int:
        self.n += 1
        path = self.tmp / f"pkg{self.n}.wmp"
        path.write_bytes(data)
        return self.cmd(f"install {slot} {path}")

    def run(self) -> Run:
        proc = subprocess.run([str(self.exe)], input="\n".join(self.script) + "\n",
                              capture_output=True, text=True, timeout=120, check=False)
        assert proc.returncode == 0, f"harness crashed ({proc.returncode}):\n{proc.stderr}"
        out = proc.stdout.splitlines()
        lines = [ln for ln in out if not ln.startswith(("log ", "out "))]
        assert len(lines) == len(self.script), (self.script, out)
        return Run(lines, [ln for ln in out if ln.startswith("log ")],
                   [ln for ln in out if ln.startswith("out ")])
