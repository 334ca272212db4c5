"""The module manifest: name, version, granted capabilities, resource limits.

A module author writes it as TOML (see docs/module-format.md for an example); the package
carries it in a compact binary encoding (`encode_manifest` / `decode_manifest`) that the
device's C parser reads. Both directions check every limit, so a manifest that decodes is
one the device accepts.
"""

from __future__ import annotations

import json
import re
import struct
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wasmote.input_file import TEXT_FILE_MAX, read_capped
from wasmote.package.capabilities import (
    API_VERSION,
    BRIDGE_KINDS,
    MAX_ARG_BYTES,
    Capability,
    CapKind,
    check_bridge_grants,
    parse_capabilities,
    validate_argument,
)
from wasmote.package.errors import CapabilityError, ManifestError, PackageFormatError

MANIFEST_ENCODING_VERSION = 1   # written when no encoding-2 field is used
MANIFEST_ENCODING_V2 = 2        # adds limits.cpu, limits.queue and on_trap = "restart"
MANIFEST_ENCODING_V3 = 3        # encoding 2, then program arguments and environment (WASI)
MANIFEST_ENCODING_V4 = 4        # encoding 3 (its lists may be empty), then limits.kv_write
MAX_ARGS = 32                   # arguments after the program name (argv[1..])
MAX_ENV = 32                    # environment entries
MAX_STRING_BYTES = 255          # one argument or KEY=VALUE entry, UTF-8
MAX_NAME_BYTES = 31  # the device stores the module under this name (store.h WM_STORE_NAME_MAX)
MAX_ENTRY_BYTES = 32
MAX_CAPABILITIES = 32
MAX_MANIFEST_BYTES = 2048
U32_MAX = 0xFFFF_FFFF

FLAG_AUTOSTART = 0x01
FLAG_RESTART = 0x02  # on_trap = "restart" (encoding 2)
QUEUE_DEPTH_MAX = 8  # host API limit WM_QUEUE_DEPTH (docs/api.md)
ON_TRAP = ("stop", "restart")

_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,30}")
_ENTRY_RE = re.compile(r"[\x21-\x7e]{1,32}")
_VERSION_RE = re.compile(r"(0|[1-9][0-9]{0,4})\.(0|[1-9][0-9]{0,4})\.(0|[1-9][0-9]{0,4})")
_SIZE_RE = re.compile(r"\s*([0-9]+)\s*(|K|KiB|M|MiB)\s*")
_SIZE_UNITS = {"": 1, "K": 1024, "KiB": 1024, "M": 1 << 20, "MiB": 1 << 20}


@dataclass(frozen=True, order=True)
class Version:
    """MAJOR.MINOR.PATCH, each 0..65535; compared in that order (for replay pinning)."""

    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str) -> Version:
        m = _VERSION_RE.fullmatch(text)
        if not m or any(int(g) > 0xFFFF for g in m.groups()):
            raise ManifestError(f"bad version {text!r}: expected MAJOR.MINOR.PATCH with "
                                f"each part 0..65535, e.g. '1.0.0'")
        return cls(int(m[1]), int(m[2]), int(m[3]))

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


@dataclass(frozen=True)
class Limits:
    """Resources the device reserves for the module; it is stopped if it needs more."""

    memory_bytes: int = 65536   # linear memory the module may have (grow beyond fails)
    stack_bytes: int = 8192     # interpreter value + call stack
    fuel_per_slice: int = 100_000  # work (fuel) before the scheduler preempts it
    kv_bytes: int = 0           # persistent key-value quota (keys + values)
    cpu_fuel_per_s: int = 0     # fuel per second before it is stopped; 0 = no budget
    queue_depth: int = QUEUE_DEPTH_MAX  # pub/sub messages that may wait for it
    kv_write_per_hour: int = 256  # flash bytes of kv records it may write in an hour


