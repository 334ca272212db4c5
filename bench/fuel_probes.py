"""The modules bench/fuel.py runs on the Cortex-M4: one per instruction (class probes) and
the attacks (slice probes), assembled here byte by byte so that they can use what a compiler
never emits (immediates padded to their longest encoding, code as long as the device
allows between two check points).

Every probe exports `run(n)`: a loop run n times over a body of `REPS` copies of the probe's
snippet (each leaves the stack as it found it). It imports log, kv_get and publish, has a
memory, a table with a function in it, a mutable global, a passive data and element segment,
and a function with as many locals as one check point may pay for.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from wasmote.wasm import fuel
from wasmote.wasm.module import F32, F64, I32, I64
from wasmote.wasm.opcodes import OPS

REPS = 16


def uleb(v: int, pad: int = 0) -> bytes:
    """Unsigned LEB128, padded to `pad` bytes (a valid, longer encoding) when asked."""
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | 0x80 if v or len(out) + 1 < pad else b)
        if not v and len(out) >= pad:
            return bytes(out)


def sleb(v: int, pad: int = 0) -> bytes:
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        done = (v == 0 and not b & 0x40) or (v == -1 and b & 0x40)
        if done and len(out) + 1 >= pad:
            out.append(b)
            return bytes(out)
        out.append(b | 0x80)
        if done:  # padding: sign bits
            fill = 0x7F if v == -1 else 0
            while len(out) + 1 < pad:
                out.append(fill | 0x80)
            out.append(fill)
            return bytes(out)


# locals of run(n): 0 n, then one of each type with values that make operations slow but
# never trap: A (i32), B, E (i64: big / small divisor), C (f32), D (f64), Z (i32 0: address)
N, A, B, C, D, E, Z, F, C2, D2 = range(10)
LOCAL_TYPES = (I32, I64, F32, F64, I64, I32, I32, F32, F64)  # A..D2 (params excluded)
SECOND = {F32: C2, F64: D2}  # a float op's second operand
BY_TYPE = {I32: A, I64: B, F32: C, F64: D}


def get(i: int) -> bytes:
    return b"\x20" + uleb(i)


def i32c(v: int) -> bytes:
    return b"\x41" + sleb(v)


def _op_snippet(op: int) -> bytes | None:
    """[operands] op [drop results] for an instruction with a fixed signature."""
    info = OPS[op]
    if info.pops is None or info.pushes is None or info.imm not in ("", "memarg", "zero"):
        return None
    args = bytearray()
    for k, t in enumerate(info.pops):
        if info.align is not None and k == 0:
            args += get(Z)  # address
        elif op in (0x6D, 0x6E, 0x6F, 0x70) and k == 1:
            args += get(F)  # small i32 divisor
        elif op in (0x7F, 0x80, 0x81, 0x82) and k == 1:
            args += get(E)  # small i64 divisor: the slow case of a 64-bit division
        elif k == 1 and t in SECOND:
            args += get(SECOND[t])
        else:
            args += get(BY_TYPE[t])
    code = bytes([op]) if op < 0x100 else b"\xfc" + uleb(op & 0xFF)
    if info.imm == "memarg":
        code += uleb(info.align or 0) + uleb(0)
    elif info.imm == "zero":
        code += b"\x00"
    return bytes(args) + code + b"".join(keep(t) for t in reversed(info.pushes))


# a mutable global of each type: results go there, so that the C compiler of AOT code
# cannot drop the work that made them
G_OF = {I64: 0, I32: 1, F32: 2, F64: 3}


def keep(t: int) -> bytes:
    return b"\x24" + uleb(G_OF[t])


def loop(snippet: bytes, reps: int) -> bytes:
    """run(n)'s body: the snippet `reps` times, n times."""
    return (b"\x03\x40" + snippet * reps + get(N) + i32c(1) + b"\x6b\x22" + uleb(N) +
            b"\x0d\x00\x0b")


