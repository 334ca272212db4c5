"""The modules of the fuel tests (issue 14, item 4): what made a slice unbounded before fuel
was charged by work. Assembled with bench/fuel_probes.py (it writes what a compiler never
would: 140 KB of straight-line code, a function with more locals than one check point may
pay for). Packages are built directly (not through build_package, which refuses what the
device refuses: these must reach the device)."""

from __future__ import annotations

from bench.fuel_probes import F_LOG, F_MANY, A, Z, get, i32c, loop, module, uleb
from wasmote.package.container import Package
from wasmote.package.manifest import parse_manifest_toml
from wasmote.wasm import fuel

CAPS = '["log", "kv", "pubsub:t/*"]'


def _package(name: str, wasm: bytes, memory: str = "128KiB", stack: str = "320KiB") -> bytes:
    toml = (f'name = "{name}"\nversion = "1.0.0"\ncapabilities = {CAPS}\n'
            f'[limits]\nmemory = "{memory}"\nstack = "{stack}"\n')
    return Package(parse_manifest_toml(toml), wasm).to_bytes()


def straight() -> bytes:
    """One loop turn of 140 KB of straight-line code (it was 1 unit of fuel)."""
    body = (get(A) + b"\x1a") * (140 * 1024 // 3)
    return _package("straight", module([("run", loop(body, 1))]))


def locals_over() -> bytes:
    """A function with more locals than one entry check point may pay for."""
    return _package("locals", module([("run", loop(b"\x10" + uleb(F_MANY), 1))],
                                     many=(fuel.REGION_MAX - fuel.ENTRY + 1) * fuel.LOCALS))


LOCALS = 30_000  # zeroed at entry: 3752 units (it was 1)


def attacker() -> bytes:
    """Exports fill(n) (n x memory.fill of 64 KiB), flood(n) (n log lines of 128 bytes),
    deep(n) (n calls of a function with LOCALS locals) and spin(n) (an empty loop)."""
    fill = get(Z) + get(A) + i32c(1 << 16) + b"\xfc\x0b\x00"
    flood = get(Z) + i32c(128) + b"\x10" + uleb(F_LOG) + b"\x1a"
    return _package("attacker", module([("fill", loop(fill, 1)), ("flood", loop(flood, 1)),
                                        ("deep", loop(b"\x10" + uleb(F_MANY), 1)),
                                        ("spin", loop(b"", 1))], many=LOCALS))


def forever(name: str, what: str) -> bytes:
    """`what` (fill, flood or deep) for ever, from _start: a started module."""
    fill = get(Z) + get(A) + i32c(1 << 16) + b"\xfc\x0b\x00"
    flood = get(Z) + i32c(128) + b"\x10" + uleb(F_LOG) + b"\x1a"
    snippet = {"fill": fill, "flood": flood, "deep": b"\x10" + uleb(F_MANY)}[what]
    return _package(name, module([("run", loop(snippet, 1))], many=LOCALS, start=True))