_LIMIT_RANGES = {  # field -> (toml key, min, max)
    "memory_bytes": ("memory", 0, U32_MAX),
    "stack_bytes": ("stack", 256, 1 << 20),
    "fuel_per_slice": ("fuel", 1, U32_MAX),
    "kv_bytes": ("kv", 0, 1 << 20),
    "cpu_fuel_per_s": ("cpu", 0, U32_MAX),
    "queue_depth": ("queue", 1, QUEUE_DEPTH_MAX),
    "kv_write_per_hour": ("kv_write", 0, U32_MAX),
}
DEFAULT_KV_BYTES = 1024  # when `kv` is granted and no quota is given
# limits.kv_write when not given (and in encodings 1 and 2): 12 modules writing 256 bytes an
# hour wear a 64 KiB config area of 10,000-cycle flash out in no less than 10 years
# (docs/reliability.md has the arithmetic; the device refuses budgets it cannot sustain).
DEFAULT_KV_WRITE_PER_HOUR = Limits.kv_write_per_hour


@dataclass(frozen=True)
class Manifest:
    name: str
    version: Version
    capabilities: tuple[Capability, ...] = ()
    limits: Limits = field(default_factory=Limits)
    entry: str = ""           # export started by START / autostart; "" = _start
    autostart: bool = False
    api_version: int = API_VERSION
    on_trap: str = "stop"     # or "restart": restart with backoff after a trap
    args: tuple[str, ...] = ()             # WASI argv after the program name (its name)
    env: tuple[tuple[str, str], ...] = ()  # WASI environment, in order

    def __post_init__(self) -> None:
        _check_manifest(self)

    @property
    def encoding(self) -> int:
        """The manifest encoding this manifest needs: 2, 3 or 4 only for their new fields."""
        lim = self.limits
        if lim.kv_write_per_hour != DEFAULT_KV_WRITE_PER_HOUR:
            return MANIFEST_ENCODING_V4
        if self.args or self.env:
            return MANIFEST_ENCODING_V3
        v2 = self.on_trap != "stop" or lim.cpu_fuel_per_s != 0 or \
            lim.queue_depth != QUEUE_DEPTH_MAX
        return MANIFEST_ENCODING_V2 if v2 else MANIFEST_ENCODING_VERSION


def _check_manifest(m: Manifest) -> None:
    if not isinstance(m.name, str) or not _NAME_RE.fullmatch(m.name):
        raise ManifestError(f"bad module name {m.name!r}: 1-{MAX_NAME_BYTES} characters "
                            f"[A-Za-z0-9_.-] starting with a letter or digit")
    if m.entry and not _ENTRY_RE.fullmatch(m.entry):
        raise ManifestError(f"bad entry {m.entry!r}: an export name of 1-32 printable ASCII "
                            f"characters without spaces")
    if m.api_version != API_VERSION:
        raise ManifestError(f"unsupported host API version {m.api_version} "
                            f"(this toolchain knows version {API_VERSION})")
    if len(m.capabilities) > MAX_CAPABILITIES:
        raise ManifestError(f"too many capabilities: {len(m.capabilities)} "
                            f"(at most {MAX_CAPABILITIES})")
    if len(set(m.capabilities)) != len(m.capabilities):
        raise ManifestError("a capability is listed twice")
    for fname, (key, lo, hi) in _LIMIT_RANGES.items():
        value = getattr(m.limits, fname)
        if not lo <= value <= hi:
            raise ManifestError(f"limits.{key} = {value} is out of range {lo}..{hi}")
    if m.on_trap not in ON_TRAP:
        raise ManifestError(f"on_trap must be one of {', '.join(ON_TRAP)}, got {m.on_trap!r}")
    if m.limits.kv_bytes and not any(c.kind == CapKind.KV for c in m.capabilities):
        raise ManifestError("limits.kv is set but the capability 'kv' is not granted")
    if m.limits.kv_write_per_hour != DEFAULT_KV_WRITE_PER_HOUR and \
            not any(c.kind == CapKind.KV for c in m.capabilities):
        raise ManifestError("limits.kv_write is set but the capability 'kv' is not granted")
    _check_strings(m)


