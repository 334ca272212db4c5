"""Desired state: a deployment says "fleet F, these devices, module M at version V from
the package with this SHA-256" (or "module M removed"), signed by a fleet key
(docs/fleet.md, "Deployments").

A deployment is the whole desired state of one module: the newest one a gateway accepted
for a module replaces the one before. `seq` increases with every message the operator
publishes for the fleet (a new rollout, its promotion to the rest, a halt), so a gateway
refuses a message whose `seq` is not above the one it holds for that module: the broker
cannot bring back an older deployment (replay). `stage` lists the devices of a staged
rollout's first step; once promoted (`staged` false) every targeted device converges.
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal

from wasmote.fleet.errors import FleetError
from wasmote.fleet.json_doc import Doc, canonical
from wasmote.fleet.topics import is_device_id, is_module_name, is_name, is_sha256

Action = Literal["install", "remove"]
MAX_SEQ = 2**53 - 1  # exact in every JSON reader
MAX_DEVICES = 1000   # explicit device lists (targets, a stage) in one message
MAX_PACKAGE = 16 * 1024 * 1024  # the package format's own limit
_VERSION_RE = re.compile(r"\d{1,5}\.\d{1,5}\.\d{1,5}")
_ROLLOUT_RE = re.compile(r"[0-9a-f]{16}")


def new_rollout_id() -> str:
    return secrets.token_hex(8)


def _is_version(text: str) -> bool:
    return bool(_VERSION_RE.fullmatch(text)) and all(int(x) <= 0xFFFF for x in text.split("."))


def version_tuple(text: str) -> tuple[int, int, int]:
    a, b, c = (int(x) for x in text.split("."))
    return a, b, c


@dataclass(frozen=True)
class Deployment:
    fleet: str
    module: str
    seq: int
    rollout: str                     # the rollout this message belongs to (16 hex digits)
    action: Action = "install"
    version: str = ""                # of the package ("" for a removal)
    sha256: str = ""                 # of the package, hex
    size: int = 0                    # of the package, bytes
    group: str = ""                  # targets: a gateway group ("" = the whole fleet) ...
    devices: tuple[str, ...] = ()    # ... or these device ids
    staged: bool = False             # True: only the devices in `stage` for now
    stage: tuple[str, ...] = ()
    percent: int = 100               # what the first stage was chosen as (for display)
    max_failures: int = 0            # more failures than this halt the rollout
    health_s: float = 10.0           # a module must run this long without a trap
    halted: bool = False             # stopped: no more installs of this rollout
    previous_version: str = ""       # what it replaces (what `fleet rollback` returns to)
    previous_sha256: str = ""
    rollback_of: str = ""            # the rollout this one rolls back, if any
    issued_at: int = 0               # unix seconds (informational)

    def __post_init__(self) -> None:
        self.check()

    def check(self) -> None:
        def bad(why: str) -> FleetError:
            return FleetError(f"deployment of {self.module!r}: {why}")

        if not is_name(self.fleet) or not is_module_name(self.module):
            raise bad("bad fleet or module name")
        if not 1 <= self.seq <= MAX_SEQ or not _ROLLOUT_RE.fullmatch(self.rollout):
            raise bad("bad seq or rollout id")
        if self.action not in ("install", "remove"):
            raise bad(f"unknown action {self.action!r}")
        if self.action == "install" and not (_is_version(self.version) and
                                             is_sha256(self.sha256) and
                                             0 < self.size <= MAX_PACKAGE):
            raise bad("an install needs a version, the package's sha256 and its size")
        if self.action == "remove" and (self.version or self.sha256 or self.size):
            raise bad("a removal names no package")
        if self.group and self.devices:
            raise bad("targets are a group or a list of devices, not both")
        if self.group and not is_name(self.group):
            raise bad(f"bad group name {self.group!r}")
        for ids in (self.devices, self.stage):
            if len(ids) > MAX_DEVICES or not all(is_device_id(d) for d in ids) or \
                    len(set(ids)) != len(ids):
                raise bad("device lists hold at most 1000 distinct ids of 32 hex digits")
        if not self.staged and self.stage:
            raise bad("a stage list without staged")
        if not 1 <= self.percent <= 100 or not 0 <= self.max_failures <= 1_000_000:
            raise bad("percent must be 1..100, max_failures 0..1000000")
        if not 0 <= self.health_s <= 3600:
            raise bad("health_s must be 0..3600 seconds")
        if self.previous_version and not _is_version(self.previous_version):
            raise bad("bad previous_version")
        if self.previous_sha256 and not is_sha256(self.previous_sha256):
            raise bad("bad previous_sha256")
        if self.rollback_of and not _ROLLOUT_RE.fullmatch(self.rollback_of):
            raise bad("bad rollback_of")

    # ---- targets ------------------------------------------------------------------------
    def targets(self, device_id: str, groups: Iterable[str]) -> bool:
        """Whether this deployment is for the device (whatever the stage)."""
        if self.devices:
            return device_id in self.devices
        return not self.group or self.group in groups

    def in_stage(self, device_id: str) -> bool:
        return not self.staged or device_id in self.stage

    def describe_targets(self) -> str:
        if self.devices:
            return f"{len(self.devices)} device(s)"
        return f"group {self.group}" if self.group else "the whole fleet"

    # ---- encoding -----------------------------------------------------------------------
    def to_payload(self) -> bytes:
        return canonical({
            "type": "deployment", "fleet": self.fleet, "module": self.module,
            "seq": self.seq, "rollout": self.rollout, "action": self.action,
            "version": self.version, "sha256": self.sha256, "size": self.size,
            "group": self.group, "devices": list(self.devices), "staged": self.staged,
            "stage": list(self.stage), "percent": self.percent,
            "max_failures": self.max_failures, "health_s": self.health_s,
            "halted": self.halted, "previous_version": self.previous_version,
            "previous_sha256": self.previous_sha256, "rollback_of": self.rollback_of,
            "issued_at": self.issued_at})

    @classmethod
    def from_payload(cls, payload: bytes) -> Deployment:
        d = Doc(payload, "deployment")
        if d.text("type") != "deployment":
            raise d.fail("type", "is not 'deployment'")
        action = d.text("action", lambda a: a in ("install", "remove"))
        try:
            dep = cls(
                fleet=d.text("fleet", is_name), module=d.text("module", is_module_name),
                seq=d.integer("seq", 1, MAX_SEQ), rollout=d.text("rollout"),
                action="install" if action == "install" else "remove",
                version=d.text("version", _is_version, allow_empty=True),
                sha256=d.text("sha256", is_sha256, allow_empty=True),
                size=d.integer("size", 0, MAX_PACKAGE), group=d.text("group", is_name,
                                                                      allow_empty=True),
                devices=d.texts("devices", is_device_id, MAX_DEVICES),
                staged=d.flag("staged"), stage=d.texts("stage", is_device_id, MAX_DEVICES),
                percent=d.integer("percent", 1, 100),
                max_failures=d.integer("max_failures", 0, 1_000_000),
                health_s=d.number("health_s", 0, 3600), halted=d.flag("halted"),
                previous_version=d.text("previous_version", _is_version, allow_empty=True),
                previous_sha256=d.text("previous_sha256", is_sha256, allow_empty=True),
                rollback_of=d.text("rollback_of", allow_empty=True),
                issued_at=d.integer("issued_at", 0, MAX_SEQ))
        except FleetError as e:
            raise d.fail("content", str(e)) from None
        d.done()
        return dep

    # ---- the operator's next messages ---------------------------------------------------
    def promoted(self, seq: int) -> Deployment:
        """The same rollout, now for every targeted device."""
        return replace(self, seq=seq, staged=False, stage=(), issued_at=int(time.time()))

    def stopped(self, seq: int) -> Deployment:
        """The same rollout, halted: no device installs it any more."""
        return replace(self, seq=seq, halted=True, issued_at=int(time.time()))


def first_stage(rollout: str, candidates: Iterable[str], percent: int) -> tuple[str, ...]:
    """The devices of a staged rollout's first step: `percent` of the candidates (at least
    one), chosen by a hash of the rollout id and the device id, so every run of a rollout
    picks the same ones and every new rollout others."""
    ids = sorted(set(candidates),
                 key=lambda d: hashlib.sha256(f"{rollout}/{d}".encode()).digest())
    if not ids:
        return ()
    return tuple(sorted(ids[:max(1, math.ceil(len(ids) * percent / 100))]))
