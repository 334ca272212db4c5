"""The emulated parts of a simulated board: the devices its board file lists
(`qemu.devices`, e.g. a TMP105 at 0x48 on the I2C bus), more from `wasmote sim --device`,
the auxiliary UARTs each on a TCP port of their own, and a QMP socket to change what the
parts measure while the firmware runs (qmp.py).

A device spec is QEMU's `-device` argument: `DRIVER[,KEY=VALUE...]`. One with the `id=` of
a board device replaces it (`--device tmp105,address=0x48,id=temp0,temperature=30000`);
the id is also how `wasmote sim set ID PROPERTY VALUE` names it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from wasmote.boards import Board
from wasmote.errors import UsageError

_SPEC_RE = re.compile(r"[A-Za-z0-9_-]+(,[A-Za-z0-9_.-]+=[A-Za-z0-9_.:/+-]*)*")
_ID_RE = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,31}")
QOM_PREFIX = "/machine/peripheral/"


@dataclass(frozen=True)
class AuxUart:
    """A module UART the sim exposes: its board name, QEMU serial index, TCP port."""

    name: str
    serial: int
    port: int


def device_id(spec: str) -> str | None:
    for part in spec.split(",")[1:]:
        key, _, value = part.partition("=")
        if key == "id":
            return value
    return None


def check_spec(spec: str) -> str:
    if not _SPEC_RE.fullmatch(spec):
        raise UsageError(f"bad --device {spec!r}: expected DRIVER[,KEY=VALUE...], e.g. "
                         f"tmp105,address=0x49,id=temp1")
    ident = device_id(spec)
    if ident is not None and not _ID_RE.fullmatch(ident):
        raise UsageError(f"bad --device {spec!r}: id must be a letter then letters, digits, "
                         f"'_', '.' or '-'")
    return spec


def device_specs(board: Board, extra: Sequence[str] = ()) -> list[str]:
    """The board's devices, then `extra`; an extra with a board device's id replaces it."""
    specs = list(board.qemu.devices) if board.qemu else []
    for spec in map(check_spec, extra):
        ident = device_id(spec)
        specs = [s for s in specs if ident is None or device_id(s) != ident]
        specs.append(spec)
    return specs


def aux_uarts(board: Board) -> list[tuple[str, int]]:
    """(name, QEMU serial index) of each module UART the board names, by serial index."""
    p = board.peripherals
    by_index = {t.unit: name for name, t in p.targets().items() if t.kind == "uart"}
    out = []
    for i, unit in enumerate(p.uart):
        serial = unit.fields.get("qemu_serial")
        if isinstance(serial, int) and i in by_index:
            out.append((by_index[i], serial))
    return sorted(out, key=lambda x: x[1])


def qemu_args(specs: Sequence[str], qmp: Path, aux: Sequence[AuxUart], host: str) -> list[str]:
    """QEMU arguments after the console's `-serial`: devices, module UARTs, QMP."""
    args: list[str] = []
    for spec in specs:
        args += ["-device", spec]
    for n, a in enumerate(aux, start=1):
        if a.serial != n:  # -serial arguments are positional: UART 1, 2, ...
            raise UsageError(f"board uart {a.name}: qemu_serial {a.serial}, expected {n}")
        args += ["-serial", f"tcp:{host}:{a.port},server=on,wait=off,nodelay=on"]
    return [*args, "-qmp", f"unix:{qmp},server=on,wait=off"]


def qom_path(device: str) -> str:
    if not _ID_RE.fullmatch(device):
        raise UsageError(f"bad device id {device!r}")
    return QOM_PREFIX + device