def _check_string(what: str, text: object) -> None:
    if not isinstance(text, str):
        raise ManifestError(f"{what} must be a string, got {_toml_type(text)}")
    raw = text.encode("utf-8", "surrogatepass")
    if len(raw) > MAX_STRING_BYTES or "\0" in text:
        raise ManifestError(f"{what} {text[:40]!r}: at most {MAX_STRING_BYTES} bytes of UTF-8 "
                            f"without NUL")


def _check_strings(m: Manifest) -> None:
    if len(m.args) > MAX_ARGS:
        raise ManifestError(f"too many args: {len(m.args)} (at most {MAX_ARGS})")
    if len(m.env) > MAX_ENV:
        raise ManifestError(f"too many env entries: {len(m.env)} (at most {MAX_ENV})")
    for a in m.args:
        _check_string("argument", a)
    for key, value in m.env:
        _check_string("env key", key)
        _check_string(f"env.{key}", value)
        if not key or "=" in key:
            raise ManifestError(f"env key {key!r}: not empty, without '='")
        _check_string(f"env entry {key}", f"{key}={value}")


# --- TOML ------------------------------------------------------------------------------

_TOP_KEYS = {"name", "version", "api", "entry", "autostart", "on_trap", "capabilities",
             "limits", "args", "env"}


def load_manifest(path: str | Path) -> Manifest:
    """Read a TOML manifest file."""
    path = Path(path)
    try:
        text = read_capped(path, TEXT_FILE_MAX, "a manifest").decode("utf-8")
    except UnicodeDecodeError as e:
        raise ManifestError(f"{path}: not UTF-8 text (byte {e.start})") from None
    except OSError as e:
        raise ManifestError(f"{path}: cannot read: {e.strerror or e}") from None
    return parse_manifest_toml(text, source=str(path))


def parse_manifest_toml(text: str, source: str = "manifest") -> Manifest:
    """Parse manifest TOML text; errors name `source` and the offending key."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ManifestError(f"{source}: invalid TOML: {e}") from None
    except (ValueError, RecursionError) as e:  # e.g. absurd nesting
        raise ManifestError(f"{source}: invalid TOML: {e}") from None
    try:
        return _from_doc(doc)
    except (ManifestError, CapabilityError) as e:
        raise ManifestError(f"{source}: {e}") from None


def _from_doc(doc: dict[str, Any]) -> Manifest:
    unknown = sorted(set(doc) - _TOP_KEYS)
    if unknown:
        raise ManifestError(f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(_TOP_KEYS))})")
    name = _get(doc, "name", str, None)
    version = Version.parse(_get(doc, "version", str, None))
    api = _get(doc, "api", int, API_VERSION)
    entry = _get(doc, "entry", str, "")
    autostart = _get(doc, "autostart", bool, False)
    on_trap = _get(doc, "on_trap", str, "stop")
    cap_list = _get(doc, "capabilities", list, [])
    if not all(isinstance(c, str) for c in cap_list):
        raise ManifestError("'capabilities' must be a list of strings")
    caps = parse_capabilities(cap_list)
    check_bridge_grants(caps)
    limits_doc = _get(doc, "limits", dict, {})
    keys = {key: fname for fname, (key, _, _) in _LIMIT_RANGES.items()}
    unknown = sorted(set(limits_doc) - set(keys))
    if unknown:
        raise ManifestError(f"unknown key limits.{unknown[0]} (allowed: "
                            f"{', '.join(sorted(keys))})")
    values = {keys[k]: _size(f"limits.{k}", v) for k, v in limits_doc.items()}
    if "kv_bytes" not in values and any(c.kind == CapKind.KV for c in caps):
        values["kv_bytes"] = DEFAULT_KV_BYTES
    args = _get(doc, "args", list, [])
    env_doc = _get(doc, "env", dict, {})
    for i, a in enumerate(args):
        _check_string(f"args[{i}]", a)
    for k, v in env_doc.items():
        _check_string(f"env.{k}", v)
    return Manifest(name=name, version=version, capabilities=caps, limits=Limits(**values),
                    entry=entry, autostart=autostart, api_version=api, on_trap=on_trap,
                    args=tuple(args), env=tuple(env_doc.items()))


def _get(doc: dict[str, Any], key: str, typ: type, default: Any) -> Any:
    if key not in doc:
        if default is None:
            raise ManifestError(f"missing required key {key!r}")
        return default
    value = doc[key]
    # bool is an int in Python; a manifest saying `api = true` is still wrong.
    if not isinstance(value, typ) or (typ is int and isinstance(value, bool)):
        raise ManifestError(f"{key!r} must be a {_TYPE_NAMES[typ]}, got {_toml_type(value)}")
    return value


_TYPE_NAMES: dict[type, str] = {str: "string", int: "integer", bool: "boolean",
                                list: "list", dict: "table"}


def _toml_type(value: object) -> str:
    for typ, name in _TYPE_NAMES.items():
        if isinstance(value, typ) and not (typ is int and isinstance(value, bool)):
            return name
    return type(value).__name__


def parse_size(key: str, value: object) -> int:
    """A size as the manifest writes it ("64KiB", "4K", 65536), named `key` in errors."""
    return _size(key, value)


def _size(key: str, value: object) -> int:
    """A byte count or number: an integer, or a string like '64KiB', '4K', '1M'."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        m = _SIZE_RE.fullmatch(value)
        if m and len(m[1]) <= 12:
            return int(m[1]) * _SIZE_UNITS[m[2]]
    raise ManifestError(f"{key} must be an integer or a size like '64KiB', got {value!r}")


