"""Wire protocol version 1 (docs/protocol.md): COBS framing, CRC-32, frame and body codecs.

Frame on the wire: COBS(payload) 0x00, where
payload = u8 version | u8 type | u8 msg | u8 flags | u16 seq | u16 status | body | u32 crc.
Everything little-endian; crc is CRC-32 (IEEE, zlib's) over everything before it.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from enum import IntEnum

from wasmote.device.errors import ProtocolError
from wasmote.terminal_text import escape_controls, escape_line

PROTO_VERSION = 1
HEADER = struct.Struct("<BBBBHH")
MAX_CHUNK = 1024
MAX_PAYLOAD = HEADER.size + MAX_CHUNK + 32 + 4
NAME_MAX = 31
WINDOW = 8
LIST_MAX = 64  # most modules LIST reports: bounds the host's LIST round trips


class FrameType(IntEnum):
    REQUEST = 1
    RESPONSE = 2
    EVENT = 3


# Frame type the line-sharing relay (relay.py) uses to hand its clients the device's output
# that is not a frame (boot banner, prints). Host-local: never sent to or by a device.
CONSOLE_FRAME = 0x10
# The line the firmware prints once it has booted, just before it reads requests
# (firmware/src/app/app_main.c): bytes sent before it may have been lost in the boot.
BOOT_READY_LINE = b"ready\r\n"


class Msg(IntEnum):
    INFO = 0x01
    PUSH_BEGIN = 0x02
    PUSH_CHUNK = 0x03
    PUSH_COMMIT = 0x04
    LIST = 0x05
    RUN = 0x06
    START = 0x07
    STOP = 0x08
    REMOVE = 0x09
    LOGS = 0x0A
    RESET = 0x0B
    PROVISION = 0x0C
    NONCE = 0x0D
    SUBSCRIBE = 0x0E
    BRIDGE_IN = 0x0F
    EV_BOOT = 0x80
    EV_LOG = 0x81
    EV_TRAP = 0x82
    EV_EXIT = 0x83
    EV_OUTPUT = 0x84  # a piece of a module's stdout/stderr: u8 flags (OUT_*), bytes
    EV_BRIDGE_OUT = 0x85


class Status(IntEnum):
    OK = 0
    MALFORMED = 1
    UNKNOWN_MSG = 2
    BAD_VERSION = 3
    NOT_FOUND = 4
    NO_SPACE = 5
    HASH_MISMATCH = 6
    BAD_STATE = 7
    INVALID_MODULE = 8
    FLASH_ERROR = 9
    NOT_SUPPORTED = 10
    TOO_LARGE = 11
    TRAP = 12
    BUSY = 13
    BAD_NAME = 14
    BAD_ARGS = 15
    DENIED = 16
    NO_RAM = 17
    AUTH = 18  # provisioned device: the request needs a valid token (NONCE, --key)
    EXITED = 19  # RUN: the module ended itself with WASI proc_exit ("exit status N")


def status_name(code: int) -> str:
    try:
        return Status(code).name
    except ValueError:
        return f"status {code}"


FEAT_STORE = 0x1
FEAT_RUN = 0x2
FEAT_RESUME = 0x4
FEAT_EVENTS = 0x8
FEAT_SANDBOX = 0x10
FEAT_SCHEDULER = 0x20
FEAT_AOT = 0x40
FEAT_AOT_MPU = 0x80  # native code runs unprivileged, isolated by the MPU
FEAT_BRIDGE = 0x100  # BRIDGE_IN and BRIDGE_OUT events (bridge: grants)
FEATURE_NAMES = {FEAT_STORE: "store", FEAT_RUN: "run", FEAT_RESUME: "resume",
                 FEAT_EVENTS: "events", FEAT_SANDBOX: "sandbox", FEAT_SCHEDULER: "scheduler",
                 FEAT_AOT: "aot", FEAT_AOT_MPU: "aot-mpu", FEAT_BRIDGE: "bridge"}

# Module states in LIST (firmware/src/core/supervisor/supervisor.h WM_MS_*).
MODULE_STATES = ("idle", "ready", "sleeping", "waiting", "backoff", "exited", "stopped",
                 "trapped", "disabled", "failed")
RUNNING_STATES = frozenset({"ready", "sleeping", "waiting", "backoff"})
MODULE_KINDS = ("wasm", "package", "package+aot")
RESET_CAUSES = ("power-on", "software", "watchdog", "fault")
MODFLAG_AUTOSTART = 0x1
# LIST detail: how a module's wasm code runs (wire.h WM_CODE_*: in place, pre-decoded, its
# stored form refused at load so in place)
CODE_IN_PLACE, CODE_PREDECODED, CODE_REFUSED = 0, 1, 2
CODE_NAMES = ("in place", "pre-decoded", "in place (form refused)")
OUT_STDERR = 0x1   # OUTPUT event: fd 2, else fd 1
OUT_PARTIAL = 0x2  # OUTPUT event: no newline after this piece

# Management authentication (docs/protocol.md "Authentication", firmware protocol/auth.h).
FRAME_FLAG_AUTH = 0x01
DEVICE_ID_BYTES = 16
AUTH_NONCE_BYTES = 16
AUTH_TRAILER = 32 + AUTH_NONCE_BYTES + 64
AUTH_NONCES = 8         # outstanding nonces a device keeps (the oldest goes first)
AUTH_NONCE_MS = 60_000  # a nonce not used within this is refused
AUTH_DOMAIN = b"wasmote-auth-v1\0"
ROLE_PACKAGE = 0x1
ROLE_OPERATE = 0x2
ROLE_ADMIN = 0x4
ROLES_ALL = 0x7
ROLE_NAMES = {ROLE_PACKAGE: "package", ROLE_OPERATE: "operate", ROLE_ADMIN: "admin"}
PROV_CLEAR_PINS = 0x1
PROV_KEEP_KEYS = 0x2
NONCE_AUTH_REQUIRED = 0x1
SUBSCRIBE_MAX_S = 3600
BRIDGE_OUT_PER_S = 10  # bridged publications a device sends per second (more are dropped)
TOPIC_MAX = 32         # bytes of a pub/sub topic (docs/api.md)
MESSAGE_MAX = 64       # bytes of a pub/sub message
# Open to anyone on the line even on a provisioned device; every other request needs a
# token (the device's role_needed() in protocol.c).
OPEN_MSGS = frozenset({Msg.INFO, Msg.NONCE, Msg.PUSH_BEGIN, Msg.PUSH_CHUNK, Msg.PUSH_COMMIT})
# Where the device's random numbers come from (INFO; core/random/random.h WM_RANDOM_*).
RANDOM_KINDS = {0: "none", 1: "hardware", 2: "seeded DRBG"}

VALUE_TYPES = {0x7F: "i32", 0x7E: "i64", 0x7D: "f32", 0x7C: "f64"}
VALUE_CODES = {v: k for k, v in VALUE_TYPES.items()}


def crc32(data: bytes) -> int:
    return zlib.crc32(data) & 0xFFFFFFFF


def cobs_encode(data: bytes) -> bytes:
    out = bytearray([0])
    code_at, code = 0, 1
    for b in data:
        if b == 0:
            out[code_at] = code
            code_at, code = len(out), 1
            out.append(0)
        else:
            out.append(b)
            code += 1
            if code == 0xFF:
                out[code_at] = code
                code_at, code = len(out), 1
                out.append(0)
    out[code_at] = code
    return bytes(out)


def cobs_decode(data: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(data):
        code = data[i]
        i += 1
        if code == 0 or i + code - 1 > len(data):
            raise ProtocolError("bad COBS block")
        block = data[i:i + code - 1]
        if 0 in block:
            raise ProtocolError("zero inside a COBS block")
        out += block
        i += code - 1
        if code != 0xFF and i < len(data):
            out.append(0)
    return bytes(out)


@dataclass(frozen=True)
class Frame:
    type: FrameType | int
    msg: Msg | int
    seq: int
    status: int = 0
    body: bytes = b""
    flags: int = 0
    version: int = PROTO_VERSION

    def payload(self) -> bytes:
        head = HEADER.pack(self.version, int(self.type), int(self.msg), self.flags,
                           self.seq & 0xFFFF, self.status)
        data = head + self.body
        return data + struct.pack("<I", crc32(data))

    def encode(self) -> bytes:
        return cobs_encode(self.payload()) + b"\0"


def parse_payload(payload: bytes) -> Frame:
    """A decoded payload to a Frame; ProtocolError if short or the CRC is wrong."""
    if len(payload) < HEADER.size + 4:
        raise ProtocolError("frame too short")
    data, (crc,) = payload[:-4], struct.unpack("<I", payload[-4:])
    if crc32(data) != crc:
        raise ProtocolError("frame CRC mismatch")
    version, ftype, msg, flags, seq, status = HEADER.unpack_from(data)
    return Frame(ftype, msg, seq, status, bytes(data[HEADER.size:]), flags, version)


@dataclass
class FrameDecoder:
    """Splits a byte stream into frames; garbage and damaged frames are counted, skipped."""

    max_encoded: int = 4 * MAX_PAYLOAD
    bad: int = 0
    _buf: bytearray = field(default_factory=bytearray)

    def feed(self, data: bytes) -> Iterator[Frame]:
        self._buf += data
        while True:
            end = self._buf.find(0)
            if end < 0:
                if len(self._buf) > self.max_encoded:
                    self._buf.clear()
                    self.bad += 1
                return
            chunk = bytes(self._buf[:end])
            del self._buf[:end + 1]
            if not chunk:
                continue
            try:
                yield parse_payload(cobs_decode(chunk))
            except ProtocolError:
                self.bad += 1


# ---- body codecs ----------------------------------------------------------------------


class Reader:
    """Reads a response body; running off its end is a ProtocolError."""

    def __init__(self, data: bytes, what: str) -> None:
        self.data, self.pos, self.what = data, 0, what

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise ProtocolError(f"{self.what}: response body too short")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def u8(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        return int(struct.unpack("<H", self.take(2))[0])

    def u32(self) -> int:
        return int(struct.unpack("<I", self.take(4))[0])

    def u64(self) -> int:
        return int(struct.unpack("<Q", self.take(8))[0])

    def str8(self) -> str:
        return self.take(self.u8()).decode("utf-8", "replace")


def str8(text: str) -> bytes:
    raw = text.encode()
    if len(raw) > 255:
        raise ProtocolError(f"string too long for the wire: {text[:40]}...")
    return bytes([len(raw)]) + raw


@dataclass(frozen=True)
class DeviceInfo:
    protocol_version: int
    max_chunk: int
    max_frame: int
    free_ram: int
    store_capacity: int
    store_free: int
    features: int
    modules: int
    window: int
    firmware_version: str
    board: str
    keys: int = 0             # provisioned public keys; 0 = unprovisioned
    key_counter: int = 0      # a signed PROVISION must carry a higher counter
    aot_arch: int = 0
    aot_abi: int = 0
    slots: int = 0
    running: int = 0
    boots: int = 0
    reset_cause: int = 0
    notes: str = ""
    device_id: bytes = b""    # made once by the device; every signed request binds it
    random_kind: int = 0      # RANDOM_KINDS

    @classmethod
    def decode(cls, body: bytes) -> DeviceInfo:
        r = Reader(body, "INFO")
        version = r.u8()
        r.u8()
        base = (version, r.u16(), r.u32(), r.u32(), r.u32(), r.u32(), r.u32(), r.u16(),
                r.u16(), r.str8(), r.str8())
        if r.pos == len(body):  # a firmware without the supervisor
            return cls(*base)
        state = (r.u8(), r.u32(), r.u8(), r.u16(), r.u16(), r.u16(), r.u32(), r.u8(),
                 r.str8())  # keys .. notes
        if r.pos == len(body):  # a firmware without device identity
            return cls(*base, *state)
        return cls(*base, *state, r.take(DEVICE_ID_BYTES), r.u8())

    @property
    def random_kind_name(self) -> str:
        return RANDOM_KINDS.get(self.random_kind, f"kind {self.random_kind}")

    def feature_names(self) -> list[str]:
        return [n for bit, n in FEATURE_NAMES.items() if self.features & bit]

    @property
    def reset_cause_name(self) -> str:
        c = self.reset_cause
        return RESET_CAUSES[c] if c < len(RESET_CAUSES) else f"cause {c}"


@dataclass(frozen=True)
class ModuleEntry:
    name: str
    size: int
    flags: int
    generation: int
    sha256: bytes
    state: str = "idle"
    kind: str = "wasm"
    version: tuple[int, int, int] = (0, 0, 0)
    mem_bytes: int = 0
    fuel_per_s: int = 0
    cpu_permille: int = 0
    traps: int = 0
    restarts: int = 0
    last_trap: str = ""
    # LIST's detail (asked for, and sent by a firmware that has it): the manifest's memory
    # and stack limits, and the linear memory it has now (0 when not loaded)
    detail: bool = False
    mem_limit: int = 0
    stack_limit: int = 0
    mem_now: int = 0
    code: str = "in place"
    form_bytes: int = 0  # flash its stored pre-decoded form takes

    @property
    def autostart(self) -> bool:
        return bool(self.flags & MODFLAG_AUTOSTART)

    @property
    def running(self) -> bool:
        return self.state in RUNNING_STATES


def _name_of(table: tuple[str, ...], code: int) -> str:
    return table[code] if code < len(table) else f"?{code}"


LIST_DETAIL = 0x80  # in the answer's count: each entry carries the detail fields


def list_body(first: int, detail: bool = False) -> bytes:
    return struct.pack("<H", first) + (b"\x01" if detail else b"")


def decode_list(body: bytes) -> tuple[int, list[ModuleEntry]]:
    r = Reader(body, "LIST")
    total, raw = r.u16(), r.u8()
    detail, count = bool(raw & LIST_DETAIL), raw & ~LIST_DETAIL
    entries = []
    for _ in range(count):
        size, flags, gen = r.u32(), r.u32(), r.u32()
        sha = r.take(32)
        name = r.str8()
        state, kind = _name_of(MODULE_STATES, r.u8()), _name_of(MODULE_KINDS, r.u8())
        version = (r.u16(), r.u16(), r.u16())
        e = ModuleEntry(name, size, flags, gen, sha, state, kind, version,
                        mem_bytes=r.u32(), fuel_per_s=r.u32(), cpu_permille=r.u16(),
                        traps=r.u32(), restarts=r.u32(), last_trap=r.str8())
        if detail:
            e = replace(e, detail=True, mem_limit=r.u32(), stack_limit=r.u32(),
                        mem_now=r.u32(), code=_name_of(CODE_NAMES, r.u8()),
                        form_bytes=r.u32())
        entries.append(e)
    return total, entries


PROVISION_KEYS_MAX = 4


def provision_body(flags: int, keys: list[tuple[bytes, int]]) -> bytes:
    """PROVISION: u8 flags | u8 n | n x (32-byte key, u8 roles) (docs/protocol.md)."""
    if len(keys) > PROVISION_KEYS_MAX or any(len(k) != 32 for k, _ in keys):
        raise ProtocolError(f"PROVISION takes 0..{PROVISION_KEYS_MAX} 32-byte public keys")
    if any(not 0 < roles <= ROLES_ALL for _, roles in keys):
        raise ProtocolError("PROVISION: each key needs a non-empty set of roles")
    return bytes([flags, len(keys)]) + b"".join(k + bytes([roles]) for k, roles in keys)


@dataclass(frozen=True)
class Nonce:
    """A NONCE answer: whether the device wants tokens, its id, one fresh nonce."""

    auth_required: bool
    device_id: bytes
    nonce: bytes

    @classmethod
    def decode(cls, body: bytes) -> Nonce:
        r = Reader(body, "NONCE")
        flags = r.u8()
        return cls(bool(flags & NONCE_AUTH_REQUIRED), r.take(DEVICE_ID_BYTES),
                   r.take(AUTH_NONCE_BYTES))


def auth_message(device_id: bytes, nonce: bytes, msg: int, body: bytes) -> bytes:
    """What the token's Ed25519 signature covers (firmware protocol/auth.h)."""
    return AUTH_DOMAIN + device_id + nonce + bytes([msg]) + body


