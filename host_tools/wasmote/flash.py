"""`wasmote flash`: put the firmware on a real board.

ESP32: esptool's Python API writes the bootloader, the partition table and the app at the
offsets ESP-IDF uses; the partition table is generated here from the port's CSV and checked
against the board file (the app partition must be the board's `memory.flash`, the store
partition its `memory.store`), and the bootloader and app images are checked with esptool's
image loader before the serial port is opened. STM32 (NUCLEO-L476RG): PlatformIO's `upload`
target (ST-LINK; no serial port needed). QEMU boards have nothing to flash: `wasmote sim`.
Everything that can fail without hardware fails before the port is touched: the board
file's store geometry, the layout, the toolchain, the images.
"""

from __future__ import annotations

import hashlib
import json
import struct
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from wasmote import config_area, firmware
from wasmote.boards import Board, load_board
from wasmote.errors import UsageError, WasmoteError
from wasmote.paths import FIRMWARE_DIR

ESP32_PARTITIONS_CSV = FIRMWARE_DIR / "src" / "port" / "esp32" / "partitions.csv"
ESP32_BOOTLOADER_OFFSET = 0x1000   # where the ESP32 ROM loads the second-stage bootloader
ESP32_PARTITION_TABLE_OFFSET = 0x8000  # ESP-IDF's default CONFIG_PARTITION_TABLE_OFFSET
PARTITION_TABLE_SIZE = 0xC00       # 3 KiB of 32-byte entries, padded with 0xFF
_ENTRY = struct.Struct("<2sBBLL16sL")
_MAGIC = b"\xaa\x50"
_MD5_MAGIC = b"\xeb\xeb"
_TYPES = {"app": 0x00, "data": 0x01}
_SUBTYPES = {
    0x00: {"factory": 0x00, "test": 0x20, **{f"ota_{i}": 0x10 + i for i in range(16)}},
    0x01: {"ota": 0x00, "phy": 0x01, "nvs": 0x02, "coredump": 0x03, "nvs_keys": 0x04,
           "efuse": 0x05, "undefined": 0x06, "esphttpd": 0x80, "fat": 0x81, "spiffs": 0x82},
}
_FLASH_SIZES = {"1MB": 1 << 20, "2MB": 2 << 20, "4MB": 4 << 20, "8MB": 8 << 20,
                "16MB": 16 << 20}


class FlashError(WasmoteError):
    """The board cannot be flashed as asked (missing build, bad layout, port failure)."""


@dataclass(frozen=True)
class Partition:
    name: str
    type: int
    subtype: int
    offset: int
    size: int

    @property
    def end(self) -> int:
        return self.offset + self.size


def _number(text: str, where: str) -> int:
    text = text.strip()
    try:
        if text[-1:].upper() in ("K", "M"):
            return int(text[:-1], 0) * (1024 if text[-1].upper() == "K" else 1 << 20)
        return int(text, 0)
    except ValueError:
        raise FlashError(f"{where}: not a number: {text!r}") from None


def parse_partitions_csv(text: str, source: str = "partitions.csv") -> list[Partition]:
    """Parse an ESP-IDF partition CSV (explicit offsets only, as ours has)."""
    parts: list[Partition] = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        where = f"{source}:{lineno}"
        cols = [c.strip() for c in line.split(",")]
        if len(cols) < 5 or not cols[3]:
            raise FlashError(f"{where}: expected 'name, type, subtype, offset, size'")
        name, ptype_s, sub_s = cols[0], cols[1], cols[2]
        if not 1 <= len(name) <= 15:
            raise FlashError(f"{where}: partition name {name!r} must be 1-15 characters")
        ptype = _TYPES.get(ptype_s, None)
        if ptype is None:
            ptype = _number(ptype_s, where)
        sub = _SUBTYPES.get(ptype, {}).get(sub_s)
        if sub is None:
            sub = _number(sub_s, where)
        parts.append(Partition(name, ptype, sub, _number(cols[3], where),
                               _number(cols[4], where)))
    return parts


