"""Typed wasm values as raw bit patterns, and their text forms.

Two text forms exist: the driver's wire form (`i32:2a`, hex bits; `externref:null`) that
the C driver parses without any float code, and the user form of `wasmote exec`
(`i32:-7`, `f64:0.1`, shortest round-trip decimals).
"""

from __future__ import annotations

import math
import re
import struct
from dataclasses import dataclass

from wasmote.errors import WasmoteError

NUM_TYPES = ("i32", "i64", "f32", "f64")
REF_TYPES = ("funcref", "externref")
ALL_TYPES = NUM_TYPES + REF_TYPES
_WIDTH = {"i32": 32, "i64": 64, "f32": 32, "f64": 64}


class ValueError_(WasmoteError):
    """A value given on the command line or by a driver could not be understood."""


@dataclass(frozen=True)
class Value:
    """A wasm value: the type and its raw bits (None for a null reference)."""

    type: str
    bits: int | None

    def __post_init__(self) -> None:
        if self.type not in ALL_TYPES:
            raise ValueError_(f"unknown value type '{self.type}'")
        if self.type in NUM_TYPES:
            if self.bits is None or not 0 <= self.bits < (1 << _WIDTH[self.type]):
                raise ValueError_(f"{self.type} bits out of range: {self.bits}")

    # ---- the driver's wire form -------------------------------------------------------
    def wire(self) -> str:
        return f"{self.type}:{'null' if self.bits is None else format(self.bits, 'x')}"

    @classmethod
    def from_wire(cls, text: str) -> Value:
        typ, sep, rest = text.partition(":")
        if not sep or typ not in ALL_TYPES:
            raise ValueError_(f"bad value from driver: '{text}'")
        if rest == "null" and typ in REF_TYPES:
            return cls(typ, None)
        try:
            return cls(typ, int(rest, 16))
        except ValueError as e:
            raise ValueError_(f"bad value from driver: '{text}'") from e

    # ---- the user form ----------------------------------------------------------------
    def user(self) -> str:
        return f"{self.type}:{format_value(self)}"


def _signed(bits: int, width: int) -> int:
    return bits - (1 << width) if bits >> (width - 1) else bits


def f32_from_bits(bits: int) -> float:
    return float(struct.unpack("<f", struct.pack("<I", bits))[0])


def f64_from_bits(bits: int) -> float:
    return float(struct.unpack("<d", struct.pack("<Q", bits))[0])


def f32_bits(x: float) -> int:
    return int(struct.unpack("<I", struct.pack("<f", x))[0])


def f64_bits(x: float) -> int:
    return int(struct.unpack("<Q", struct.pack("<d", x))[0])


def _nan_text(bits: int, width: int) -> str:
    mant_bits = 23 if width == 32 else 52
    sign = "-" if bits >> (width - 1) else ""
    payload = bits & ((1 << mant_bits) - 1)
    canonical = 1 << (mant_bits - 1)
    return f"{sign}nan" if payload == canonical else f"{sign}nan:0x{payload:x}"


def _shortest_f32(x: float) -> str:
    """The shortest decimal that reads back as the same f32."""
    for digits in range(1, 10):
        text = f"{x:.{digits}g}"
        if f32_bits(float(text)) == f32_bits(x):
            return _pretty_float(text)
    return _pretty_float(repr(x))


def _pretty_float(text: str) -> str:
    """Python-style spelling: always a '.' or exponent so the value reads as a float."""
    if "e" in text:
        mant, exp = text.split("e")
        exp_i = int(exp)
        if -5 < exp_i < 17 and "." not in mant:
            text = repr(float(text))
        else:
            return f"{mant}e{'+' if exp_i >= 0 else '-'}{abs(exp_i):02d}"
    if "." not in text and "e" not in text and "inf" not in text and "nan" not in text:
        text += ".0"
    return text


def format_value(v: Value) -> str:
    """The user form of a value (without the type prefix)."""
    if v.bits is None:
        return "null"
    if v.type in ("i32", "i64"):
        return str(_signed(v.bits, _WIDTH[v.type]))
    if v.type in REF_TYPES:
        return str(v.bits)
    width = _WIDTH[v.type]
    x = f32_from_bits(v.bits) if width == 32 else f64_from_bits(v.bits)
    if math.isnan(x):
        return _nan_text(v.bits, width)
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return _shortest_f32(x) if width == 32 else repr(x)


_INT_RE = re.compile(r"^[+-]?(0x[0-9a-f_]+|[0-9_]+)$", re.IGNORECASE)


def _parse_int(text: str, width: int) -> int:
    if not _INT_RE.match(text):
        raise ValueError_(f"not an integer: '{text}'")
    n = int(text.replace("_", ""), 0)
    if not -(1 << (width - 1)) <= n < (1 << width):
        raise ValueError_(f"'{text}' does not fit in i{width}")
    return n & ((1 << width) - 1)


def _parse_float(text: str, width: int) -> int:
    t = text.strip().lower()
    sign = 1 << (width - 1) if t.startswith("-") else 0
    body = t.lstrip("+-")
    mant_bits = 23 if width == 32 else 52
    exp_all = ((1 << width) - 1) ^ ((1 << (width - 1)) | ((1 << mant_bits) - 1))
    if body.startswith("nan"):
        payload = 1 << (mant_bits - 1)
        if body.startswith("nan:"):
            payload = _parse_int(body[4:], 64)
            if not 0 < payload < (1 << mant_bits):
                raise ValueError_(f"bad NaN payload in '{text}'")
        elif body != "nan":
            raise ValueError_(f"not a float: '{text}'")
        return sign | exp_all | payload
    if body in ("inf", "infinity"):
        return sign | exp_all
    try:
        x = float.fromhex(t) if "0x" in body else float(t)
    except ValueError as e:
        raise ValueError_(f"not a float: '{text}'") from e
    if width == 32:
        try:
            return f32_bits(x)
        except OverflowError as e:
            raise ValueError_(f"'{text}' is out of range for f32") from e
    return f64_bits(x)


def parse_user_value(text: str) -> Value:
    """`i32:7`, `i64:-1`, `f32:1.5`, `f64:0x1p-3`, `f64:nan`, or a bare integer (i32)."""
    typ, sep, rest = text.partition(":")
    if not sep:
        return Value("i32", _parse_int(text, 32))
    typ = typ.lower()
    if typ in ("i32", "i64"):
        return Value(typ, _parse_int(rest, _WIDTH[typ]))
    if typ in ("f32", "f64"):
        return Value(typ, _parse_float(rest, _WIDTH[typ]))
    if typ in REF_TYPES:
        if rest == "null":
            return Value(typ, None)
        return Value(typ, _parse_int(rest, 32))
    raise ValueError_(f"unknown value type in '{text}' (use i32:, i64:, f32:, f64:)")