# --- binary encoding (docs/module-format.md, "Manifest section") -----------------------

_FIXED = struct.Struct("<HHHIIII")  # version major/minor/patch, 4 limits


def encode_manifest(m: Manifest) -> bytes:
    name = m.name.encode("ascii")
    entry = m.entry.encode("ascii")
    flags = (FLAG_AUTOSTART if m.autostart else 0) | \
        (FLAG_RESTART if m.on_trap == "restart" else 0)
    out = bytearray([m.encoding, m.api_version, flags, len(name)])
    out += name
    lim = m.limits
    out += _FIXED.pack(m.version.major, m.version.minor, m.version.patch, lim.memory_bytes,
                       lim.stack_bytes, lim.fuel_per_slice, lim.kv_bytes)
    out += bytes([len(entry)]) + entry
    out.append(len(m.capabilities))
    for cap in m.capabilities:
        arg = cap.arg.encode("ascii")
        out += bytes([cap.kind, len(arg)]) + arg
    if m.encoding >= MANIFEST_ENCODING_V2:
        out += struct.pack("<IB", lim.cpu_fuel_per_s, lim.queue_depth)
    if m.encoding >= MANIFEST_ENCODING_V3:
        out += _strings(m.args)
        out += _strings([f"{k}={v}" for k, v in m.env])
    if m.encoding == MANIFEST_ENCODING_V4:
        out += struct.pack("<I", lim.kv_write_per_hour)
    if len(out) > MAX_MANIFEST_BYTES:
        raise ManifestError(f"the manifest encodes to {len(out)} bytes, more than "
                            f"{MAX_MANIFEST_BYTES} (fewer or shorter args/env)")
    return bytes(out)


def _strings(items: list[str] | tuple[str, ...]) -> bytes:
    out = bytearray([len(items)])
    for text in items:
        raw = text.encode("utf-8", "surrogatepass")
        out += bytes([len(raw)]) + raw
    return bytes(out)