def check_store_geometry(board: Board) -> None:
    """The store region as the firmware will split it (core/device): whole sectors, the
    config area (kv_size, taken from the end) at least two sectors, room left for modules.
    A board file that fails this would boot to "module store unusable"."""
    st = board.store
    where = f"{board.path.name}: memory.store"
    if st.sector < 256 or st.sector & (st.sector - 1):
        raise FlashError(f"{where}: sector {st.sector} is not a power of two >= 256")
    if st.size % st.sector:
        raise FlashError(f"{where}: size {st.size} is not a whole number of "
                         f"{st.sector}-byte sectors")
    if st.kv_size % st.sector or st.kv_size < 2 * st.sector:
        raise FlashError(f"{where}: kv_size {st.kv_size} must be a whole number of sectors, "
                         f"at least 2 ({2 * st.sector} bytes)")
    if st.kv_size >= st.size:
        raise FlashError(f"{where}: kv_size {st.kv_size} leaves no room for modules in "
                         f"{st.size} bytes")
    problem = config_area.geometry_problem(st.kv_size, st.sector)
    if problem is not None:
        raise FlashError(f"{where}: {problem}")


def check_layout(parts: list[Partition], flash_size: int, store_name: str, store_base: int,
                 store_size: int, table_offset: int = ESP32_PARTITION_TABLE_OFFSET,
                 app: tuple[str, int, int] | None = None) -> None:
    """The checks ESP-IDF's gen_esp32part applies, plus: the store partition (and, given
    `app` = (name, offset, size), the app partition) matches the board file (the runtime
    finds the store by name; the board file documents where everything is)."""
    if not parts:
        raise FlashError("the partition table is empty")
    prev_end = table_offset + 0x1000  # the table's own sector
    for p in sorted(parts, key=lambda p: p.offset):
        align = 0x10000 if p.type == 0x00 else 0x1000
        if p.offset % align:
            raise FlashError(f"partition {p.name}: offset 0x{p.offset:x} is not aligned "
                             f"to 0x{align:x}")
        if p.offset < prev_end:
            raise FlashError(f"partition {p.name}: offset 0x{p.offset:x} overlaps the "
                             f"previous partition or the table (ends at 0x{prev_end:x})")
        if p.end > flash_size:
            raise FlashError(f"partition {p.name}: ends at 0x{p.end:x}, beyond the "
                             f"{flash_size >> 20} MB flash")
        prev_end = p.end
    if len({p.name for p in parts}) != len(parts):
        raise FlashError("two partitions have the same name")
    if not any(p.type == 0x00 for p in parts):
        raise FlashError("no app partition")
    store = next((p for p in parts if p.name == store_name), None)
    if store is None:
        raise FlashError(f"no partition named {store_name!r} for the module store")
    if store.type != 0x01:
        raise FlashError(f"partition {store_name}: must be a data partition")
    if (store.offset, store.size) != (store_base, store_size):
        raise FlashError(f"partition {store_name}: 0x{store.offset:x}+0x{store.size:x} in "
                         f"the CSV but 0x{store_base:x}+0x{store_size:x} in the board file")
    if app is not None:
        name, base, size = app
        part = next((p for p in parts if p.name == name), None)
        if part is None or part.type != 0x00:
            raise FlashError(f"no app partition named {name!r} (the board file's "
                             f"memory.flash)")
        if (part.offset, part.size) != (base, size):
            raise FlashError(f"partition {name}: 0x{part.offset:x}+0x{part.size:x} in the "
                             f"CSV but 0x{base:x}+0x{size:x} in the board file")


