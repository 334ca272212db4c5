"""What a board offers modules besides pins: the `peripherals` section of
boards/<board>.json (I2C and SPI controllers, auxiliary UARTs, ADC channels, PWM outputs,
and the names a manifest may grant them by), checked so that every name points at a unit
the board has.

    "peripherals": {
      "i2c":  [{"kind": "sbcon", "base": "0x4002a000", "hz": 100000}],     bus 0, 1, ...
      "spi":  [{"kind": "pl022", "base": "0x40027000", "hz": 1000000, "cs": 1}],
      "uart": [{"kind": "cmsdk-apb-uart", "base": "0x40005000", "rx_irq": 2}],
      "adc":  [{"kind": "max1111", "spi": "0/0", "channel": 0, "bits": 8}],
      "pwm":  [{"kind": "cmsdk-timer-led", ..., "max_hz": 1000}],
      "names": {"temp0": "i2c:0/0x48", "aux": "uart:0", "vin0": "adc:0"}
    }

Each port reads the fields of its kinds (the QEMU builder passes them to the mps2 port as
defines; the real boards' ports have them in code, checked against this file by tests).
The names reach the firmware as one string (WM_PERIPH_NAMES, `names_string`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wasmote.package.peripherals import (
    UNITS_MAX,
    PeripheralError,
    Target,
    names_string,
    parse_names,
)


@dataclass(frozen=True)
class PeriphUnit:
    """One controller or channel: its kind and the board file's fields for it."""

    kind: str
    fields: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def int(self, key: str, default: int | None = None) -> int:
        value = self.fields.get(key, default)
        if value is None:
            raise PeripheralError(f"{self.kind}: missing field {key!r}")
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise PeripheralError(f"{self.kind}.{key}: not a number: {value!r}")
        return value if isinstance(value, int) else int(value, 0)


@dataclass(frozen=True)
class Peripherals:
    i2c: tuple[PeriphUnit, ...] = ()
    spi: tuple[PeriphUnit, ...] = ()
    uart: tuple[PeriphUnit, ...] = ()
    adc: tuple[PeriphUnit, ...] = ()
    pwm: tuple[PeriphUnit, ...] = ()
    names: tuple[tuple[str, str], ...] = ()  # in the board file's order

    def targets(self) -> dict[str, Target]:
        return parse_names(dict(self.names))

    def names_string(self) -> str:
        """What the firmware gets as WM_PERIPH_NAMES."""
        return names_string(dict(self.names))

    def units(self, kind: str) -> tuple[PeriphUnit, ...]:
        units: tuple[PeriphUnit, ...] = getattr(self, kind)
        return units


KINDS = ("i2c", "spi", "uart", "adc", "pwm")


def parse_peripherals(raw: dict[str, Any] | None) -> Peripherals:
    """The `peripherals` section (None: the board offers none). PeripheralError says what
    is wrong."""
    if raw is None:
        return Peripherals()
    if not isinstance(raw, dict):
        raise PeripheralError("peripherals: expected an object")
    unknown = sorted(set(raw) - {*KINDS, "names"})
    if unknown:
        raise PeripheralError(f"peripherals: unknown key {unknown[0]!r}")
    lists: dict[str, tuple[PeriphUnit, ...]] = {}
    for kind in KINDS:
        items = raw.get(kind, [])
        if not isinstance(items, list) or len(items) > UNITS_MAX:
            raise PeripheralError(f"peripherals.{kind}: expected a list of at most "
                                  f"{UNITS_MAX} objects")
        units = []
        for i, item in enumerate(items):
            if not isinstance(item, dict) or not isinstance(item.get("kind"), str):
                raise PeripheralError(f"peripherals.{kind}[{i}]: expected an object with "
                                      f"a 'kind'")
            units.append(PeriphUnit(item["kind"], dict(item)))
        lists[kind] = tuple(units)
    names = raw.get("names", {})
    if not isinstance(names, dict) or not all(isinstance(v, str) for v in names.values()):
        raise PeripheralError("peripherals.names: expected an object of strings")
    p = Peripherals(**lists, names=tuple(names.items()))
    for name, t in p.targets().items():
        _check_exists(p, name, t)
    for i, unit in enumerate(p.spi):
        if not 1 <= unit.int("cs", 1) <= UNITS_MAX:
            raise PeripheralError(f"peripherals.spi[{i}].cs: 1..{UNITS_MAX} chip selects")
    return p


def _check_exists(p: Peripherals, name: str, t: Target) -> None:
    units = p.units(t.kind)
    index = t.bus if t.kind in ("i2c", "spi") else t.unit
    if index >= len(units):
        what = "bus" if t.kind in ("i2c", "spi") else "channel"
        raise PeripheralError(f"peripherals.names.{name}: {t} but the board has no {t.kind} "
                              f"{what} {index}")
    if t.kind == "spi" and t.unit >= units[t.bus].int("cs", 1):
        raise PeripheralError(f"peripherals.names.{name}: {t} but spi bus {t.bus} has "
                              f"{units[t.bus].int('cs', 1)} chip select(s)")
