"""Checks before a push that save an upload the device would refuse or not need.

The device decides in the end (it checks everything again at PUSH_COMMIT); these only use
what INFO and LIST already say, so that a 100 KB unsigned package is not sent in full to
a provisioned device, an identical one is not sent at all, and a memory limit beyond the
device's module RAM is named before the upload, not at the first `start`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from wasmote.device import protocol as p
from wasmote.device.errors import DeviceError
from wasmote.package.build import check_entry
from wasmote.package.container import Package
from wasmote.wasm.reader import read_module


class PushRefused(DeviceError):
    """The device would refuse this push: said before sending it."""

    exit_code = 1


def already_installed(modules: list[p.ModuleEntry], name: str, data: bytes, autostart: bool
                      ) -> str | None:
    """A description of the installed module if it is byte-identical (name, sha-256 and
    autostart flag), else None."""
    sha = hashlib.sha256(data).digest()
    for m in modules:
        if m.name == name and m.sha256 == sha and m.size == len(data) \
                and m.autostart == autostart:
            return f"{m.size} bytes, sha256 {sha.hex()[:12]}, {m.state}"
    return None


def module_ram(info: p.DeviceInfo, modules: list[p.ModuleEntry]) -> int:
    """The device's module RAM: what is free plus what loaded modules hold."""
    return info.free_ram + sum(m.mem_bytes for m in modules if m.running)


def refuse_early(info: p.DeviceInfo, modules: list[p.ModuleEntry], name: str,
                 pkg: Package | None, source: Path, is_module: bool) -> None:
    """Raises PushRefused with the reason and the fix, or returns."""
    if info.keys and (is_module or (pkg is not None and pkg.signature is None)):
        what = "a bare .wasm module (which cannot be signed)" if is_module \
            else "an unsigned package"
        raise PushRefused(f"{source}: the device has {info.keys} signing key(s) provisioned "
                          f"and refuses {what}; nothing sent. Package and sign it: "
                          "wasmote package ... --key KEY (or `wasmote sign`)")
    if pkg is None:
        return
    check_entry(read_module(pkg.module), pkg.manifest, str(source))
    if not info.features & p.FEAT_SANDBOX:
        return
    lim = pkg.manifest.limits
    need = lim.memory_bytes + lim.stack_bytes
    have = module_ram(info, modules)
    if need > have:
        raise PushRefused(f"{source}: {name} asks for {need // 1024} KiB (memory "
                          f"{lim.memory_bytes // 1024} KiB + stack {lim.stack_bytes // 1024} "
                          f"KiB) but the device ({info.board}) has {have // 1024} KiB of "
                          "module RAM in all; nothing sent. Lower `memory`/`stack` in the "
                          "manifest")