def bridge_in_body(topic: str, data: bytes) -> bytes:
    """BRIDGE_IN: str8 topic, then the message to the end of the body."""
    return str8(topic) + data


@dataclass(frozen=True)
class BridgeMessage:
    """A BRIDGE_OUT event: module `module` published `data` on `topic` under its bridge:out
    grant; `dropped` of its publications before this one exceeded the device's rate."""

    module: str
    topic: str
    data: bytes
    dropped: int

    @classmethod
    def from_frame(cls, f: Frame) -> BridgeMessage:
        r = Reader(f.body, "BRIDGE_OUT")
        module = r.str8()
        dropped = r.u16()
        topic = r.str8()
        return cls(module, topic, f.body[r.pos:], dropped)


def push_begin_body(name: str, size: int, sha256: bytes, flags: int) -> bytes:
    return struct.pack("<II", size, flags) + sha256 + str8(name)


@dataclass(frozen=True)
class WireValue:
    """A wasm value as it crosses the wire: type name and raw bits."""

    type: str
    bits: int

    def encode(self) -> bytes:
        return struct.pack("<BQ", VALUE_CODES[self.type], self.bits)


def run_body(name: str, export: str, args: list[WireValue]) -> bytes:
    return str8(name) + str8(export) + bytes([len(args)]) + b"".join(a.encode() for a in args)


