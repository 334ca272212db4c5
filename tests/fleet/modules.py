"""The fleet tests' modules: WAT in wat/, packaged (and signed) with manifests written here."""

from __future__ import annotations

import subprocess
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from wasmote.package.build import build_package
from wasmote.package.keys import sign_package
from wasmote.package.manifest import parse_manifest_toml

WAT = Path(__file__).resolve().parent / "wat"

# name -> (wat file, capabilities)
MODULES: dict[str, tuple[str, list[str]]] = {
    # readings leave the device: bridge:out inside its pub/sub grant
    "sensor": ("sensor", ["pubsub:sensors/*", "bridge:out:sensors/*", "sleep"]),
    # the same kind of data, granted pub/sub but no bridge: none of it may leave
    "leaky": ("leaky", ["pubsub:sensors/*", "sleep"]),
    # commands in from the network, answers out
    "echo": ("echo", ["pubsub:commands/echo/*", "pubsub:sensors/echo",
                      "bridge:in:commands/echo/*", "bridge:out:sensors/echo"]),
    # subscribes to the same commands but was granted no bridge:in
    "deaf": ("echo", ["pubsub:commands/echo/*", "pubsub:sensors/echo",
                      "bridge:out:sensors/echo"]),
    "flood": ("flood", ["pubsub:sensors/*", "bridge:out:sensors/*"]),
    # the sensor's code without the bridge: what its publications cost when none leave
    "muted": ("sensor", ["pubsub:sensors/*", "sleep"]),
    # the fleet story's application: 1.0 runs quietly; 1.1 has a bug that traps as soon as
    # it sees a reading of `sensor`, so it traps on the devices that run it only
    "app-good": ("app_good", ["sleep"]),
    "app-bad": ("app_bad", ["pubsub:sensors/temp"]),
}


@cache
def wasm(wat: str) -> bytes:
    out = subprocess.run(["wat2wasm", str(WAT / f"{wat}.wat"), "--output=-"],
                         capture_output=True, check=True)
    return out.stdout


def package(name: str, version: str = "1.0.0", *, module: str | None = None,
            key: Ed25519PrivateKey | None = None, autostart: bool = True) -> bytes:
    """Module `name` of MODULES packaged as `module` (default: name) at `version`."""
    wat, caps = MODULES[name]
    toml = (f'name = "{module or name}"\nversion = "{version}"\n'
            f"autostart = {str(autostart).lower()}\n"
            f"capabilities = {caps!r}\n".replace("'", '"'))
    pkg = build_package(wasm(wat), parse_manifest_toml(toml), source=f"{wat}.wat").package
    return (sign_package(pkg, key) if key is not None else pkg).to_bytes()
