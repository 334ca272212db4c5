"""Peripheral grants and targets: the host's copy of the device's grammar
(firmware/src/core/sandbox/periph_target.c; tests/periph checks the two agree).

    i2c:BUS/0xAA   one device: a 7-bit address 0x08..0x77 (two lowercase hex digits); the
                   reserved addresses (general call, 10-bit prefixes) are never reachable
    i2c:BUS/*      every device on the bus
    spi:BUS/CS     one chip select;  spi:BUS/*  every chip select on the bus
    uart:NAME  adc:NAME  pwm:NAME   a channel the board names
    i2c:NAME  spi:NAME              a device the board names ("temp0" = i2c:0/0x48)

BUS and CS are decimal 0..15 without leading zeros; NAME is [a-z][a-z0-9_]{0,31}.

A board names its devices and channels in `peripherals.names` of boards/<board>.json; the
firmware gets the same table as one string (`names_string`), so a manifest may grant
`i2c:temp0` and the module runs on any board that calls its sensor temp0.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

UNITS_MAX = 16  # buses, chip selects and channel indexes per kind (WM_PERIPH_UNITS_MAX)
I2C_ADDR_MIN, I2C_ADDR_MAX = 0x08, 0x77
KINDS = ("i2c", "spi", "uart", "adc", "pwm")
BUS_KINDS = ("i2c", "spi")

NAME_RE = re.compile(r"[a-z][a-z0-9_]{0,31}")
_NUMBER_RE = re.compile(r"0|[1-9][0-9]?")
_ADDR_RE = re.compile(r"0x[0-9a-f]{2}")


class PeripheralError(ValueError):
    """A peripheral argument or a board's name table does not follow the grammar."""


@dataclass(frozen=True)
class Target:
    """What a grant or an open names: kind, bus (I2C/SPI), unit (address, chip select or
    channel index); `any` = every unit of the bus (grants only)."""

    kind: str
    bus: int = 0
    unit: int = 0
    any: bool = False

    def __str__(self) -> str:
        if self.kind not in BUS_KINDS:
            return f"{self.kind}:{self.unit}"
        unit = "*" if self.any else f"0x{self.unit:02x}" if self.kind == "i2c" else str(
            self.unit)
        return f"{self.kind}:{self.bus}/{unit}"


def _number(text: str) -> int | None:
    if not _NUMBER_RE.fullmatch(text):
        return None
    value = int(text)
    return value if value < UNITS_MAX else None


def _address(text: str) -> int | None:
    if not _ADDR_RE.fullmatch(text):
        return None
    value = int(text, 16)
    return value if I2C_ADDR_MIN <= value <= I2C_ADDR_MAX else None


def parse_numeric(kind: str, text: str, allow_any: bool) -> Target | None:
    """BUS/UNIT (or BUS/* when allowed) of an I2C or SPI argument; None if not that form."""
    if kind not in BUS_KINDS or "/" not in text:
        return None
    bus_text, unit_text = text.split("/", 1)
    bus = _number(bus_text)
    if bus is None:
        return None
    if unit_text == "*":
        return Target(kind, bus, 0, True) if allow_any else None
    unit = _address(unit_text) if kind == "i2c" else _number(unit_text)
    return None if unit is None else Target(kind, bus, unit)


def argument_ok(kind: str, arg: str) -> bool:
    """The capability-argument grammar of kind i2c/spi/uart/adc/pwm."""
    if kind not in KINDS or not arg or len(arg) > 32 or not arg.isascii():
        return False
    return bool(NAME_RE.fullmatch(arg)) or parse_numeric(kind, arg, True) is not None


def check_argument(kind: str, arg: str) -> None:
    """Raise PeripheralError saying what the argument of `kind` should look like."""
    if argument_ok(kind, arg):
        return
    if kind in BUS_KINDS:
        unit = "0xAA (a 7-bit address 0x08..0x77)" if kind == "i2c" else "CS"
        raise PeripheralError(
            f"bad {kind} argument {arg!r}: expected BUS/{unit}, BUS/* or a board name "
            f"[a-z][a-z0-9_]*; BUS and CS are 0..15, the address two lowercase hex digits")
    raise PeripheralError(f"bad {kind} argument {arg!r}: expected the board's name of the "
                          f"channel, [a-z][a-z0-9_]* (at most 32 characters)")


def _spec(kind: str, text: str) -> Target | None:
    """The right-hand side of a board name: KIND:BUS/UNIT or KIND:INDEX."""
    if kind in BUS_KINDS:
        return parse_numeric(kind, text, False)
    index = _number(text)
    return None if index is None else Target(kind, 0, index)


def parse_names(names: Mapping[str, str], source: str = "peripherals.names") -> dict[
        str, Target]:
    """A board's name table ({"temp0": "i2c:0/0x48", "aux": "uart:0"}) checked and parsed."""
    out: dict[str, Target] = {}
    for name, value in names.items():
        if not NAME_RE.fullmatch(name):
            raise PeripheralError(f"{source}: bad name {name!r} (expected [a-z][a-z0-9_]*, "
                                  f"at most 32 characters)")
        kind, sep, spec = str(value).partition(":")
        target = _spec(kind, spec) if sep and kind in KINDS else None
        if target is None:
            raise PeripheralError(f"{source}.{name}: bad target {value!r} (expected "
                                  f"i2c:BUS/0xAA, spi:BUS/CS, uart:N, adc:N or pwm:N)")
        out[name] = target
    return out


def names_string(names: Mapping[str, str]) -> str:
    """The table as the firmware reads it (WM_PERIPH_NAMES): "temp0=i2c:0/0x48,aux=uart:0"."""
    parse_names(names)
    return ",".join(f"{n}={v}" for n, v in names.items())


def resolve(kind: str, arg: str, names: Mapping[str, Target]) -> Target | None:
    """A grant or open argument on a board: its target, or None for a name the board does
    not have for this kind (the grammar is assumed checked)."""
    if NAME_RE.fullmatch(arg):
        t = names.get(arg)
        return t if t is not None and t.kind == kind else None
    return parse_numeric(kind, arg, True)


def granted(grants: list[tuple[str, str]], target: Target,
            names: Mapping[str, Target]) -> bool:
    """Whether one of the (kind, argument) grants covers `target` on this board."""
    for kind, arg in grants:
        g = resolve(kind, arg, names) if kind == target.kind else None
        if g is not None and g.bus == target.bus and (g.any or g.unit == target.unit):
            return True
    return False
