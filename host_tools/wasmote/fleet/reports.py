"""What gateways publish about their devices (docs/fleet.md, "Reports"): JSON documents
that readers check field by field (a gateway may be compromised; it can lie about its own
devices, but cannot make an operator's tool crash or print control characters)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal

from wasmote.fleet.errors import MessageRejected
from wasmote.fleet.json_doc import Doc, canonical
from wasmote.fleet.topics import is_device_id, is_module_name, is_name, is_sha256

# A device's progress toward a deployment; the last three are final for a rollout.
Status = Literal["waiting", "installing", "verifying", "healthy", "failed", "removed",
                 "halted"]
STATUSES: tuple[Status, ...] = ("waiting", "installing", "verifying", "healthy", "failed",
                                "removed", "halted")
FINAL: frozenset[str] = frozenset({"healthy", "failed", "removed"})
MAX_MODULES = 64  # LIST_MAX
_TEXT = 256


def _any_text(_: str) -> bool:
    return True


@dataclass(frozen=True)
class ModuleReport:
    name: str
    sha256: str
    version: str        # "" when not known (the device reports it only while loaded)
    state: str
    traps: int = 0
    restarts: int = 0
    last_trap: str = ""
    generation: int = 0  # of the store record: a new install makes a new one

    def to_doc(self) -> dict[str, Any]:
        return {"name": self.name, "sha256": self.sha256, "version": self.version,
                "state": self.state, "traps": self.traps, "restarts": self.restarts,
                "last_trap": self.last_trap, "generation": self.generation}

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> ModuleReport:
        d = Doc(doc, "module report")
        m = cls(d.text("name", is_module_name), d.text("sha256", is_sha256),
                d.text("version", allow_empty=True, max_len=17),
                d.text("state", str.isalnum, max_len=16),
                d.integer("traps", 0, 2**32), d.integer("restarts", 0, 2**32),
                d.text("last_trap", _any_text, allow_empty=True, max_len=_TEXT),
                d.integer("generation", 0, 2**32))
        d.done()
        return m


@dataclass(frozen=True)
class DeviceReport:
    device: str                 # the id the device reports in INFO (hex)
    gateway: str
    online: bool
    port: str = ""
    board: str = ""
    firmware: str = ""
    groups: tuple[str, ...] = ()
    provisioned: bool = False
    bridge: bool = False
    boots: int = 0
    modules: tuple[ModuleReport, ...] = ()

    def to_bytes(self) -> bytes:
        return canonical({"type": "device", "device": self.device, "gateway": self.gateway,
                          "online": self.online, "port": self.port, "board": self.board,
                          "firmware": self.firmware, "groups": list(self.groups),
                          "provisioned": self.provisioned, "bridge": self.bridge,
                          "boots": self.boots,
                          "modules": [m.to_doc() for m in self.modules]})

    @classmethod
    def from_bytes(cls, data: bytes) -> DeviceReport:
        d = Doc(data, "device report")
        if d.text("type") != "device":
            raise d.fail("type", "is not 'device'")
        r = cls(d.text("device", is_device_id), d.text("gateway", is_name),
                d.flag("online"), d.text("port", _any_text, allow_empty=True),
                d.text("board", _any_text, allow_empty=True),
                d.text("firmware", _any_text, allow_empty=True),
                d.texts("groups", is_name, 32), d.flag("provisioned"), d.flag("bridge"),
                d.integer("boots", 0, 2**32),
                tuple(ModuleReport.from_doc(m) for m in d.objects("modules", MAX_MODULES)))
        d.done()
        return r

    def module(self, name: str) -> ModuleReport | None:
        return next((m for m in self.modules if m.name == name), None)


@dataclass(frozen=True)
class Result:
    """Where one device stands with one module's deployment."""

    module: str
    rollout: str
    seq: int
    status: Status
    version: str = ""
    sha256: str = ""
    detail: str = ""
    generation: int = 0
    updated: int = field(default_factory=lambda: int(time.time()))

    @property
    def final(self) -> bool:
        return self.status in FINAL

    def to_bytes(self) -> bytes:
        return canonical({"type": "result", "module": self.module, "rollout": self.rollout,
                          "seq": self.seq, "status": self.status, "version": self.version,
                          "sha256": self.sha256, "detail": self.detail,
                          "generation": self.generation, "updated": self.updated})

    @classmethod
    def from_bytes(cls, data: bytes) -> Result:
        d = Doc(data, "result")
        if d.text("type") != "result":
            raise d.fail("type", "is not 'result'")
        module = d.text("module", is_module_name)
        rollout = d.text("rollout", str.isalnum, max_len=16)
        seq = d.integer("seq", 1, 2**53)
        status = d.text("status", lambda s: s in STATUSES)
        r = cls(module, rollout, seq, _status(status),
                d.text("version", allow_empty=True, max_len=17),
                d.text("sha256", is_sha256, allow_empty=True),
                d.text("detail", _any_text, allow_empty=True, max_len=_TEXT),
                d.integer("generation", 0, 2**32), d.integer("updated", 0, 2**53))
        d.done()
        return r


def _status(text: str) -> Status:
    for s in STATUSES:
        if s == text:
            return s
    raise MessageRejected(f"unknown status {text!r}")


@dataclass(frozen=True)
class Notice:
    """Something a gateway wants operators to know at once (not retained): a message it
    refused (`rejected`), a device it refused to serve (`device`)."""

    kind: str
    detail: str
    topic: str = ""
    time: int = field(default_factory=lambda: int(time.time()))

    def to_bytes(self) -> bytes:
        return canonical({"type": "notice", "kind": self.kind, "detail": self.detail,
                          "topic": self.topic, "time": self.time})

    @classmethod
    def from_bytes(cls, data: bytes) -> Notice:
        d = Doc(data, "notice")
        if d.text("type") != "notice":
            raise d.fail("type", "is not 'notice'")
        n = cls(d.text("kind", str.isalnum, max_len=16),
                d.text("detail", _any_text, allow_empty=True, max_len=_TEXT),
                d.text("topic", _any_text, allow_empty=True, max_len=_TEXT),
                d.integer("time", 0, 2**53))
        d.done()
        return n


@dataclass(frozen=True)
class GatewayPresence:
    """A gateway's retained presence; its last will says online false."""

    online: bool
    devices: int = 0
    groups: tuple[str, ...] = ()

    def to_bytes(self) -> bytes:
        return canonical({"type": "gateway", "online": self.online, "devices": self.devices,
                          "groups": list(self.groups)})

    @classmethod
    def from_bytes(cls, data: bytes) -> GatewayPresence:
        d = Doc(data, "gateway presence")
        if d.text("type") != "gateway":
            raise d.fail("type", "is not 'gateway'")
        g = cls(d.flag("online"), d.integer("devices", 0, 100_000),
                d.texts("groups", is_name, 32))
        d.done()
        return g
