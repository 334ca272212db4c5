"""Board descriptions: boards/<name>.json (a PlatformIO board manifest plus our `wasmote`
section: port, CPU, toolchain, memory map, module-store region, UART, QEMU machine and the
devices it attaches, the peripherals modules may be granted)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wasmote.board_periph import Peripherals, parse_peripherals
from wasmote.errors import UsageError, WasmoteError
from wasmote.package.peripherals import PeripheralError
from wasmote.paths import BOARDS_DIR


class BoardError(WasmoteError):
    """A board manifest is missing or malformed."""


class UnknownBoardError(UsageError):
    """No manifest of that name exists."""


@dataclass(frozen=True)
class Region:
    """A memory region: start address and size in bytes."""

    base: int
    size: int

    @property
    def end(self) -> int:
        return self.base + self.size


@dataclass(frozen=True)
class StoreRegion(Region):
    """The flash region of the module store and, at its end, the config area (keys, pins,
    crash counts, module key-value data); its erase unit (emulated in RAM under QEMU)."""

    sector: int = 4096
    kv_size: int = 65536

    @property
    def modules_size(self) -> int:
        """Bytes the module store itself gets (INFO's store capacity)."""
        return self.size - self.kv_size


@dataclass(frozen=True)
class Qemu:
    """How QEMU runs the board: `system` binary, `-M machine`, extra arguments, and the
    emulated parts `wasmote sim` attaches (`-device` specs, e.g. a TMP105 on the I2C bus)."""

    system: str
    machine: str
    args: tuple[str, ...] = ()
    devices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Uart:
    kind: str
    base: int


@dataclass(frozen=True)
class Board:
    """One board; `name` is also its PlatformIO environment name."""

    name: str
    title: str
    port: str
    cpu: str
    toolchain: str
    clock_hz: int
    platforms: tuple[str, ...]
    flash: Region
    ram: Region
    store: StoreRegion
    stack: int
    uart: Uart
    qemu: Qemu | None
    registry_only: bool
    path: Path
    peripherals: Peripherals = field(default_factory=Peripherals)

    @property
    def size_tool(self) -> str:
        return f"{self.toolchain}-size"

    @property
    def simulated(self) -> bool:
        return self.qemu is not None


def board_names(boards_dir: Path = BOARDS_DIR) -> list[str]:
    return sorted(p.stem for p in boards_dir.glob("*.json"))


def list_boards(boards_dir: Path = BOARDS_DIR) -> list[Board]:
    return [load_board(n, boards_dir) for n in board_names(boards_dir)]


def load_board(name: str, boards_dir: Path = BOARDS_DIR) -> Board:
    path = boards_dir / f"{name}.json"
    if not path.is_file():
        known = ", ".join(board_names(boards_dir)) or "none"
        raise UnknownBoardError(f"unknown board {name!r} (known: {known})")
    try:
        raw = json.loads(path.read_text())
        return _parse(name, raw, path)
    except json.JSONDecodeError as e:
        raise BoardError(f"{path}:{e.lineno}: not valid JSON: {e.msg}") from e
    except PeripheralError as e:
        raise BoardError(f"{path}: {e}") from e
    except (KeyError, TypeError, ValueError) as e:
        raise BoardError(f"{path}: bad or missing field in the 'wasmote' section: {e}") from e


def _int(v: Any) -> int:
    if isinstance(v, bool):
        raise ValueError(f"not a number: {v!r}")
    if isinstance(v, int):
        return v
    if isinstance(v, str):
        return int(v, 0)
    raise ValueError(f"not a number: {v!r}")


def _region(raw: dict[str, Any]) -> Region:
    return Region(_int(raw["base"]), _int(raw["size"]))


def _parse(name: str, raw: dict[str, Any], path: Path) -> Board:
    wm = raw["wasmote"]
    mem = wm["memory"]
    store = mem["store"]
    q = wm.get("qemu")
    qemu = (Qemu(str(q["system"]), str(q["machine"]), tuple(str(a) for a in q.get("args", ())),
                 tuple(str(d) for d in q.get("devices", ())))
            if q else None)
    return Board(
        name=name,
        title=str(raw.get("name", name)),
        port=str(wm["port"]),
        cpu=str(wm["cpu"]),
        toolchain=str(wm["toolchain"]),
        clock_hz=_int(wm["clock_hz"]),
        platforms=tuple(str(p) for p in raw.get("platforms", ())),
        flash=_region(mem["flash"]),
        ram=_region(mem["ram"]),
        store=StoreRegion(_int(store["base"]), _int(store["size"]), _int(store["sector"]),
                          _int(store.get("kv_size", 65536))),
        stack=_int(mem["stack"]),
        uart=Uart(str(wm["uart"]["kind"]), _int(wm["uart"]["base"])),
        qemu=qemu,
        registry_only=bool(wm.get("registry_only", False)),
        path=path,
        peripherals=parse_peripherals(wm.get("peripherals")),
    )
