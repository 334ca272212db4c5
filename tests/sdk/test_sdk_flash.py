"""wasmote flash: the offline parts (board kinds, early failures, the ESP32 partition table
against the board file, the app image check) — no board is attached here."""

import dataclasses
from pathlib import Path

import pytest
from click.testing import CliRunner
from esptool.bin_image import ELFSection, ESP32FirmwareImage

from wasmote import flash
from wasmote.boards import load_board
from wasmote.cli import main


def test_qemu_board_says_use_sim():
    r = CliRunner().invoke(main, ["flash", "--board", "mps2-an386"])
    assert r.exit_code == 2
    assert r.output.strip() == ("error: board mps2-an386 runs under QEMU: there is nothing "
                                "to flash; start it with `wasmote sim --board mps2-an386`")


@pytest.mark.parametrize("board, platform", [("esp32dev", "espressif32"),
                                             ("nucleo_f446re", "ststm32")])
def test_real_board_without_toolchain_fails_early_in_one_line(board, platform):
    # the port does not exist: the failure must come before any attempt to open it
    r = CliRunner().invoke(main, ["flash", "--board", board, "--port", "/dev/wasmote-none"])
    assert r.exit_code == 1
    lines = r.output.strip().splitlines()
    assert len(lines) == 1
    assert f"board {board} needs the PlatformIO platform '{platform}'" in lines[0]
    assert "wasmote-none" not in lines[0]


def test_real_board_needs_a_port():
    r = CliRunner().invoke(main, ["flash", "--board", "esp32dev"])
    assert r.exit_code == 2 and "--port is required" in r.output


def test_unknown_board():
    r = CliRunner().invoke(main, ["flash", "--board", "nope", "--port", "x"])
    assert r.exit_code == 2 and "unknown board 'nope'" in r.output


def test_esp32_partition_layout_matches_the_board_file():
    board = load_board("esp32dev")
    parts = flash.esp32_layout(board)
    store = next(p for p in parts if p.name == "wasmote")
    assert (store.offset, store.size) == (board.store.base, board.store.size)
    app = next(p for p in parts if p.type == 0)
    assert app.offset == 0x10000 and app.end <= store.offset
    table = flash.partition_table_binary(parts)
    assert len(table) == flash.PARTITION_TABLE_SIZE
    assert flash.read_partition_table(table) == parts
    bad = bytearray(table)
    bad[4] ^= 1
    with pytest.raises(flash.FlashError, match="MD5 mismatch"):
        flash.read_partition_table(bytes(bad))


def test_store_mismatch_with_board_file_is_refused(tmp_path):
    board = load_board("esp32dev")
    moved = dataclasses.replace(board, store=dataclasses.replace(board.store, base=0x200000))
    with pytest.raises(flash.FlashError, match="0x300000\\+0x100000 in the CSV but "
                                               "0x200000\\+0x100000 in the board file"):
        flash.esp32_layout(moved)


@pytest.mark.parametrize("csv, msg", [
    ("factory, app, factory, 0x18000, 0x10000\nwasmote, data, 0x40, 0x300000, 0x100000",
     "not aligned"),
    ("factory, app, factory, 0x10000, 0x300000\nwasmote, data, 0x40, 0x300000, 0x100000",
     "overlaps"),
    ("factory, app, factory, 0x10000, 0x10000\nwasmote, data, 0x40, 0x300000, 0x200000",
     "beyond the 4 MB flash"),
    ("factory, app, factory, 0x10000, 0x10000", "no partition named 'wasmote'"),
    ("factory, app, factory, 0x10000", "expected 'name, type"),
    ("factory, app, factory, 0x10000, 0x1x", "not a number"),
])
def test_bad_layouts_are_refused(csv, msg):
    parts = None
    with pytest.raises(flash.FlashError, match=msg):
        parts = flash.parse_partitions_csv(csv)
        flash.check_layout(parts, 4 << 20, "wasmote", 0x300000, 0x100000)


def _fake_app_image(path: Path) -> None:
    """A synthetic ESP32 app image made with esptool's own writer (a stand-in for the real
    firmware.bin, which cannot be built here): one IRAM segment."""
    img = ESP32FirmwareImage()
    img.entrypoint = 0x40080000
    img.segments = [ELFSection(b".iram0.text", 0x40080000, b"\x36\x41\x00" * 64, 0)]
    img.save(str(path))


def test_app_image_check_uses_esptool(tmp_path):
    app = tmp_path / "firmware.bin"
    _fake_app_image(app)
    summary = flash.check_esp32_app_image(app)
    assert "entry 0x40080000" in summary and "1 segments" in summary
    data = bytearray(app.read_bytes())
    data[40] ^= 0xFF  # inside the segment: checksum and digest no longer match
    app.write_bytes(bytes(data))
    with pytest.raises(flash.FlashError, match=r"checksum 0x[0-9a-f]+, should be"):
        flash.check_esp32_app_image(app)
    app.write_bytes(b"\x00" * 64)
    with pytest.raises(flash.FlashError, match="not a valid esp32 app image"):
        flash.check_esp32_app_image(app)
