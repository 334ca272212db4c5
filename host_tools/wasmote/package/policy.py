"""The device's install policy (docs/security.md) as a reference model on the host.

The firmware implements this in C (core/sandbox/policy.c); this model states the same rules
executably: signature policy by provisioning state, version pinning against replay, and
when AOT native code may be used. tests/sandbox/test_sandbox_package.py holds the two
together (the device's install decision on golden and mutated packages against
check_install). `wasmote verify` checks only hash, signature and trusted key (keys.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from wasmote.package.container import AotCode, Package
from wasmote.package.errors import PackageError, SignatureError
from wasmote.package.keys import key_id, signature_valid, verify_package
from wasmote.package.manifest import Version


class InstallRefused(PackageError):
    """The device would refuse this package (other than for its signature)."""


@dataclass(frozen=True)
class Device:
    """What the policy needs to know about a device."""

    trusted_keys: Sequence[bytes] = ()           # provisioned Ed25519 public keys
    pinned: Mapping[str, Version] | None = None  # highest version installed, per name
    arch: int | None = None                      # AotArch of the device
    aot_abi: int | None = None                   # AOT ABI version the firmware runs
    # host only (`wasmote exec`'s posix device): unsigned native code runs unprovisioned
    aot_unsigned: bool = False


@dataclass(frozen=True)
class InstallDecision:
    aot: AotCode | None          # native code to use, or None: interpret the wasm
    notes: tuple[str, ...]       # what INFO / the install response should say


def check_install(pkg: Package, device: Device) -> InstallDecision:
    """Accept (returning what to run) or raise SignatureError / InstallRefused."""
    notes: list[str] = []
    provisioned = bool(device.trusted_keys)
    if provisioned:
        verify_package(pkg, list(device.trusted_keys))
        pinned = (device.pinned or {}).get(pkg.manifest.name)
        if pinned is not None and pkg.manifest.version < pinned:
            raise InstallRefused(f"{pkg.manifest.name}: version {pkg.manifest.version} is "
                                 f"older than the installed {pinned} (replay refused); rm "
                                 "keeps pins, provision clears")
    elif pkg.signature is None:
        notes.append("unprovisioned device: unsigned package accepted")
    elif not signature_valid(pkg):
        raise SignatureError(f"signature by key {key_id(pkg.signature.public_key)} does not "
                             f"verify")
    else:
        notes.append("unprovisioned device: signature not checked against any trusted key")

    aot = next((a for a in pkg.aot if a.arch == device.arch), None)
    if aot is not None and not provisioned and not device.aot_unsigned:
        notes.append("AOT code ignored: native code runs only from packages signed by a "
                     "provisioned key")
        aot = None
    elif aot is not None and aot.abi_version != device.aot_abi:
        notes.append(f"AOT code ignored: ABI version {aot.abi_version}, the firmware runs "
                     f"{device.aot_abi}")
        aot = None
    return InstallDecision(aot, tuple(notes))
