"""Broken and hostile AOT images for the MPU isolation tests (signed like genuine ones: the
signer vouches for them, the MPU must still contain them):

- scribbler: wat/scribbler.wat compiled by the real AOT compiler with bounds checks left out
  (as a compiler bug would), so its stores reach past its memory;
- hostile: wat/hostile.wat with a hand-written native payload in place of the compiled one:
  each export reads, writes or jumps to an absolute address, moves its stack pointer, or makes
  a supervisor call of its own. The payload claims to be ordinary checked code.
"""

from __future__ import annotations

import hashlib
import subprocess
from functools import cache

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.supervisor.modules import WAT
from wasmote.aot.blob import ABI_VERSION, AotBlob, ctx_size
from wasmote.aot.compile import compile_wasm
from wasmote.aot.link import build_image
from wasmote.aot.package import with_aot
from wasmote.aot.targets import compiler_for, get_target
from wasmote.aot.translate import sig_hash
from wasmote.package.build import build_package
from wasmote.package.container import AotCode, parse_package
from wasmote.package.keys import sign_package
from wasmote.package.manifest import parse_manifest_toml
from wasmote.wasm.reader import read_module

HOSTILE_C = r"""
#define WM_AOT_FUEL 0
#include "wm_aot_prelude.h"
typedef void (*fn_t)(void);
/* peek(addr) */
WM_ENTRY void wm_e0(wm_aot_ctx *c, u64 *io)
{ (void)c; io[0] = *(volatile u32 *)(uintptr_t)(u32)io[0]; }
/* poke(addr, v) */
WM_ENTRY void wm_e1(wm_aot_ctx *c, u64 *io)
{ (void)c; *(volatile u32 *)(uintptr_t)(u32)io[0] = (u32)io[1]; }
/* jump(addr) */
WM_ENTRY void wm_e2(wm_aot_ctx *c, u64 *io)
{ (void)c; ((fn_t)(uintptr_t)((u32)io[0] | 1u))(); }
/* smash(addr): the stack pointer there, then wait for an interrupt to stack onto it */
WM_ENTRY void wm_e3(wm_aot_ctx *c, u64 *io)
{ (void)c; __asm__ volatile("mov sp, %0\n1: b 1b" : : "r"((u32)io[0])); }
/* svc() */
WM_ENTRY void wm_e4(wm_aot_ctx *c, u64 *io)
{ (void)c; (void)io; __asm__ volatile("svc #0" ::: "memory"); }
/* ok(x) = x + 1 */
WM_ENTRY void wm_e5(wm_aot_ctx *c, u64 *io)
{ (void)c; io[0] = (u32)io[0] + 1u; }
/* spin(): a loop without a fuel check, never back to the runtime */
WM_ENTRY void wm_e6(wm_aot_ctx *c, u64 *io)
{ (void)c; (void)io; __asm__ volatile("1: b 1b"); }
"""


def _wasm(name: str) -> bytes:
    out = subprocess.run(["wat2wasm", str(WAT / f"{name}.wat"), "--output=-"],
                         capture_output=True, check=True)
    return out.stdout


def _package(name: str, wasm: bytes, caps: list[str], memory: str = "64KiB") -> bytes:
    toml = (f'name = "{name}"\nversion = "1.0.0"\ncapabilities = {caps!r}\n'
            f'[limits]\nmemory = "{memory}"\n').replace("'", '"')
    return build_package(wasm, parse_manifest_toml(toml),
                         source=f"{name}.wat").package.to_bytes()


def scribbler(key: Ed25519PrivateKey, target: str = "cortex-m4",
              checks: bool = False) -> bytes:
    pkg = parse_package(_package("scribbler", _wasm("scribbler"), ["sleep"]))
    aot = compile_wasm(pkg.module, get_target(target), bounds_checks=checks).aot
    return sign_package(with_aot(pkg, [aot]), key).to_bytes()


def _hostile_package() -> bytes:
    return _package("hostile", _wasm("hostile"), [])


@cache
def hostile_aot(target: str = "cortex-m4") -> AotCode:
    """A payload whose entries are HOSTILE_C's functions, for the package's module."""
    wasm = parse_package(_hostile_package()).module
    mod = read_module(wasm)
    tgt = get_target(target)
    n = len(mod.funcs)
    image = build_image(HOSTILE_C, tgt, compiler_for(tgt, None), tuple(range(n)))
    types = tuple(sig_hash(mod.types[f.type_idx]) for f in mod.funcs)
    blob = AotBlob(0, ctx_size(tgt.ptr_bytes), mod.num_imported_funcs, image.frame,
                   hashlib.sha256(wasm).digest(), tuple(image.entries[j] for j in range(n)),
                   types, image.code, image.align)
    return AotCode(int(tgt.arch), ABI_VERSION, blob.encode())


def hostile(key: Ed25519PrivateKey, target: str = "cortex-m4") -> bytes:
    pkg = parse_package(_hostile_package())
    return sign_package(with_aot(pkg, [hostile_aot(target)]), key).to_bytes()
