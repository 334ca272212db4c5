"""The MQTT topic schema, version 1 (docs/fleet.md has the table). Everything of a fleet F
lives under `wasmote/F/`:

    deploy/MODULE                          retained  signed desired state of one module
    pkg/SHA256                             retained  a package, content-addressed
    gw/GW/online                           retained  the gateway's presence (last will)
    gw/GW/events                                     the gateway's notices (rejected messages)
    gw/GW/dev/ID/state                     retained  a device: identity, modules, health
    gw/GW/dev/ID/result/MODULE             retained  progress and result of a deployment
    gw/GW/dev/ID/out/MODULE/TOPIC...                 a module's bridged publication
    gw/GW/dev/ID/in/TOPIC...                         a message into the device's pub/sub
    ops/USER/#                                       an operator's own scratch (sync)

Names (fleet, gateway, group) are [A-Za-z0-9_-], 1-32 characters; device ids are the 32 hex
digits of the id the device reports in INFO; module names are the device store's. None of
them can contain MQTT's '/', '+' or '#', so a name from a device or a broker can never
change the shape of a topic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from wasmote.fleet.errors import FleetError

ROOT = "wasmote"
_NAME_RE = re.compile(r"[A-Za-z0-9_-]{1,32}")
_DEVICE_RE = re.compile(r"[0-9a-f]{32}")
_MODULE_RE = re.compile(r"[A-Za-z0-9._-]{1,31}")
_SHA_RE = re.compile(r"[0-9a-f]{64}")
# A device pub/sub topic (docs/api.md): segments of [A-Za-z0-9_-] joined by '/'.
_DEVICE_TOPIC_RE = re.compile(r"[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*")
DEVICE_TOPIC_MAX = 32


def is_name(text: str) -> bool:
    return bool(_NAME_RE.fullmatch(text))


def is_device_id(text: str) -> bool:
    return bool(_DEVICE_RE.fullmatch(text))


def is_module_name(text: str) -> bool:
    return bool(_MODULE_RE.fullmatch(text))


def is_sha256(text: str) -> bool:
    return bool(_SHA_RE.fullmatch(text))


def is_device_topic(text: str) -> bool:
    return len(text) <= DEVICE_TOPIC_MAX and bool(_DEVICE_TOPIC_RE.fullmatch(text))


def check_name(what: str, text: str) -> str:
    if not is_name(text):
        raise FleetError(f"bad {what} name {text!r}: 1-32 characters of A-Z a-z 0-9 _ -")
    return text


@dataclass(frozen=True)
class ParsedTopic:
    """What a topic of the schema names; fields a kind does not have are ""."""

    kind: str  # deploy, pkg, online, events, state, result, out, in, ops, or "" (other)
    gateway: str = ""
    device: str = ""
    module: str = ""
    rest: str = ""  # the package hash, the bridged topic, the ops path


@dataclass(frozen=True)
class FleetTopics:
    fleet: str

    def __post_init__(self) -> None:
        check_name("fleet", self.fleet)

    @property
    def base(self) -> str:
        return f"{ROOT}/{self.fleet}"

    def deployment(self, module: str) -> str:
        return f"{self.base}/deploy/{module}"

    @property
    def all_deployments(self) -> str:
        return f"{self.base}/deploy/+"

    def package(self, sha256_hex: str) -> str:
        return f"{self.base}/pkg/{sha256_hex}"

    def gateway(self, gw: str) -> str:
        return f"{self.base}/gw/{gw}"

    def online(self, gw: str) -> str:
        return f"{self.gateway(gw)}/online"

    def events(self, gw: str) -> str:
        return f"{self.gateway(gw)}/events"

    def device(self, gw: str, device_id: str) -> str:
        return f"{self.gateway(gw)}/dev/{device_id}"

    def state(self, gw: str, device_id: str) -> str:
        return f"{self.device(gw, device_id)}/state"

    def result(self, gw: str, device_id: str, module: str) -> str:
        return f"{self.device(gw, device_id)}/result/{module}"

    def bridge_out(self, gw: str, device_id: str, module: str, topic: str) -> str:
        return f"{self.device(gw, device_id)}/out/{module}/{topic}"

    def bridge_in(self, gw: str, device_id: str, topic: str) -> str:
        return f"{self.device(gw, device_id)}/in/{topic}"

    def ops(self, user: str) -> str:
        return f"{self.base}/ops/{user}"

    # subscriptions of the operator's tools: every gateway's reports
    @property
    def all_states(self) -> str:
        return f"{self.base}/gw/+/dev/+/state"

    @property
    def all_results(self) -> str:
        return f"{self.base}/gw/+/dev/+/result/+"

    @property
    def all_online(self) -> str:
        return f"{self.base}/gw/+/online"

    def parse(self, topic: str) -> ParsedTopic:
        """Names are checked: a topic that does not fit the schema is kind ""."""
        prefix = self.base + "/"
        if not topic.startswith(prefix):
            return ParsedTopic("")
        parts = topic[len(prefix):].split("/")
        if len(parts) == 2 and parts[0] == "deploy" and is_module_name(parts[1]):
            return ParsedTopic("deploy", module=parts[1])
        if len(parts) == 2 and parts[0] == "pkg" and is_sha256(parts[1]):
            return ParsedTopic("pkg", rest=parts[1])
        if len(parts) >= 2 and parts[0] == "ops" and is_name(parts[1]):
            return ParsedTopic("ops", rest="/".join(parts[1:]))
        if len(parts) < 3 or parts[0] != "gw" or not is_name(parts[1]):
            return ParsedTopic("")
        gw = parts[1]
        if len(parts) == 3 and parts[2] in ("online", "events"):
            return ParsedTopic(parts[2], gateway=gw)
        if len(parts) < 5 or parts[2] != "dev" or not is_device_id(parts[3]):
            return ParsedTopic("")
        dev, kind, tail = parts[3], parts[4], parts[5:]
        if kind == "state" and not tail:
            return ParsedTopic("state", gw, dev)
        if kind == "result" and len(tail) == 1 and is_module_name(tail[0]):
            return ParsedTopic("result", gw, dev, tail[0])
        if kind == "out" and len(tail) >= 2 and is_module_name(tail[0]) and \
                is_device_topic("/".join(tail[1:])):
            return ParsedTopic("out", gw, dev, tail[0], "/".join(tail[1:]))
        if kind == "in" and tail and is_device_topic("/".join(tail)):
            return ParsedTopic("in", gw, dev, rest="/".join(tail))
        return ParsedTopic("")
