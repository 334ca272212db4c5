"""Board manifests, the offline PlatformIO build, sizes, and the committed self-test header."""

from __future__ import annotations

import configparser
import dataclasses
import itertools
import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from wasmote import firmware, flash
from wasmote.boards import BoardError, UnknownBoardError, list_boards, load_board
from wasmote.build_desc import build_desc
from wasmote.cli import main
from wasmote.paths import FIRMWARE_DIR

from .conftest import QEMU_BOARDS


def test_firmware_manifests_are_consistent():
    boards = {b.name: b for b in list_boards()}
    assert set(QEMU_BOARDS) <= set(boards)
    ini = configparser.ConfigParser(interpolation=None)
    ini.read(FIRMWARE_DIR / "platformio.ini")
    for b in boards.values():
        assert ini.has_section(f"env:{b.name}"), b.name
        raw = json.loads(b.path.read_text())["wasmote"]["memory"]
        # a store taken from the heap at boot (esp8266) lies somewhere in RAM
        in_heap = raw["store"].get("emulated_in") == "heap"
        regions = sorted([b.flash, b.ram] + ([] if in_heap else [b.store]),
                         key=lambda r: r.base)
        for lo, hi in itertools.pairwise(regions):
            assert lo.end <= hi.base, f"{b.name}: overlapping regions"
        if in_heap:
            assert b.ram.base <= b.store.base and b.store.size < b.ram.size, b.name
        assert b.store.size % b.store.sector == 0
        flash.check_store_geometry(b)  # whole sectors, config area >= 2 sectors, room left
        assert b.simulated == (b.name in QEMU_BOARDS)
        assert b.registry_only == (not b.simulated)


def test_firmware_unknown_or_bad_board(tmp_path):
    with pytest.raises(UnknownBoardError, match=r"known: .*mps2-an386"):
        load_board("no-such-board")
    (tmp_path / "broken.json").write_text('{"name": "x", "wasmote": {"port": "mps2"}}')
    with pytest.raises(BoardError, match=r"broken\.json"):
        load_board("broken", tmp_path)


@pytest.mark.parametrize("board", QEMU_BOARDS)
def test_firmware_builds_offline_with_sane_sizes(board):
    r = firmware.build(board)
    info = load_board(board)
    assert r.elf.is_file()
    assert 1000 < r.sizes.text <= info.flash.size
    assert r.ram_free > info.ram.size // 2
    # the generated linker script put the store where the manifest says
    nm = subprocess.run([f"{info.toolchain}-nm", str(r.elf)], capture_output=True, text=True,
                        check=True).stdout
    syms = {ln.split()[2]: int(ln.split()[0], 16) for ln in nm.splitlines()
            if len(ln.split()) == 3}
    assert syms["__store_start"] == info.store.base
    assert syms["__store_end"] == info.store.end


def test_firmware_cli_build_prints_size_table():
    res = CliRunner().invoke(main, ["build", "--board", "mps2-an386"])
    assert res.exit_code == 0, res.output
    # The table is the command's output (stdout); progress lines go to stderr.
    header, row = res.stdout.splitlines()[:2]
    assert header.split()[:6] == ["env", "cpu", "text", "data", "bss", "flash"]
    assert row.split()[0] == "mps2-an386"
    assert "building" in res.stderr