def decode_values(body: bytes) -> list[WireValue]:
    r = Reader(body, "RUN")
    out = []
    for _ in range(r.u8()):
        code, bits = r.u8(), r.u64()
        if code not in VALUE_TYPES:
            raise ProtocolError(f"RUN: unknown value type 0x{code:02x}")
        out.append(WireValue(VALUE_TYPES[code], bits))
    return out


@dataclass(frozen=True)
class LogLine:
    """One entry of the device's LOGS ring: which module, what it logged."""

    module: str
    text: str

    def render(self) -> str:
        """`module: text`, safe to print (controls escaped: one entry, one line)."""
        return f"{escape_controls(self.module)}: {escape_line(self.text)}"


def decode_logs(body: bytes) -> list[LogLine]:
    """LOGS: entries of (str8 module, str8 text), oldest first, to the end of the body."""
    r = Reader(body, "LOGS")
    out = []
    while r.pos < len(body):
        out.append(LogLine(r.str8(), r.str8()))
    return out


@dataclass(frozen=True)
class Event:
    """An unsolicited device event: a module's log line, trap, exit, output, or a boot.
    `data` is the body after the module name, as sent (`text` is it decoded for display)."""

    kind: Msg | int
    module: str
    text: str
    data: bytes = b""

    @classmethod
    def from_frame(cls, f: Frame) -> Event:
        r = Reader(f.body, "event")
        name = r.str8()
        data = f.body[r.pos:]
        if f.msg == Msg.EV_OUTPUT and not data:
            raise ProtocolError("OUTPUT event without its flags byte")
        return cls(f.msg, name, data.decode("utf-8", "replace"), data)

    @property
    def kind_name(self) -> str:
        k = self.kind
        return Msg(k).name.removeprefix("EV_").lower() if k in Msg._value2member_map_ \
            else f"event 0x{int(k):02x}"

    def render(self) -> str:
        """What a monitor prints: `module: text` for a log line or a piece of output,
        `[kind] module: text` otherwise, controls escaped."""
        if self.kind == Msg.EV_OUTPUT:
            text = self.output_bytes().decode("utf-8", "replace").rstrip("\n")
            where = " (stderr)" if self.stderr else ""
            return f"{escape_controls(self.module)}{where}: {escape_line(text)}"
        line = f"{escape_controls(self.module)}: {escape_line(self.text)}"
        return line if self.kind == Msg.EV_LOG else f"[{self.kind_name}] {line}"

    @property
    def stderr(self) -> bool:
        """OUTPUT: the piece is of stderr (else stdout)."""
        return bool(self.data[:1] and self.data[0] & OUT_STDERR)

    def output_bytes(self) -> bytes:
        """OUTPUT: the exact bytes of the stream this piece stands for (its newline back
        unless the line goes on)."""
        flags = self.data[0] if self.data else OUT_PARTIAL
        return self.data[1:] + (b"" if flags & OUT_PARTIAL else b"\n")