def partition_table_binary(parts: list[Partition]) -> bytes:
    """The binary table the bootloader reads: 32-byte entries, an MD5 entry, 0xFF padding
    (ESP-IDF's format, as gen_esp32part.py writes it)."""
    out = b"".join(_ENTRY.pack(_MAGIC, p.type, p.subtype, p.offset, p.size,
                               p.name.encode("ascii"), 0) for p in parts)
    out += _MD5_MAGIC + b"\xff" * 14 + hashlib.md5(out).digest()
    if len(out) > PARTITION_TABLE_SIZE:
        raise FlashError("too many partitions for one table")
    return out + b"\xff" * (PARTITION_TABLE_SIZE - len(out))


def read_partition_table(data: bytes) -> list[Partition]:
    """Parse a binary table back (checks its MD5): what the bootloader will see."""
    parts: list[Partition] = []
    for pos in range(0, len(data) - _ENTRY.size + 1, _ENTRY.size):
        chunk = data[pos:pos + _ENTRY.size]
        if chunk[:2] == _MD5_MAGIC:
            if hashlib.md5(data[:pos]).digest() != chunk[16:]:
                raise FlashError("partition table: MD5 mismatch")
            return parts
        if chunk[:2] != _MAGIC:
            break
        _, ptype, sub, off, size, label, _flags = _ENTRY.unpack(chunk)
        parts.append(Partition(label.rstrip(b"\0").decode("ascii"), ptype, sub, off, size))
    raise FlashError("partition table: no MD5 entry")


def _board_raw(board: Board) -> dict[str, object]:
    raw = json.loads(board.path.read_text())
    assert isinstance(raw, dict)
    return raw


def esp32_layout(board: Board, csv_path: Path = ESP32_PARTITIONS_CSV) -> list[Partition]:
    """The ESP32 partitions from the port's CSV, checked against the board file."""
    raw = _board_raw(board)
    upload = raw.get("upload", {})
    flash_size = _FLASH_SIZES.get(str(upload.get("flash_size", "4MB")) if
                                  isinstance(upload, dict) else "4MB", 4 << 20)
    wm = raw.get("wasmote", {})
    mem = wm.get("memory", {}) if isinstance(wm, dict) else {}
    store_name = str(mem.get("store", {}).get("partition", "wasmote"))
    app_name = str(mem.get("flash", {}).get("partition", "factory"))
    check_store_geometry(board)
    try:
        text = csv_path.read_text()
    except OSError as e:
        raise FlashError(f"{csv_path}: cannot read: {e.strerror or e}") from None
    parts = parse_partitions_csv(text, str(csv_path))
    check_layout(parts, flash_size, store_name, board.store.base, board.store.size,
                 app=(app_name, board.flash.base, board.flash.size))
    return parts


def check_esp32_app_image(path: Path, chip: str = "esp32") -> str:
    """Load an image (app or bootloader: the same format) with esptool (header, segments,
    checksum, SHA-256) and return a one-line summary; raises FlashError when esptool would
    refuse it."""
    from esptool.bin_image import LoadFirmwareImage  # slow import: only when flashing

    try:
        image = LoadFirmwareImage(chip, str(path))
        image.verify()
        calc = image.calculate_checksum()
        if image.checksum != calc:
            raise FlashError(f"{path}: checksum 0x{image.checksum:02x}, should be "
                             f"0x{calc:02x}")
        digest_ok = getattr(image, "stored_digest", None) == getattr(image, "calc_digest",
                                                                    None)
    except FlashError:
        raise
    except Exception as e:  # esptool raises FatalError and plain errors for bad images
        raise FlashError(f"{path}: not a valid {chip} image: {e}") from None
    if not digest_ok:
        raise FlashError(f"{path}: SHA-256 digest mismatch")
    return (f"{path.name}: {chip} image, entry 0x{image.entrypoint:08x}, "
            f"{len(image.segments)} segments, checksum and digest ok")


