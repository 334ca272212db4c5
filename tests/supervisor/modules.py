"""The supervisor tests' modules: WAT in wat/, packaged with a manifest written here."""

from __future__ import annotations

import subprocess
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from wasmote.device import protocol as p
from wasmote.package.build import build_package
from wasmote.package.container import parse_package
from wasmote.package.keys import sign_package
from wasmote.package.manifest import parse_manifest_toml

WAT = Path(__file__).resolve().parent / "wat"

# name -> (capabilities, extra manifest lines)
MANIFESTS: dict[str, tuple[list[str], str]] = {
    "blinker": (["gpio:led0", "time", "sleep", "log"], ""),
    "busy": ([], ""),
    "hog": ([], "[limits]\ncpu = 1000000\n"),  # the busy loop with a CPU budget
    "publisher": (["pubsub:t/*", "sleep"], ""),
    "subscriber": (["pubsub:t/*", "log"], ""),
    "strict_subscriber": (["pubsub:t/*", "log"], ""),
    "pubflood": (["pubsub:t/*"], ""),
    "slowsub": (["pubsub:t/*", "sleep", "log"], ""),
    "crasher": (["sleep"], 'on_trap = "restart"\n'),
    "kvuser": (["kv"], ""),
    "talker": (["log"], ""),
    "filler": (["kv"], ""),
    "rewriter": (["kv", "time", "sleep"], ""),
    "bigwriter": (["kv", "time", "sleep"], 'entry = "big"\n'),  # rewriter, 256-byte values
}


@cache
def wasm(name: str) -> bytes:
    src = WAT / f"{ {'hog': 'busy', 'bigwriter': 'rewriter'}.get(name, name)}.wat"
    out = subprocess.run(["wat2wasm", str(src), "--output=-"], capture_output=True,
                         check=True)
    return out.stdout


def package(name: str, version: str = "1.0.0", autostart: bool = False,
            called: str | None = None, limits: str = "") -> bytes:
    """Module `name` of wat/ packaged with its manifest, named `called` if given, with
    `limits` ("kv = 4096\n"...) added to the manifest's [limits]."""
    caps, extra = MANIFESTS[name]
    toml = (f'name = "{called or name}"\nversion = "{version}"\n'
            f"autostart = {str(autostart).lower()}\n"
            f"capabilities = {caps!r}\n".replace("'", '"'))
    if limits:
        extra = (extra if "[limits]" in extra else extra + "[limits]\n") + limits
    # top-level keys must come before [limits]
    head, _, limits = extra.partition("[limits]")
    manifest = parse_manifest_toml(toml + head + ("[limits]" + limits if limits else ""))
    return build_package(wasm(name), manifest, source=f"{name}.wat").package.to_bytes()


def signed(name: str, key: Ed25519PrivateKey, version: str = "1.0.0", *,
           autostart: bool = False, called: str | None = None, limits: str = "") -> bytes:
    """package(...) signed by `key`."""
    data = package(name, version, autostart=autostart, called=called, limits=limits)
    return sign_package(parse_package(data), key).to_bytes()


def i32(v: int) -> p.WireValue:
    return p.WireValue("i32", v & 0xFFFFFFFF)


def ints(values: list[p.WireValue]) -> list[int]:
    """i32 results as signed integers."""
    return [v.bits - (1 << 32) if v.bits & 0x80000000 else v.bits for v in values]