def _prologue() -> bytes:
    """Locals' values: see N..F."""
    return (i32c(0x7FFFFFFF) + b"\x21" + uleb(A) +
            b"\x42" + sleb(0x7FFFFFFFFFFFFFFF) + b"\x21" + uleb(B) +
            b"\x43" + struct.pack("<f", 3.7) + b"\x21" + uleb(C) +
            b"\x44" + struct.pack("<d", 2.0) + b"\x21" + uleb(D) +
            b"\x42" + sleb(3) + b"\x21" + uleb(E) +
            i32c(3) + b"\x21" + uleb(F) +
            b"\x43" + struct.pack("<f", 1.3) + b"\x21" + uleb(C2) +
            b"\x44" + struct.pack("<d", 3.1) + b"\x21" + uleb(D2))


def _section(sid: int, payload: bytes) -> bytes:
    return bytes([sid]) + uleb(len(payload)) + payload


def _vec(items: list[bytes]) -> bytes:
    return uleb(len(items)) + b"".join(items)


def _name(s: str) -> bytes:
    return uleb(len(s)) + s.encode()


# call targets: 0-2 imports (log, kv_get, publish), 3 the empty function, 4 the one with
# many locals, 5.. the probes. A module made with `random` imports WASI's random_get as well,
# as function 3 (F_RANDOM): its own functions then come one later (only the random attacks
# call it, so that the other modules' slices are not shortened by its charge).
F_LOG, F_KV, F_PUB, F_EMPTY, F_MANY = range(5)
F_RANDOM = 3
MANY_LOCALS = 32000  # zeroed at entry: 4002 units (limits.stack 320 KiB holds them)


def module(probes: list[tuple[str, bytes]], *, pages: tuple[int, int] = (2, 16),
           many: int = 1, start: bool = False, random: bool = False) -> bytes:
    """A module exporting each (name, run body) as `name(n)` (see the module docstring);
    with `start`, also `_start()`: the first probe with n = 0 (2^32 turns)."""
    types = [b"\x60\x01\x7f\x00", b"\x60\x00\x00", b"\x60\x02\x7f\x7f\x01\x7f",
             b"\x60\x04\x7f\x7f\x7f\x7f\x01\x7f"]
    imports = [_name("wasmote") + _name("log") + b"\x00\x02",
               _name("wasmote") + _name("kv_get") + b"\x00\x03",
               _name("wasmote") + _name("publish") + b"\x00\x03"]
    imports += [_name("wasi_snapshot_preview1") + _name("random_get") + b"\x00\x02"] * random
    first = len(imports)  # the empty function; many locals next, then the probes
    funcs = [b"\x01", b"\x01"] + [b"\x00"] * len(probes)  # empty, many, probes
    funcs += [b"\x01"] if start else []
    table = [b"\x70\x00" + uleb(8)]
    mem = [b"\x01" + uleb(pages[0]) + uleb(pages[1])]
    glob = [b"\x7e\x01\x42" + sleb(0x1234_5678_9ABC) + b"\x0b",
            b"\x7f\x01" + i32c(0) + b"\x0b",
            b"\x7d\x01\x43" + struct.pack("<f", 0.0) + b"\x0b",
            b"\x7c\x01\x44" + struct.pack("<d", 0.0) + b"\x0b"]
    exports = [_name(name) + b"\x00" + uleb(first + 2 + k) for k, (name, _) in enumerate(probes)]
    exports += [_name("_start") + b"\x00" + uleb(first + 2 + len(probes))] if start else []
    # active: the table full of `empty`; passive: 64 of them for table.init
    elems = [b"\x00" + i32c(0) + b"\x0b" + _vec([uleb(first)] * 8),
             b"\x01\x00" + _vec([uleb(first)] * 64)]
    # passive: 256 bytes for memory.init; active: the topic publish sends to, at 300
    data = [b"\x01" + _vec([bytes([i & 0xFF]) for i in range(256)]),
            b"\x00" + i32c(300) + b"\x0b" + _vec([b"t", b"/", b"a"])]
    locals_run = _vec([b"\x01" + bytes([t]) for t in LOCAL_TYPES])
    code = [b"\x00\x0b",  # empty
            _vec([uleb(many) + b"\x7e"]) + b"\x0b"]
    code += [locals_run + _prologue() + body + b"\x0b" for _, body in probes]
    code += [b"\x00" + i32c(0) + b"\x10" + uleb(first + 2) + b"\x0b"] if start else []
    code_entries = [uleb(len(c)) + c for c in code]
    return (b"\0asm\x01\0\0\0" + _section(1, _vec(types)) + _section(2, _vec(imports)) +
            _section(3, _vec(funcs)) + _section(4, _vec(table)) + _section(5, _vec(mem)) +
            _section(6, _vec(glob)) + _section(7, _vec(exports)) +
            _section(9, _vec(elems)) + _section(12, uleb(len(data))) +
            _section(10, _vec(code_entries)) + _section(11, _vec(data)))