def elf_symbols(elf: Path, board: Board) -> dict[str, int]:
    """Global and absolute symbols of an ELF, through the board toolchain's `nm`."""
    nm = firmware.toolchain_tool(board, "nm")
    try:
        out = subprocess.run([nm, str(elf)], capture_output=True, text=True,
                             check=True).stdout
    except FileNotFoundError:
        raise FlashError(f"{nm} is not installed (wasmote doctor says how to "
                         "install it)") from None
    except subprocess.CalledProcessError as e:
        raise FlashError(f"{nm} failed on {elf}: {e.stderr.strip()}") from None
    syms: dict[str, int] = {}
    for line in out.splitlines():
        cols = line.split()
        if len(cols) == 3:
            syms[cols[2]] = int(cols[0], 16)
    return syms


def check_stm32_image(elf: Path, board: Board) -> str:
    """The linked image against the board file: where the linker script put the image, the
    store region and its erase unit, and the stack. Returns a one-line summary."""
    syms = elf_symbols(elf, board)
    want = {"__flash_start": board.flash.base, "__store_start": board.store.base,
            "__store_end": board.store.end, "__store_sector": board.store.sector,
            "__stack_top": board.ram.end,
            "__heap_end": board.ram.end - board.stack}
    for name, value in want.items():
        if name not in syms:
            raise FlashError(f"{elf}: no symbol {name} (not a wasmote {board.name} image?)")
        if syms[name] != value:
            raise FlashError(f"{elf}: {name} = 0x{syms[name]:x} but the board file says "
                             f"0x{value:x} ({board.path.name})")
    image_end = syms.get("__flash_end", 0)
    if not board.flash.base < image_end <= board.flash.end:
        raise FlashError(f"{elf}: the image ends at 0x{image_end:x}, outside the board's "
                         f"flash 0x{board.flash.base:x}-0x{board.flash.end:x}")
    return (f"{elf.name}: {image_end - board.flash.base} bytes of flash, store "
            f"0x{board.store.base:x}+0x{board.store.size:x} in "
            f"{board.store.size // board.store.sector} sectors, as in {board.path.name}")


@dataclass(frozen=True)
class FlashPlan:
    """What will be written where (ESP32) or run (STM32)."""

    board: Board
    writes: tuple[tuple[int, Path], ...] = ()
    command: tuple[str, ...] = ()


def esp32_images(env: str) -> dict[str, Path]:
    out = firmware.PIO_BUILD_DIR / env
    return {"bootloader": out / "bootloader.bin", "partitions": out / "partitions.bin",
            "app": out / "firmware.bin"}


def flashable_board(board_name: str) -> Board:
    """The board, if it is one `flash` can write to."""
    board = load_board(board_name)
    if board.qemu is not None:
        raise UsageError(f"board {board.name} runs under QEMU: there is nothing to flash; "
                         f"start it with `wasmote sim --board {board.name}`")
    if board.port not in ("esp32", "esp8266", "stm32"):
        raise UsageError(f"board {board.name}: flashing a {board.port!r} board is not "
                         f"supported (esp32, esp8266 and stm32 are)")
    return board