class _Cursor:
    """Reads the binary manifest, reporting errors at package offsets."""

    def __init__(self, data: bytes, base: int, source: str) -> None:
        self.data, self.pos, self.base, self.source = data, 0, base, source

    def fail(self, message: str, at: int | None = None) -> PackageFormatError:
        return PackageFormatError(f"manifest: {message}",
                                  self.base + (self.pos if at is None else at), self.source)

    def take(self, n: int, what: str) -> bytes:
        if self.pos + n > len(self.data):
            raise self.fail(f"truncated: {what} needs {n} bytes, "
                            f"{len(self.data) - self.pos} left")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def u8(self, what: str) -> int:
        return self.take(1, what)[0]

    def text(self, what: str, limit: int, allow_empty: bool) -> str:
        at = self.pos
        n = self.u8(f"{what} length")
        if n > limit or (n == 0 and not allow_empty):
            raise self.fail(f"{what} length {n} out of range {0 if allow_empty else 1}.."
                            f"{limit}", at)
        raw = self.take(n, what)
        if not raw.isascii():
            raise self.fail(f"{what} is not ASCII", at + 1)
        return raw.decode("ascii")


def decode_manifest(data: bytes, base: int = 0, source: str = "manifest") -> Manifest:
    """Decode and check a binary manifest; errors carry offsets relative to `base`."""
    if len(data) > MAX_MANIFEST_BYTES:
        raise PackageFormatError(f"manifest: {len(data)} bytes, more than the limit "
                                 f"{MAX_MANIFEST_BYTES}", base, source)
    c = _Cursor(data, base, source)
    enc = c.u8("encoding version")
    if not MANIFEST_ENCODING_VERSION <= enc <= MANIFEST_ENCODING_V4:
        raise c.fail(f"unknown manifest encoding version {enc} (expected "
                     f"{MANIFEST_ENCODING_VERSION}..{MANIFEST_ENCODING_V4})", 0)
    api = c.u8("API version")
    flags = c.u8("flags")
    allowed = FLAG_AUTOSTART | (FLAG_RESTART if enc >= MANIFEST_ENCODING_V2 else 0)
    if flags & ~allowed:
        raise c.fail(f"reserved flag bits set (flags=0x{flags:02x})", 2)
    name = c.text("name", MAX_NAME_BYTES, allow_empty=False)
    if not _NAME_RE.fullmatch(name):
        raise c.fail(f"bad module name {name!r}", 4)
    at_fixed = c.pos
    major, minor, patch, mem, stack, fuel, kv = _FIXED.unpack(c.take(_FIXED.size, "version "
                                                                     "and limits"))
    at_entry = c.pos
    entry = c.text("entry", MAX_ENTRY_BYTES, allow_empty=True)
    if entry and not _ENTRY_RE.fullmatch(entry):
        raise c.fail(f"bad entry {entry!r}", at_entry + 1)
    at_caps = c.pos
    count = c.u8("capability count")
    if count > MAX_CAPABILITIES:
        raise c.fail(f"capability count {count} exceeds {MAX_CAPABILITIES}", at_caps)
    caps: list[Capability] = []
    for i in range(count):
        at = c.pos
        kind_byte = c.u8(f"capability {i} kind")
        try:
            kind = CapKind(kind_byte)
        except ValueError:
            raise c.fail(f"capability {i}: unknown kind {kind_byte}", at) from None
        arg = c.text(f"capability {i} argument", MAX_ARG_BYTES, allow_empty=True)
        try:
            validate_argument(kind, arg)
            if kind in (CapKind.GPIO, CapKind.PUBSUB, *BRIDGE_KINDS) and not arg:
                raise CapabilityError(f"{kind.name.lower()} needs an argument")
        except CapabilityError as e:
            raise c.fail(f"capability {i}: {e}", at) from None
        caps.append(Capability(kind, arg))
    cpu, queue = 0, QUEUE_DEPTH_MAX
    kv_write = DEFAULT_KV_WRITE_PER_HOUR
    if enc >= MANIFEST_ENCODING_V2:
        at_v2 = c.pos
        cpu, queue = struct.unpack("<IB", c.take(5, "limits.cpu and limits.queue"))
        if not 1 <= queue <= QUEUE_DEPTH_MAX:
            raise c.fail(f"limits.queue {queue} out of range 1..{QUEUE_DEPTH_MAX}", at_v2 + 4)
        if enc == MANIFEST_ENCODING_V2 and cpu == 0 and queue == QUEUE_DEPTH_MAX and \
                not flags & FLAG_RESTART:
            # one content, one encoding: nothing here needs encoding 2
            raise c.fail("encoding 2 without any of its fields (write encoding 1)", 0)
    args: list[str] = []
    env: list[tuple[str, str]] = []
    if enc >= MANIFEST_ENCODING_V3:
        args = _read_strings(c, "arguments", MAX_ARGS)
        for i, item in enumerate(_read_strings(c, "environment", MAX_ENV)):
            key, eq, value = item.partition("=")
            if not key or not eq:
                raise c.fail(f"environment entry {i} {item[:40]!r} is not KEY=VALUE")
            env.append((key, value))
        if enc == MANIFEST_ENCODING_V3 and not args and not env:
            raise c.fail("encoding 3 without arguments or environment (write encoding 1 "
                         "or 2)", 0)
    if enc == MANIFEST_ENCODING_V4:
        at_v4 = c.pos
        written = struct.unpack("<I", c.take(4, "limits.kv_write"))[0]
        if written == kv_write:
            raise c.fail("encoding 4 with the default limits.kv_write (write encoding 1, 2 "
                         "or 3)", 0)
        if not any(cap.kind == CapKind.KV for cap in caps):
            raise c.fail("limits.kv_write is set but 'kv' is not granted", at_v4)
        kv_write = written
    if c.pos != len(data):
        raise c.fail(f"{len(data) - c.pos} trailing bytes after the capabilities")
    try:
        return Manifest(name=name, version=Version(major, minor, patch),
                        capabilities=tuple(caps),
                        limits=Limits(mem, stack, fuel, kv, cpu, queue, kv_write),
                        entry=entry,
                        autostart=bool(flags & FLAG_AUTOSTART), api_version=api,
                        on_trap="restart" if flags & FLAG_RESTART else "stop",
                        args=tuple(args), env=tuple(env))
    except ManifestError as e:
        raise c.fail(str(e), at_fixed) from None