def class_snippets() -> dict[str, bytes]:
    """One per instruction with a fixed signature, and the others by hand (calls, control,
    variables, bulk work, host functions, immediates padded to their longest encoding)."""
    snippets: dict[str, bytes] = {}
    for op in sorted(OPS):
        s = _op_snippet(op)
        if s is not None and op != 0x40 and not 0xFC08 <= op <= 0xFC11:  # (by hand below)
            snippets[OPS[op].name] = s
    data = 4096
    snippets.update({
        "local.get+drop": get(A) + b"\x1a",
        "local.set": get(A) + b"\x21" + uleb(A),
        "global.get+set": b"\x23\x00\x24\x00",
        "select": get(A) + get(A) + get(Z) + b"\x1b\x1a",
        "block": b"\x02\x40\x0b",
        "if-else": get(Z) + b"\x04\x40\x05\x0b",
        "br_if": b"\x02\x40" + get(Z) + b"\x0d\x00\x0b",
        "br_table": b"\x02\x40" + get(Z) + b"\x0e\x01\x00\x00\x0b",
        "call": b"\x10" + uleb(F_EMPTY),
        "call_indirect": get(Z) + b"\x11\x01\x00",
        "memory.grow-0": get(Z) + b"\x40\x00\x1a",
        "memory.fill-4k": get(Z) + get(A) + i32c(data) + b"\xfc\x0b\x00",
        "memory.copy-4k": i32c(data) + get(Z) + i32c(data) + b"\xfc\x0a\x00\x00",
        "memory.copy-4k-back": get(Z) + i32c(7) + i32c(data) + b"\xfc\x0a\x00\x00",
        "memory.init-256": get(Z) + get(Z) + i32c(256) + b"\xfc\x08\x00\x00",
        "table.fill-8": get(Z) + b"\xd2" + uleb(F_EMPTY) + i32c(8) + b"\xfc\x11\x00",
        "table.copy-7": i32c(1) + get(Z) + i32c(7) + b"\xfc\x0e\x00\x00",
        "table.init-walk-64": get(Z) + i32c(56) + i32c(8) + b"\xfc\x0c\x01\x00",
        "table.get+set": get(Z) + get(Z) + b"\x25\x00\x26\x00",
        "log-0": get(Z) + get(Z) + b"\x10" + uleb(F_LOG) + b"\x1a",
        "log-128": get(Z) + i32c(128) + b"\x10" + uleb(F_LOG) + b"\x1a",
        "kv_get": get(Z) + i32c(1) + i32c(64) + i32c(16) + b"\x10" + uleb(F_KV) + b"\x1a",
        "publish-64": i32c(300) + i32c(3) + get(Z) + i32c(64) + b"\x10" + uleb(F_PUB) +
                      b"\x1a",
        # what a compiler never emits: immediates at their longest encoding
        "local.get-pad5": b"\x20" + uleb(A, 5) + b"\x1a",
        "i32.const-pad5": b"\x41" + sleb(1, 5) + b"\x1a",
        "i64.const-pad10": b"\x42" + sleb(1, 10) + b"\x1a",
        "f64.const": b"\x44" + struct.pack("<d", 1.5) + b"\x1a",
        "global.get-pad5": b"\x23" + uleb(0, 5) + b"\x1a",
        "i32.load-pad5+5": get(Z) + b"\x28" + uleb(2, 5) + uleb(0, 5) + b"\x1a",
        "call-pad5": b"\x10" + uleb(F_EMPTY, 5),
        "br_if-pad5": b"\x02\x40" + get(Z) + b"\x0d" + uleb(0, 5) + b"\x0b",
        "f64.sqrt-chain": get(D) + b"\x9f" * 8 + keep(F64),
        "f32.sqrt-chain": get(C) + b"\x91" * 8 + keep(F32),
        "f64.div-chain": get(D) + (get(D2) + b"\xa3") * 4 + keep(F64),
        "i64.div_u-chain": get(B) + (get(E) + b"\x80") * 4 + keep(I64),
        "i64.trunc_f32_s-chain": (get(C) + b"\xae" + keep(I64)) * 4,
    })
    return snippets


