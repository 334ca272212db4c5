"""Capabilities: what a manifest may grant, and which host functions each grant links.

Host API version 1 (docs/api.md) is defined here once: `HOST_FUNCTIONS` is the table of
imports from module "wasmote" with their exact wasm signatures and the capability kind that
grants each. The device links an import only if the manifest grants it (docs/security.md),
so the packager applies the same check on the host to fail early with the same message.

The other import modules (WASI preview 1, AssemblyScript's `env`) are in wasi_imports.py;
`check_imports` applies the link rule to all of them.

Grammar of a capability string (docs/module-format.md):
    log | time | sleep | kv | random | gpio:PIN | gpio:* | pubsub:PATTERN
    | i2c:BUS/0xAA | i2c:BUS/* | i2c:NAME | spi:BUS/CS | spi:BUS/* | spi:NAME
    | uart:NAME | adc:NAME | pwm:NAME                    (package/peripherals.py)
    | bridge:out:PATTERN | bridge:in:PATTERN
    PIN      = [a-z][a-z0-9_]{0,31}
    PATTERN  = "*" | SEGMENT ("/" SEGMENT)* ["/*"]      (at most 32 bytes)
    SEGMENT  = [A-Za-z0-9_-]+
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum

from wasmote.package import peripherals
from wasmote.package.errors import CapabilityError

API_VERSION = 1
IMPORT_MODULE = "wasmote"
MAX_ARG_BYTES = 32
MAX_TOPIC_BYTES = 32


class CapKind(IntEnum):
    """Capability kinds; the values are the byte used in the binary manifest."""

    LOG = 1
    TIME = 2
    SLEEP = 3
    GPIO = 4
    KV = 5
    PUBSUB = 6
    RANDOM = 7  # random_get / env.seed (WASI)
    I2C = 8
    SPI = 9
    UART = 10
    ADC = 11
    PWM = 12
    BRIDGE_OUT = 13  # "bridge:out:PATTERN": these publications may leave the device
    BRIDGE_IN = 14   # "bridge:in:PATTERN": messages from the network may reach the module


PERIPHERAL_KINDS = (CapKind.I2C, CapKind.SPI, CapKind.UART, CapKind.ADC, CapKind.PWM)
# Kinds whose capability takes an argument after ':' (the others take none).
_KINDS_WITH_ARG = {CapKind.GPIO, CapKind.PUBSUB, CapKind.BRIDGE_OUT, CapKind.BRIDGE_IN,
                   *PERIPHERAL_KINDS}
BRIDGE_KINDS = (CapKind.BRIDGE_OUT, CapKind.BRIDGE_IN)
# The text before the argument: "gpio", ..., and "bridge:out" / "bridge:in".
_PREFIX = {k: ("bridge:" + k.name.removeprefix("BRIDGE_").lower() if k in BRIDGE_KINDS
               else k.name.lower()) for k in CapKind}
_KIND_BY_NAME = {name: k for k, name in _PREFIX.items()}
# What `needs capability ...` says for each kind with an argument (the device's link.c too).
_HINTS = {CapKind.GPIO: "gpio:PIN", CapKind.PUBSUB: "pubsub:PATTERN",
          CapKind.I2C: "i2c:BUS/ADDR or i2c:NAME", CapKind.SPI: "spi:BUS/CS or spi:NAME",
          CapKind.UART: "uart:NAME", CapKind.ADC: "adc:NAME", CapKind.PWM: "pwm:NAME"}
_EXAMPLES = {CapKind.GPIO: "gpio:led0", CapKind.PUBSUB: "pubsub:sensors/*",
             CapKind.I2C: "i2c:0/0x48", CapKind.SPI: "spi:0/0", CapKind.UART: "uart:aux",
             CapKind.ADC: "adc:vin0", CapKind.PWM: "pwm:led1",
             CapKind.BRIDGE_OUT: "bridge:out:sensors/*",
             CapKind.BRIDGE_IN: "bridge:in:commands/NAME/*"}

_PIN_RE = re.compile(r"[a-z][a-z0-9_]{0,31}")
_SEGMENT_RE = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class HostFunction:
    """One import the device provides in module "wasmote"."""

    name: str
    params: tuple[str, ...]
    results: tuple[str, ...]
    kind: CapKind | None  # None: linked for every module (it grants no power)

    def signature(self) -> str:
        return f"({', '.join(self.params)}) -> ({', '.join(self.results)})"


_I32 = "i32"
_FUNCS = [
    HostFunction("log", (_I32, _I32), (_I32,), CapKind.LOG),
    HostFunction("time_ms", (), ("i64",), CapKind.TIME),
    HostFunction("sleep_ms", (_I32,), (_I32,), CapKind.SLEEP),
    HostFunction("yield", (), (_I32,), None),
    HostFunction("gpio_pin", (_I32, _I32), (_I32,), CapKind.GPIO),
    HostFunction("gpio_write", (_I32, _I32), (_I32,), CapKind.GPIO),
    HostFunction("gpio_read", (_I32,), (_I32,), CapKind.GPIO),
    HostFunction("kv_get", (_I32, _I32, _I32, _I32), (_I32,), CapKind.KV),
    HostFunction("kv_set", (_I32, _I32, _I32, _I32), (_I32,), CapKind.KV),
    HostFunction("kv_delete", (_I32, _I32), (_I32,), CapKind.KV),
    HostFunction("publish", (_I32, _I32, _I32, _I32), (_I32,), CapKind.PUBSUB),
    HostFunction("subscribe", (_I32, _I32), (_I32,), CapKind.PUBSUB),
    HostFunction("receive", (_I32, _I32, _I32), (_I32,), CapKind.PUBSUB),
    HostFunction("i2c_open", (_I32, _I32), (_I32,), CapKind.I2C),
    HostFunction("i2c_write", (_I32, _I32, _I32), (_I32,), CapKind.I2C),
    HostFunction("i2c_read", (_I32, _I32, _I32), (_I32,), CapKind.I2C),
    HostFunction("i2c_write_read", (_I32,) * 5, (_I32,), CapKind.I2C),
    HostFunction("spi_open", (_I32, _I32), (_I32,), CapKind.SPI),
    HostFunction("spi_transfer", (_I32,) * 5, (_I32,), CapKind.SPI),
    HostFunction("uart_open", (_I32, _I32), (_I32,), CapKind.UART),
    HostFunction("uart_write", (_I32, _I32, _I32), (_I32,), CapKind.UART),
    HostFunction("uart_read", (_I32,) * 4, (_I32,), CapKind.UART),
    HostFunction("adc_open", (_I32, _I32), (_I32,), CapKind.ADC),
    HostFunction("adc_read", (_I32,), (_I32,), CapKind.ADC),
    HostFunction("pwm_open", (_I32, _I32), (_I32,), CapKind.PWM),
    HostFunction("pwm_set", (_I32, _I32, _I32), (_I32,), CapKind.PWM),
    HostFunction("periph_close", (_I32,), (_I32,), None),
]
HOST_FUNCTIONS: dict[str, HostFunction] = {f.name: f for f in _FUNCS}

# Negative results of host functions (sdk/wasmote.h, docs/api.md); >= 0 means success.
ERROR_CODES: dict[str, int] = {
    "WM_E_FAULT": -1, "WM_E_INVAL": -2, "WM_E_DENIED": -3, "WM_E_NOTFOUND": -4,
    "WM_E_NOSPACE": -5, "WM_E_QUOTA": -6, "WM_E_TIMEOUT": -7, "WM_E_FULL": -8,
    "WM_E_IO": -9, "WM_E_UNSUPPORTED": -10, "WM_E_BUDGET": -11, "WM_E_NACK": -12,
}

# Limits of API version 1 (sdk/wasmote.h, docs/api.md; the device's sandbox/sb_api.h).
LIMITS: dict[str, int] = {
    "WM_LOG_MAX": 128, "WM_PIN_NAME_MAX": 32, "WM_KV_KEY_MAX": 32, "WM_KV_VALUE_MAX": 256,
    "WM_TOPIC_MAX": 32, "WM_MESSAGE_MAX": 64, "WM_QUEUE_DEPTH": 8, "WM_SUBSCRIPTIONS_MAX": 4,
    "WM_PERIPH_NAME_MAX": 32, "WM_PERIPH_HANDLES": 8, "WM_I2C_MAX": 64, "WM_SPI_MAX": 64,
    "WM_UART_MAX": 64, "WM_PWM_HZ_MAX": 1_000_000,
}


@dataclass(frozen=True, order=True)
class Capability:
    """One grant: a kind and, for gpio/pubsub, a pin name or topic pattern ("*" = all)."""

    kind: CapKind
    arg: str = ""

    def __str__(self) -> str:
        name = _PREFIX[self.kind]
        return f"{name}:{self.arg}" if self.arg else name


def parse_capability(text: str) -> Capability:
    """Parse one capability string; raise CapabilityError saying what is wrong."""
    name, sep, arg = text.partition(":")
    if name == "bridge":  # bridge:out:PATTERN, bridge:in:PATTERN
        direction, sep, arg = arg.partition(":")
        name = f"bridge:{direction}"
        if name not in _KIND_BY_NAME:
            raise CapabilityError(f"bad bridge grant {text!r}: expected bridge:out:PATTERN "
                                  f"or bridge:in:PATTERN")
    kind = _KIND_BY_NAME.get(name)
    if kind is None:
        known = ", ".join(sorted(_KIND_BY_NAME))
        raise CapabilityError(f"unknown capability {text!r} (known kinds: {known})")
    if kind not in _KINDS_WITH_ARG:
        if sep:
            raise CapabilityError(f"capability {name!r} takes no argument, got {text!r}")
        return Capability(kind)
    if not sep or not arg:
        raise CapabilityError(f"capability {name!r} needs an argument, e.g. "
                              f"{_EXAMPLES[kind]}")
    validate_argument(kind, arg)
    return Capability(kind, arg)


def validate_argument(kind: CapKind, arg: str) -> None:
    """Check a gpio pin name, pubsub pattern or peripheral target; also used for the
    binary manifest."""
    if kind in PERIPHERAL_KINDS:
        try:
            peripherals.check_argument(kind.name.lower(), arg)
        except peripherals.PeripheralError as e:
            raise CapabilityError(str(e)) from None
    elif kind == CapKind.GPIO:
        if arg != "*" and not _PIN_RE.fullmatch(arg):
            raise CapabilityError(f"bad gpio pin name {arg!r}: expected '*' or a name of "
                                  f"1-32 characters [a-z0-9_] starting with a letter")
    elif kind in (CapKind.PUBSUB, *BRIDGE_KINDS):
        _check_pattern(arg)
    elif arg:
        raise CapabilityError(f"capability {kind.name.lower()!r} takes no argument")


def _check_pattern(pattern: str) -> None:
    if not pattern.isascii() or len(pattern) > MAX_TOPIC_BYTES:
        raise CapabilityError(f"bad pubsub pattern {pattern!r}: at most {MAX_TOPIC_BYTES} "
                              f"ASCII characters")
    if pattern == "*":
        return
    segments = pattern.split("/")
    if segments[-1] == "*":
        segments = segments[:-1]
    for seg in segments:
        if not _SEGMENT_RE.fullmatch(seg):
            raise CapabilityError(
                f"bad pubsub pattern {pattern!r}: segments are [A-Za-z0-9_-]+ separated by "
                f"'/', and only the last segment may be '*'")


def check_topic(topic: str) -> None:
    """A concrete topic: the pattern grammar without any '*'."""
    if "*" in topic:
        raise CapabilityError(f"bad topic {topic!r}: a topic has no '*'")
    _check_pattern(topic)


def topic_matches(pattern: str, topic: str) -> bool:
    """True if `topic` is covered by `pattern` ('a/*' covers 'a/b' and 'a/b/c', not 'a')."""
    if pattern == "*":
        return True
    if pattern.endswith("/*"):
        return topic.startswith(pattern[:-1]) and len(topic) > len(pattern) - 1
    return pattern == topic


def pattern_covers(grant: str, pattern: str) -> bool:
    """True if every topic `pattern` matches is matched by `grant` (the device's rule for a
    subscription: grant '*', equal, or a grant 'P/*' and a pattern starting with 'P/')."""
    if grant in ("*", pattern):
        return True
    return grant.endswith("/*") and pattern.startswith(grant[:-1]) and \
        len(pattern) > len(grant) - 1


def check_bridge_grants(caps: Iterable[Capability]) -> None:
    """Each bridge grant must lie inside a pubsub grant: the module publishes (out) or
    subscribes (in) to those topics, so a bridge grant beyond its pub/sub grants could
    never be used and is most likely a mistake."""
    caps = tuple(caps)
    pubsub = [c.arg for c in caps if c.kind == CapKind.PUBSUB]
    for c in caps:
        if c.kind in BRIDGE_KINDS and not any(pattern_covers(g, c.arg) for g in pubsub):
            raise CapabilityError(f"capability {str(c)!r}: no pubsub grant covers "
                                  f"{c.arg!r} (add pubsub:{c.arg})")


def parse_capabilities(texts: Iterable[str]) -> tuple[Capability, ...]:
    """Parse a list of capability strings, rejecting duplicates; keeps the given order."""
    caps: list[Capability] = []
    for text in texts:
        cap = parse_capability(text)
        if cap in caps:
            raise CapabilityError(f"capability {text!r} is listed twice")
        caps.append(cap)
    return tuple(caps)


def granted_functions(caps: Iterable[Capability]) -> set[str]:
    """Names of the host functions these capabilities link (plus the always-linked ones)."""
    kinds = {c.kind for c in caps}
    return {f.name for f in _FUNCS if f.kind is None or f.kind in kinds}


@dataclass(frozen=True)
class FuncImport:
    """A function import as the module declares it (used for the link check)."""

    module: str
    name: str
    params: tuple[str, ...]
    results: tuple[str, ...]


def _import_sets() -> dict[str, tuple[dict[str, HostFunction], bool]]:
    """Import module -> (its functions, whether an ungranted one still links a stub)."""
    from wasmote.package import wasi_imports as w  # it builds on this module's types

    return {IMPORT_MODULE: (HOST_FUNCTIONS, False), w.WASI_MODULE: (w.WASI_FUNCTIONS, True),
            w.AS_MODULE: (w.AS_FUNCTIONS, False)}


def lookup_import(module: str, name: str) -> HostFunction | None:
    """The host function an import of `module`.`name` would link, or None."""
    table = _import_sets().get(module)
    return table[0].get(name) if table else None


def check_imports(imports: Iterable[FuncImport], caps: Iterable[Capability]) -> None:
    """Apply the device's link rule on the host: provided, same signature, and granted (an
    ungranted WASI function links a stub that answers ENOTCAPABLE)."""
    kinds = {c.kind for c in caps}
    sets = _import_sets()
    for imp in imports:
        sig = HostFunction(imp.name, imp.params, imp.results, None).signature()
        what = f"import {imp.module}.{imp.name}"
        entry = sets.get(imp.module)
        if entry is None:
            *first, last = sets
            raise CapabilityError(f"{what} {sig}: no such import module (the device "
                                  f"provides {', '.join(first)} and {last})")
        table, stub_if_denied = entry
        func = table.get(imp.name)
        if func is None:
            raise CapabilityError(f"{what} {sig}: no such host function")
        if (imp.params, imp.results) != (func.params, func.results):
            raise CapabilityError(f"{what} {sig}: signature does not match the host "
                                  f"function's {func.signature()}")
        if func.kind is not None and func.kind not in kinds and not stub_if_denied:
            hint = _HINTS.get(func.kind, _PREFIX[func.kind])
            raise CapabilityError(f"{what} {sig}: not granted by the manifest (needs capability "
                                  f"{hint})")


def unused_capabilities(imports: Iterable[FuncImport],
                        caps: Iterable[Capability]) -> list[Capability]:
    """Grants none of whose functions the module imports (least privilege: drop them)."""
    used = {f.kind for i in imports if (f := lookup_import(i.module, i.name)) is not None}
    if CapKind.PUBSUB in used:  # the bridge grants act on what pub/sub sends and receives
        used |= set(BRIDGE_KINDS)
    return [c for c in caps if c.kind not in used]


def denied_imports(imports: Iterable[FuncImport], caps: Iterable[Capability]) -> list[str]:
    """WASI imports that link a stub (ENOTCAPABLE) because their capability is not granted:
    worth a note, since the program may expect them to work."""
    kinds = {c.kind for c in caps}
    out = []
    for i in imports:
        f = lookup_import(i.module, i.name)
        if f is not None and f.kind is not None and f.kind not in kinds:
            out.append(f"{i.module}.{i.name} (needs {f.kind.name.lower()})")
    return out