def plan_flash(board_name: str, port: str, build: bool = True) -> FlashPlan:
    """Everything short of touching the port: board kind, toolchain, build, layout, images."""
    board = flashable_board(board_name)
    if board.port == "esp32":
        parts = esp32_layout(board)  # offline check first: a bad layout needs no toolchain
        if build:
            firmware.build(board.name)  # fails in one line when the toolchain is missing
        else:
            firmware.check_buildable(board)
        images = esp32_images(board.name)
        missing = [p for p in images.values() if not p.is_file()]
        if missing:
            raise FlashError(f"{missing[0]} is missing: build the firmware first "
                             f"(`wasmote build --board {board.name}`)")
        if read_partition_table(images["partitions"].read_bytes()) != parts:
            raise FlashError(f"{images['partitions']} does not match {ESP32_PARTITIONS_CSV}")
        check_esp32_app_image(images["bootloader"])
        room = ESP32_PARTITION_TABLE_OFFSET - ESP32_BOOTLOADER_OFFSET
        if images["bootloader"].stat().st_size > room:
            raise FlashError(f"{images['bootloader']}: {images['bootloader'].stat().st_size} "
                             f"bytes, more than the {room} below the partition table")
        check_esp32_app_image(images["app"])
        app = next(p for p in parts if p.type == 0x00)
        if images["app"].stat().st_size > app.size:
            raise FlashError(f"{images['app']}: {images['app'].stat().st_size} bytes, more "
                             f"than the app partition ({app.size})")
        return FlashPlan(board, ((ESP32_BOOTLOADER_OFFSET, images["bootloader"]),
                                 (ESP32_PARTITION_TABLE_OFFSET, images["partitions"]),
                                 (app.offset, images["app"])))
    check_store_geometry(board)
    if build:
        elf = firmware.build(board.name).elf  # fails in one line without the toolchain
    else:
        firmware.check_buildable(board)
        elf = firmware.firmware_elf(board.name)
        if not elf.is_file():
            raise FlashError(f"{elf} is missing: build the firmware first "
                             f"(`wasmote build --board {board.name}`)")
    if board.port == "stm32":
        check_stm32_image(elf, board)
    # The image is built (and for STM32 checked): PlatformIO only uploads it (`nobuild`),
    # through the board's protocol: ST-LINK, found over USB; esptool over the serial port
    # for the ESP8266 (whose RAM store leaves no flash layout of ours to check).
    cmd = (sys.executable, "-m", "platformio", "run", "-d", str(FIRMWARE_DIR), "-e",
           board.name, "-t", "nobuild", "-t", "upload",
           *(("--upload-port", port) if port and port != "auto" else ()))
    return FlashPlan(board, command=cmd)


def _present_port(port: str) -> str:
    """`auto` resolved, or a serial device that exists (a URL is taken as given)."""
    from wasmote.device.transport import resolve_port

    port = resolve_port(port)
    if "://" not in port and not Path(port).exists():
        raise UsageError(f"--port {port}: no such serial device (`wasmote ports` lists them)")
    return port


def flash(board_name: str, port: str, baud: int = 460800, build: bool = True,
          echo: Callable[[str], None] = print) -> FlashPlan:
    """Build if needed and flash. esptool prints its own per-region progress."""
    board = flashable_board(board_name)
    if not port and board.port in ("esp32", "esp8266"):
        raise UsageError(f"--port is required for an {board.port.upper()} board "
                         "(e.g. /dev/ttyUSB0)")
    if board.port == "esp32" and build:
        # What is wrong with this machine first (no toolchain), then with the port, and
        # only then a build that takes a minute.
        firmware.check_buildable(board)
        port = _present_port(port)
    plan = plan_flash(board_name, port, build)
    if plan.command:
        echo(f"building and uploading with PlatformIO ({port or 'ST-LINK over USB'})")
        proc = subprocess.run(plan.command, env=firmware.pio_environ(), check=False)
        if proc.returncode != 0:
            raise FlashError(f"PlatformIO upload of {board.name} failed "
                             f"(exit {proc.returncode}; its output is above)")
        return plan
    from esptool import cmds  # slow import: only when flashing

    from wasmote.device.transport import resolve_port

    port = resolve_port(port)  # `auto`: the only USB serial device
    for offset, path in plan.writes:
        echo(f"0x{offset:05x}  {path.name}  ({path.stat().st_size} bytes)")
    try:
        with cmds.detect_chip(port, baud) as esp:
            esp = cmds.run_stub(esp)
            cmds.attach_flash(esp)
            cmds.write_flash(esp, [(o, str(p)) for o, p in plan.writes])
            cmds.reset_chip(esp, "hard-reset")
    except Exception as e:  # serial errors, esptool's FatalError: one line, no traceback
        raise FlashError(f"flashing {plan.board.name} on {port} failed: {e}") from None
    return plan