def class_module() -> bytes:
    return module([(name, loop(s, REPS)) for name, s in sorted(class_snippets().items())])


def straight(snippet: bytes, weight: int) -> bytes:
    """As many copies of `snippet` (of that weight) as one check point may pay for, less
    the loop's own instructions."""
    return snippet * ((fuel.REGION_MAX - 16) // weight)


@dataclass(frozen=True)
class Attack:
    name: str
    wasm: bytes
    n: int            # run(n)
    memory: int       # limits.memory, bytes
    pkg_name: str = ""  # the module's name (default: from the attack's)
    slices: int = 12    # slices run (and measured)


def random_flood() -> bytes:
    """One random byte per call: each call is a whole DRBG request (its update steps)."""
    return module([("run", loop(get(Z) + i32c(1) + b"\x10" + uleb(F_RANDOM) + b"\x1a", 4))],
                  random=True)


def random_big() -> bytes:
    """64 KiB in one random_get (filled 64 bytes a slice)."""
    return module([("run", loop(get(Z) + i32c(1 << 16) + b"\x10" + uleb(F_RANDOM) + b"\x1a",
                                1))], random=True)


def attacks(worst: dict[str, tuple[bytes, int]]) -> list[Attack]:
    """The attacks on a slice's length, run as the supervisor runs them. `worst` names
    snippets (with their weight) of the costliest instructions per unit of fuel, each made
    into the longest stretch of code the device accepts."""
    big = 1 << 30
    out = [Attack(f"straight:{name}", module([("run", loop(straight(s, w), 1))]), big,
                  2 << 16) for name, (s, w) in worst.items()]
    out += [Attack(f"loop:{name}", module([("run", loop(s, REPS))]), big, 2 << 16)
            for name, (s, w) in worst.items()]

    def host(snippet: bytes) -> bytes:
        return module([("run", loop(snippet, 4))])

    out += [
        Attack("bulk:memory.fill-1MiB",
               module([("run", loop(get(Z) + get(A) + i32c(1 << 20) + b"\xfc\x0b\x00", 1))],
                      pages=(16, 16)), big, 16 << 16),
        Attack("bulk:memory.copy-1MiB-misaligned",
               module([("run", loop(i32c(1) + get(Z) + i32c((1 << 20) - 1) +
                                    b"\xfc\x0a\x00\x00", 1))], pages=(16, 16)),
               big, 16 << 16),
        Attack("bulk:memory.grow-960KiB",
               module([("run", loop(i32c(15) + b"\x40\x00\x1a", 1))], pages=(1, 16)), 1,
               16 << 16),
        Attack("locals:entry", module([("run", loop(b"\x10" + uleb(F_MANY), 1))],
                                      many=MANY_LOCALS), big, 2 << 16),
        Attack("host:log-flood", host(get(Z) + i32c(128) + b"\x10" + uleb(F_LOG) + b"\x1a"),
               big, 2 << 16),
        # empty lines from a module named "l": the device's log ring full of 3-byte entries
        # (341 of them: 40 slices of ~15 lines fill it)
        Attack("host:log-flood-empty", host(get(Z) + get(Z) + b"\x10" + uleb(F_LOG) + b"\x1a"),
               big, 2 << 16, "l", 40),
        Attack("host:kv-flood", host(get(Z) + i32c(1) + i32c(64) + i32c(16) + b"\x10" +
                                     uleb(F_KV) + b"\x1a"), big, 2 << 16),
        Attack("host:publish-flood", host(i32c(300) + i32c(3) + get(Z) + i32c(64) + b"\x10" +
                                          uleb(F_PUB) + b"\x1a"), big, 2 << 16),
        Attack("host:random-flood", random_flood(), big, 2 << 16),
        Attack("host:random-64KiB", random_big(), big, 2 << 16),
    ]
    return out
