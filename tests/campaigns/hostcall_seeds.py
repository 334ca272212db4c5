"""Seed inputs of fuzz/fuzz_hostcalls.c (its header documents the format): sessions that
open, use and close every simulated peripheral, write through WASI with good and hostile
iovecs, and call the rest of the API, under several grant sets and memory shapes."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from wasmote.package.capabilities import HOST_FUNCTIONS
from wasmote.package.wasi_imports import AS_FUNCTIONS, WASI_FUNCTIONS

# the harness's k_caps, by position (bit i of the grant mask)
CAPS = ("log", "time", "sleep", "kv", "random", "gpio:led0", "gpio:*", "pubsub:sensors/*",
        "pubsub:*", "i2c:temp0", "i2c:0/0x50", "i2c:0/*", "i2c:nosuch", "spi:loop0", "spi:0/*",
        "uart:aux", "adc:vin0", "pwm:led1", "pwm:fan0", "i2c:1/0x48", "spi:adc0", "adc:vin1")
# the harness's catalog: every import set in the device's order (wasmote, WASI, env)
CATALOG = [(n, f.params) for table in (HOST_FUNCTIONS, WASI_FUNCTIONS, AS_FUNCTIONS)
           for n, f in table.items()]
NO_MEMORY = 3


@dataclass(frozen=True)
class End:
    """An argument `back` bytes before the end of memory."""
    back: int


Arg = int | End


def header(caps: tuple[str, ...], pages: int = 1, more: int = 1, args: bool = False) -> bytes:
    mask = sum(1 << CAPS.index(c) for c in caps)
    return struct.pack("<I", mask)[:3] + bytes([pages | more << 2 | (0x10 if args else 0)])


def _arg(v: Arg, wide: bool) -> bytes:
    if isinstance(v, End):
        return bytes([0x40 | v.back])
    if -8 <= v <= 55:
        return bytes([v + 8])
    if 0 <= v < 0x4000:
        return bytes([0x80 | v >> 8, v & 0xFF])
    return b"\xc0" + struct.pack("<q" if wide else "<I", v if wide else v & 0xFFFFFFFF)


def call(name: str, *args: Arg) -> bytes:
    index = next(i for i, (n, _) in enumerate(CATALOG) if n == name)
    params = CATALOG[index][1]
    return bytes([index]) + b"".join(_arg(a, p in ("i64", "f64"))
                                     for a, p in zip(args, params, strict=True))


def poke(addr: int, data: bytes) -> bytes:
    return b"\xe0" + struct.pack("<HB", addr, len(data)) + data


def grow(pages: int) -> bytes:
    return bytes([0xF0 | pages])


def event(what: int, value: int) -> bytes:
    return b"\xf8" + struct.pack("<BH", what, value)


def _open(kind: str, at: int, name: bytes) -> bytes:
    return poke(at, name) + call(f"{kind}_open", at, len(name))


def _peripherals() -> bytes:
    s = _open("i2c", 0x100, b"temp0")                                 # handle 0
    s += call("i2c_write_read", 0, 0x200, 1, 0x300, 2) + call("i2c_read", 0, End(1), 2)
    s += call("i2c_write", 0, End(0), 0) + call("i2c_read", 0, 0x300, 65)
    s += _open("i2c", 0x120, b"eeprom0") + poke(0x200, b"\x00\x10hello")  # handle 1
    s += call("i2c_write", 1, 0x200, 7) + call("i2c_write_read", 1, 0x200, 2, 0x300, 64)
    s += _open("i2c", 0x140, b"0/0x2a") + event(0, 20000)             # handle 2: stretches
    s += call("i2c_read", 2, 0x300, 4) + event(0, 0) + event(1, 20) + call("i2c_write", 2, 0x200, 1)
    s += _open("spi", 0x160, b"loop0") + call("spi_transfer", 3, 0x200, 4, 0x300, 8)
    s += call("spi_transfer", 3, 0x200, 0, 0x300, 0)
    s += call("spi_transfer", 3, 0x200, 64, End(3), 64)
    s += _open("uart", 0x180, b"aux") + call("uart_write", 4, 0x200, 10)
    s += call("uart_read", 4, 0x300, 64, 0) + call("uart_read", 4, 0x300, 4, -1)
    s += event(2, 0x4110) + call("uart_read", 4, End(4), 8, 5)
    s += _open("adc", 0x1A0, b"vin0") + call("adc_read", 5) + event(3, 77) + call("adc_read", 5)
    s += _open("pwm", 0x1C0, b"led1") + call("pwm_set", 6, 1000, 32768)
    s += call("pwm_set", 6, 2000000, 1) + call("periph_close", 6) + call("pwm_set", 6, 10, 10)
    s += _open("pwm", 0x1E0, b"fan0") + _open("adc", 0x1F0, b"vin1") + _open("spi", 0x210, b"adc0")
    s += _open("i2c", 0x230, b"nosuch") + _open("i2c", 0x250, b"1/0x48")
    s += call("i2c_open", End(2), 5) + call("i2c_open", 0x100, 0) + call("i2c_open", 0x100, 33)
    s += call("i2c_read", -1, 0x300, 1) + call("i2c_read", 8, 0x300, 1) + call("adc_read", 0)
    for h in range(9):
        s += call("periph_close", h)
    return s + call("i2c_read", 0, 0x300, 2)


def _wasi() -> bytes:
    iovs = struct.pack("<IIII", 0x500, 6, 0x500, 0xFFFFFFF0)
    sub = (struct.pack("<QB7xIIQQH6x", 7, 0, 1, 0, 5_000_000, 0, 0)
           + struct.pack("<QB7xI28x", 8, 1, 0))
    s = poke(0x400, iovs) + poke(0x500, b"hello\n")
    s += call("fd_write", 1, 0x400, 1, 0x600) + call("fd_write", 2, 0x400, 2, 0x600)
    s += call("fd_write", 1, End(8), 1, 0x600) + call("fd_write", 1, 0x400, 1, End(3))
    s += call("fd_write", 1, 0x400, 2000, 0x600) + call("fd_read", 0, 0x400, 1, 0x600)
    s += call("fd_fdstat_get", 0, End(24)) + call("fd_filestat_get", 2, End(63))
    s += call("args_sizes_get", 0x700, 0x704) + call("args_get", 0x710, 0x740)
    s += call("environ_sizes_get", 0x700, End(4)) + call("environ_get", 0x710, 0x740)
    s += call("clock_time_get", 1, 0, 0x800) + call("clock_res_get", 0, End(8))
    s += call("clock_time_get", 9, 0, 0x800) + call("random_get", End(10), 20)
    s += call("random_get", 0x900, 200) + call("random_get", End(0), 0)
    s += poke(0xA00, sub) + call("poll_oneoff", 0xA00, 0xB00, 2, 0xC00)
    s += call("poll_oneoff", 0xA00, 0xB00, 1, 0xC00) + call("poll_oneoff", 0xA00, End(40), 2, 0xC00)
    s += call("sched_yield") + call("fd_prestat_get", 3, 0x100) + call("fd_seek", 1, 0, 0, 0x100)
    s += call("path_open", 3, 0, 0x100, 4, 0, 0, 0, 0, 0x200) + call("sock_recv", 0, 0, 0, 0, 0, 0)
    s += call("fd_close", 1) + call("fd_write", 1, 0x400, 1, 0x600) + call("fd_close", 1)
    s += poke(0xD00, b"\x08\0\0\0a\0b\0c\0d\0") + call("trace", 0xD04, 2, 0, 1, 2, 3, 4)
    s += call("seed") + call("abort", 0xD04, 0xD04, 1, 2) + call("abort", End(1), 3, 4, 5)
    return s + call("proc_exit", 3)


def _rest() -> bytes:
    s = poke(0x100, b"led0") + call("gpio_pin", 0x100, 4) + call("gpio_write", 0, 1)
    s += call("gpio_read", 1) + call("gpio_read", 7) + call("gpio_pin", End(2), 4)
    s += poke(0x200, b"key") + call("kv_set", 0x200, 3, 0x300, 10)
    s += call("kv_get", 0x200, 3, 0x300, 64) + call("kv_get", 0x200, 3, End(5), 64)
    s += call("kv_delete", 0x200, 3) + call("kv_set", 0x200, 33, 0, 0)
    s += poke(0x400, b"sensors/*sensors/t") + call("subscribe", 0x400, 9)
    s += call("publish", 0x409, 9, 0x300, 8) + call("receive", 0x300, 64, 0)
    s += call("receive", 0x300, 64, -1)
    s += call("publish", 0x409, 9, End(4), 8) + call("receive", End(2), 64, 0)
    s += call("log", 0x100, 200) + call("log", End(3), 10) + call("log", 0x100, -1)
    s += call("sleep_ms", 5) + call("yield") + call("time_ms") + call("sleep_ms", -3)
    return s


def hostcall_seeds() -> list[bytes]:
    everything: tuple[str, ...] = CAPS
    some: tuple[str, ...] = ("log", "i2c:temp0", "spi:loop0", "uart:aux", "pwm:led1")
    wasi: tuple[str, ...] = ("log", "time", "sleep", "random")
    rest: tuple[str, ...] = ("log", "time", "sleep", "kv", "gpio:led0", "pubsub:sensors/*")
    seeds = []
    for caps in (everything, some, ()):
        for pages, more in ((1, 1), (0, 1), (2, 0)):
            seeds.append(header(caps, pages, more) + _peripherals())
    for caps in (wasi, everything, ()):
        seeds.append(header(caps, 1, 1, args=True) + _wasi())
        seeds.append(header(caps, 0, 0) + _wasi())
        seeds.append(header(caps, NO_MEMORY, 0) + _wasi())
    for caps in (rest, everything, ()):
        seeds.append(header(caps, 1, 0) + _rest())
        seeds.append(header(caps, 0, 2) + grow(1) + _rest() + grow(3) + _rest())
    return seeds
