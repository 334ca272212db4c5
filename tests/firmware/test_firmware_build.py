"""Board manifests, the offline PlatformIO build, sizes, and the committed self-test header."""

from __future__ import annotations

import configparser
import itertools
import subprocess

import pytest
from click.testing import CliRunner

from wasmote import firmware
from wasmote.boards import BoardError, UnknownBoardError, list_boards, load_board
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
        regions = sorted([b.flash, b.store, b.ram], key=lambda r: r.base)
        for lo, hi in itertools.pairwise(regions):
            assert lo.end <= hi.base, f"{b.name}: overlapping regions"
        assert b.store.size % b.store.sector == 0
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
    header, row = res.output.splitlines()[:2]
    assert header.split()[:6] == ["env", "cpu", "text", "data", "bss", "flash"]
    assert row.split()[0] == "mps2-an386"


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


def test_firmware_stm32_port_links_with_the_debian_toolchain(tmp_path):
    """The nucleo_f446re environment needs PlatformIO's registry; the same sources, flags and
    linker script still link here with the Debian arm-none-eabi-gcc, so the thin port is
    at least compile- and link-checked."""
    src = FIRMWARE_DIR / "src"
    sources = sorted(str(p) for p in [*src.glob("core/*/*.c"), *src.glob("app/*.c"),
                                      *src.glob("port/stm32/*.c")])
    elf = tmp_path / "nucleo.elf"
    cmd = ["arm-none-eabi-gcc", "-std=c99", "-Os", "-mcpu=cortex-m4", "-mthumb",
           "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16", "-ffreestanding", "-fno-builtin",
           "-ffunction-sections", "-fdata-sections", "-Wall", "-Wextra", "-Werror",
           f"-I{FIRMWARE_DIR / 'include'}", f"-I{src}", f"-I{src / 'core'}",
           *[f"-I{d}" for d in sorted((src / "core").iterdir()) if d.is_dir()],
           *sources, "-nostdlib", "-nostartfiles",
           "-Wl,--gc-sections", "-T", str(src / "port" / "stm32" / "stm32f446re.ld"), "-lgcc",
           "-o", str(elf)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    sizes = firmware.elf_sizes(elf, "arm-none-eabi-size")
    assert sizes.text < load_board("nucleo_f446re").flash.size
