"""The supervisor tests' modules: WAT in wat/, packaged with a manifest written here."""

from __future__ import annotations

import subprocess
from functools import cache
from pathlib import Path

from wasmote.package.build import build_package
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
    "crasher": (["sleep"], 'on_trap = "restart"\n'),
    "kvuser": (["kv"], ""),
    "talker": (["log"], ""),
}


@cache
def wasm(name: str) -> bytes:
    src = WAT / f"{'busy' if name == 'hog' else name}.wat"
    out = subprocess.run(["wat2wasm", str(src), "--output=-"], capture_output=True,
                         check=True)
    return out.stdout


def package(name: str, version: str = "1.0.0", autostart: bool = False) -> bytes:
    caps, extra = MANIFESTS[name]
    toml = (f'name = "{name}"\nversion = "{version}"\nautostart = {str(autostart).lower()}\n'
            f"capabilities = {caps!r}\n".replace("'", '"'))
    # top-level keys must come before [limits]
    head, _, limits = extra.partition("[limits]")
    manifest = parse_manifest_toml(toml + head + ("[limits]" + limits if limits else ""))
    return build_package(wasm(name), manifest, source=f"{name}.wat").package.to_bytes()