def _read_strings(c: _Cursor, what: str, limit: int) -> list[str]:
    at = c.pos
    n = c.u8(f"{what} count")
    if n > limit:
        raise c.fail(f"{n} {what}, more than {limit}", at)
    out = []
    for i in range(n):
        at = c.pos
        raw = c.take(c.u8(f"{what} {i} length"), f"{what} {i}")
        if 0 in raw:
            raise c.fail(f"{what} {i}: NUL byte", at)
        try:
            out.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise c.fail(f"{what} {i}: not UTF-8", at) from None
    return out


def manifest_to_toml(m: Manifest) -> str:
    """The TOML a module author would write for `m` (used by inspect and tests)."""
    caps = ", ".join(f'"{c}"' for c in m.capabilities)
    lines = [f'name = "{m.name}"', f'version = "{m.version}"']
    if m.entry:
        lines.append(f"entry = {json.dumps(m.entry)}")
    if m.autostart:
        lines.append("autostart = true")
    if m.on_trap != "stop":
        lines.append(f'on_trap = "{m.on_trap}"')
    lines += [f"capabilities = [{caps}]", "", "[limits]",
              f"memory = {m.limits.memory_bytes}", f"stack = {m.limits.stack_bytes}",
              f"fuel = {m.limits.fuel_per_slice}", f"kv = {m.limits.kv_bytes}"]
    if m.limits.cpu_fuel_per_s:
        lines.append(f"cpu = {m.limits.cpu_fuel_per_s}")
    if m.limits.queue_depth != QUEUE_DEPTH_MAX:
        lines.append(f"queue = {m.limits.queue_depth}")
    if m.limits.kv_write_per_hour != DEFAULT_KV_WRITE_PER_HOUR:
        lines.append(f"kv_write = {m.limits.kv_write_per_hour}")
    if m.args:
        lines.insert(2, f"args = [{', '.join(json.dumps(a) for a in m.args)}]")
    if m.env:
        lines += ["", "[env]", *(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in m.env)]
    return "\n".join(lines) + "\n"