def test_firmware_real_board_fails_early_with_one_line():
    proc = subprocess.run(["wasmote", "build", "--board", "esp32dev"], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "espressif32" in lines[0] and "registry" in lines[0]
    assert "Traceback" not in proc.stderr + proc.stdout


def test_firmware_build_error_is_one_clear_line():
    err = firmware.FirmwareBuildError("x", "Compiling a.o\nsrc/a.c:3:1: error: boom\n*** Error 1")
    assert err.one_line() == "firmware build for x failed: src/a.c:3:1: error: boom"


def test_firmware_selftest_header_is_generated_from_wat():
    committed = (FIRMWARE_DIR / "src" / "app" / "selftest_wasm.h").read_text()
    assert committed == firmware.selftest_header(), \
        "regenerate: python -m wasmote.firmware gen-selftest"


def _ini_env(name: str) -> configparser.SectionProxy:
    ini = configparser.ConfigParser(interpolation=None)
    ini.read(FIRMWARE_DIR / "platformio.ini")
    return ini[f"env:{name}"]


def _filtered_sources(src_filter: str) -> list[Path]:
    """The files PlatformIO compiles for a build_src_filter of +<dir/> / -<dir/> / -<file>
    entries (applied in order), as its src filter does."""
    src = FIRMWARE_DIR / "src"
    chosen: set[Path] = set()
    for sign, pattern in re.findall(r"([+-])<([^>]+)>", src_filter):
        base = src / pattern.rstrip("/")
        files = ({p for ext in ("*.c", "*.S") for p in base.rglob(ext)} if base.is_dir()
                 else {base})
        chosen = chosen | files if sign == "+" else chosen - files
    return sorted(chosen)


def _define(flags: list[str], name: str) -> str:
    values = [f.split("=", 1)[1] for f in flags if f.startswith(f"-D{name}=")]
    assert len(values) == 1, f"-D{name}=... expected once in {flags}"
    return values[0]


def test_firmware_stm32_port_links_with_the_debian_toolchain(tmp_path):
    """nucleo_l476rg needs PlatformIO's registry (platform ststm32); the same sources, flags
    and linker script still link here with the Debian arm-none-eabi-gcc (the link flags are
    what src/port/stm32/pio_build.py adds), so the port is compiled with -Werror, linked
    against the core and app, and its memory map checked against the board file."""
    env = _ini_env("nucleo_l476rg")
    board = load_board("nucleo_l476rg")
    desc = build_desc()
    # what pio_build.py adds to the environment's build_flags
    flags = [*shlex.split(env["build_flags"]), *desc.target_flags(), *desc.debug]
    src = FIRMWARE_DIR / "src"
    sources = _filtered_sources(env["build_src_filter"])
    assert src / "port" / "stm32" / "stm32_flash.c" in sources
    assert not [p for p in sources if "spectest" in p.parts or "posix" in p.parts]
    elf = tmp_path / "nucleo.elf"
    cmd = ["arm-none-eabi-gcc", *flags, *desc.include_flags(), *map(str, sources),
           *desc.link, "-T", str(FIRMWARE_DIR / env["board_build.ldscript"]),
           *(f"-l{lib}" for lib in desc.libs), "-o", str(elf)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    # the linker script agrees with the board file (image, store region, sector, stack)
    summary = flash.check_stm32_image(elf, board)
    assert "as in nucleo_l476rg.json" in summary
    # the whole device is in there: runtime self-test, device, flash driver, IWDG, GPIO
    syms = flash.elf_symbols(elf, board)
    for name in ("wm_app_main", "wm_device_boot", "wm_selftest_run", "wm_port_flash",
                 "wm_port_watchdog_start", "wm_port_gpio", "wm_call_export"):
        assert name in syms, name
    # native code isolated by the L476's MPU: the vectors are core/aot's, not the weak
    # stand-ins aliased to the port's own handlers
    assert syms["wm_aot_fault_vector"] != syms["wm_stm32_fault_handler"]
    assert syms["wm_aot_svc_vector"] != syms["wm_stm32_default_handler"]
    assert syms["wm_aot_tick_vector"] != syms["wm_aot_port_tick"]
    sizes = firmware.elf_sizes(elf, board.size_tool)
    assert sizes.text + sizes.data <= board.flash.size
    assert board.ram.size - board.stack - sizes.ram > 64 * 1024  # RAM left for modules
    # the config area the app carves out is the board file's kv_size
    assert int(_define(flags, "WM_KV_SIZE").rstrip("uU"), 0) == board.store.kv_size


def test_firmware_stm32_image_check_compares_with_the_board_file(tmp_path, monkeypatch):
    """check_stm32_image compares, not just reads: a board file whose store moved, or an
    image that is not ours, is refused with what differs."""
    board = load_board("nucleo_l476rg")
    syms = {"__flash_start": board.flash.base, "__store_start": board.store.base,
            "__store_end": board.store.end, "__store_sector": board.store.sector,
            "__stack_top": board.ram.end, "__heap_end": board.ram.end - board.stack,
            "__flash_end": board.flash.base + 1000}
    monkeypatch.setattr(flash, "elf_symbols", lambda _elf, _board: syms)
    elf = tmp_path / "firmware.elf"
    assert "1000 bytes of flash" in flash.check_stm32_image(elf, board)
    moved = dataclasses.replace(board, store=dataclasses.replace(board.store,
                                                                 base=board.store.base + 2048))
    with pytest.raises(flash.FlashError, match=r"__store_start = 0x8080000 but the board "
                                               r"file says 0x8080800"):
        flash.check_stm32_image(elf, moved)
    del syms["__store_sector"]
    with pytest.raises(flash.FlashError, match="no symbol __store_sector"):
        flash.check_stm32_image(elf, board)


def _c_int(text: str, name: str) -> int:
    m = re.search(rf"#define {name} \(?(\d+)u", text)
    assert m, f"#define {name} not found"
    return int(m.group(1))


def test_firmware_real_board_ports_agree_with_their_board_files():
    """What can be read without building: the ports' constants against boards/*.json
    (clock, UART interrupt, pin names in handle order, store partition, stack, kv size)."""
    port = FIRMWARE_DIR / "src" / "port"
    stm = load_board("nucleo_l476rg")
    stm_raw = json.loads(stm.path.read_text())
    stm_c = (port / "stm32" / "stm32_port.c").read_text()
    regs = (port / "stm32" / "stm32l4_regs.h").read_text()
    assert _c_int(stm_c, "WM_CLOCK_HZ") == stm.clock_hz
    assert int(stm_raw["build"]["f_cpu"].rstrip("L")) == stm.clock_hz
    assert _c_int(regs, "WM_USART2_IRQ") == stm_raw["wasmote"]["uart"]["rx_irq"]
    assert _c_int(regs, "WM_FLASH_PAGE") == stm.store.sector
    assert stm_raw["upload"]["maximum_size"] == stm.flash.size
    assert stm_raw["upload"]["maximum_ram_size"] == stm.ram.size

    esp = load_board("esp32dev")
    esp_raw = json.loads(esp.path.read_text())
    esp_c = (port / "esp32" / "esp32_port.c").read_text()
    assert f'WM_STORE_PARTITION "{esp_raw["wasmote"]["memory"]["store"]["partition"]}"' \
        in esp_c
    assert f"clock_hz = {esp.clock_hz}u" in esp_c
    sdkconfig = (FIRMWARE_DIR / "sdkconfig.defaults").read_text()
    assert f"CONFIG_ESP_MAIN_TASK_STACK_SIZE={esp.stack}\n" in sdkconfig
    cmake = (FIRMWARE_DIR / "src" / "CMakeLists.txt").read_text()
    kv = re.search(r"WM_KV_SIZE=(\d+)u", cmake)
    assert kv and int(kv.group(1)) == esp.store.kv_size

    e82 = load_board("esp8266")
    e82_raw = json.loads(e82.path.read_text())
    e82_c = (port / "esp8266" / "esp8266_port.c").read_text()
    assert _c_int(e82_c, "WM_STORE_BYTES") == e82.store.size
    assert _c_int(e82_c, "WM_STORE_SECTOR_BYTES") == e82.store.sector
    assert f"clock_hz = {e82.clock_hz}u" in e82_c and 'board = "esp8266"' in e82_c
    ini_text = (FIRMWARE_DIR / "platformio.ini").read_text()
    assert f"-DWM_KV_SIZE={e82.store.kv_size}u" in ini_text
    assert int(e82_raw["build"]["f_cpu"].rstrip("L")) == e82.clock_hz

    for raw, text in ((stm_raw, stm_c), (esp_raw, esp_c), (e82_raw, e82_c)):
        pins = raw["wasmote"]["gpio"]["pins"]
        at = [text.find(f'"{p}"') for p in pins]
        assert all(i >= 0 for i in at) and at == sorted(at), (pins, at)


def test_firmware_toolchain_tools_come_from_path_or_the_platformio_package(tmp_path,
                                                                          monkeypatch):
    """Real boards' binutils (xtensa-esp32-elf-size) exist only in the toolchain package
    their PlatformIO platform installs; sizes and symbols must find them there."""
    esp = load_board("esp32dev")
    assert firmware.toolchain_tool(load_board("nucleo_l476rg"), "nm") == "arm-none-eabi-nm"
    monkeypatch.setattr(firmware, "PIO_CORE_DIR", tmp_path)
    assert firmware.toolchain_tool(esp, "size") == "xtensa-esp32-elf-size"  # not found
    tool = tmp_path / "packages" / "toolchain-xtensa-esp32" / "bin" / "xtensa-esp32-elf-size"
    tool.parent.mkdir(parents=True)
    tool.write_text("")
    assert firmware.toolchain_tool(esp, "size") == str(tool)


def test_firmware_esp8266_port_compiles_with_the_debian_lx106_toolchain(tmp_path):
    """The ESP8266 port cannot be built here (PlatformIO's registry): it is compiled, not
    linked, with Debian's xtensa-lx106-elf-gcc against declarations of the Arduino-core and
    SDK functions it calls (tests/firmware/esp8266_api), warning-free, and calls nothing
    else."""
    gcc = "xtensa-lx106-elf-gcc"
    if shutil.which(gcc) is None:
        pytest.skip(f"{gcc} not installed (scripts/bootstrap.sh installs gcc-xtensa-lx106)")
    api = Path(__file__).resolve().parent / "esp8266_api"
    obj = tmp_path / "esp8266_port.o"
    src = FIRMWARE_DIR / "src"
    subprocess.run([gcc, "-std=c99", "-Os", "-ffreestanding", "-Wall", "-Wextra", "-Werror",
                    "-DWM_AOT_DISABLE", f"-I{api}", f"-I{FIRMWARE_DIR / 'include'}",
                    f"-I{src / 'core'}", f"-I{src}", "-c",
                    str(src / "port" / "esp8266" / "esp8266_port.c"), "-o", str(obj)],
                   check=True)
    nm = subprocess.run(["xtensa-lx106-elf-nm", "-u", str(obj)], capture_output=True,
                        text=True, check=True).stdout.split()
    declared = set(re.findall(r"\b(\w+)\(", "".join(p.read_text() for p in api.glob("*.h"))))
    assert {s for s in nm if s != "U"} <= declared | {"wm_app_main"}
