"""wasmote flash: the offline parts (board kinds, early failures, the ESP32 partition table
against the board file, the app image check) — no board is attached here."""

import dataclasses
from pathlib import Path

import pytest
from click.testing import CliRunner
from esptool.bin_image import ELFSection, ESP32FirmwareImage

from wasmote import firmware, flash
from wasmote.boards import load_board
from wasmote.cli import main


def test_qemu_board_says_use_sim():
    r = CliRunner().invoke(main, ["flash", "--board", "mps2-an386"])
    assert r.exit_code == 2
    assert r.output.strip() == ("error: board mps2-an386 runs under QEMU: there is nothing "
                                "to flash; start it with `wasmote sim --board mps2-an386`")


@pytest.mark.parametrize("board, platform", [("esp32dev", "espressif32"),
                                             ("nucleo_l476rg", "ststm32")])
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
    # the Nucleo uploads through its ST-LINK (USB): no port needed, so it gets as far as
    # the missing platform
    r = CliRunner().invoke(main, ["flash", "--board", "nucleo_l476rg"])
    assert r.exit_code == 1 and "needs the PlatformIO platform 'ststm32'" in r.output


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
    small = dataclasses.replace(board, flash=dataclasses.replace(board.flash, size=0x100000))
    with pytest.raises(flash.FlashError, match="partition factory: 0x10000\\+0x2f0000 in "
                                               "the CSV but 0x10000\\+0x100000"):
        flash.esp32_layout(small)


@pytest.mark.parametrize("change, msg", [
    # the old NUCLEO-F446RE layout: 128 KiB sectors cannot hold a 64 KiB config area
    ({"sector": 128 * 1024, "size": 128 * 1024}, "kv_size 65536 must be a whole number of "
                                                 "sectors, at least 2"),
    ({"kv_size": 2048}, "at least 2"),
    ({"kv_size": 512 * 1024}, "leaves no room for modules"),
    # the RAM map of superseded kv records covers banks of up to 32 KiB (issue 14 item 2)
    ({"kv_size": 128 * 1024}, "makes banks of 65536 bytes; the firmware mounts at most "
                              "32768"),
    ({"sector": 3000}, "not a power of two"),
    ({"size": 512 * 1024 + 1024}, "not a whole number of 2048-byte sectors"),
])
def test_store_geometry_is_checked_before_anything_else(change, msg):
    board = load_board("nucleo_l476rg")
    flash.check_store_geometry(board)
    bad = dataclasses.replace(board, store=dataclasses.replace(board.store, **change))
    with pytest.raises(flash.FlashError, match=msg):
        flash.check_store_geometry(bad)


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


def _fake_app_image(path: Path, size: int = 192) -> None:
    """A synthetic ESP32 image made with esptool's own writer (a stand-in for the real
    firmware.bin / bootloader.bin, which cannot be built here): one IRAM segment."""
    img = ESP32FirmwareImage()
    img.entrypoint = 0x40080000
    img.segments = [ELFSection(b".iram0.text", 0x40080000, b"\x36\x41\x00" * (size // 3), 0)]
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
    with pytest.raises(flash.FlashError, match="not a valid esp32 image"):
        flash.check_esp32_app_image(app)


@pytest.fixture
def esp32_images(tmp_path, monkeypatch):
    """A stand-in ESP32 build (esptool-made images, our partition table) where plan_flash
    looks for it; the platform check is skipped (no registry here)."""
    images = {"bootloader": tmp_path / "bootloader.bin", "partitions": tmp_path / "p.bin",
              "app": tmp_path / "firmware.bin"}
    _fake_app_image(images["bootloader"])
    _fake_app_image(images["app"], 3000)
    parts = flash.esp32_layout(load_board("esp32dev"))
    images["partitions"].write_bytes(flash.partition_table_binary(parts))
    monkeypatch.setattr(flash, "esp32_images", lambda _env: images)
    monkeypatch.setattr(firmware, "check_buildable", lambda _board: None)
    return images


def test_esp32_plan_writes_three_images_at_idf_offsets(esp32_images):
    plan = flash.plan_flash("esp32dev", "/dev/wasmote-none", build=False)
    assert [(off, p.name) for off, p in plan.writes] == [
        (0x1000, "bootloader.bin"), (0x8000, "p.bin"), (0x10000, "firmware.bin")]
    assert not plan.command


def test_esp32_plan_refuses_bad_images(esp32_images):
    esp32_images["bootloader"].write_bytes(esp32_images["bootloader"].read_bytes()
                                           + b"\0" * 0x7000)
    with pytest.raises(flash.FlashError, match="more than the 28672 below the partition"):
        flash.plan_flash("esp32dev", "/dev/wasmote-none", build=False)
    _fake_app_image(esp32_images["bootloader"])
    parts = flash.esp32_layout(load_board("esp32dev"))
    esp32_images["partitions"].write_bytes(flash.partition_table_binary(parts[:-1]))
    with pytest.raises(flash.FlashError, match="does not match"):
        flash.plan_flash("esp32dev", "/dev/wasmote-none", build=False)
    esp32_images["partitions"].write_bytes(flash.partition_table_binary(parts))
    esp32_images["app"].write_bytes(b"\0" * 64)
    with pytest.raises(flash.FlashError, match=r"firmware\.bin: not a valid esp32 image"):
        flash.plan_flash("esp32dev", "/dev/wasmote-none", build=False)


def test_stm32_plan_checks_the_image_then_uploads_without_rebuilding(tmp_path, monkeypatch):
    board = load_board("nucleo_l476rg")
    elf = tmp_path / "firmware.elf"
    elf.write_bytes(b"")
    syms = {"__flash_start": board.flash.base, "__flash_end": board.flash.base + 80000,
            "__store_start": board.store.base, "__store_end": board.store.end,
            "__store_sector": board.store.sector, "__stack_top": board.ram.end,
            "__heap_end": board.ram.end - board.stack}
    monkeypatch.setattr(firmware, "check_buildable", lambda _board: None)
    monkeypatch.setattr(firmware, "firmware_elf", lambda _env: elf)
    monkeypatch.setattr(flash, "elf_symbols", lambda _elf, _board: syms)
    plan = flash.plan_flash("nucleo_l476rg", "", build=False)
    assert plan.command[-6:] == ("-e", "nucleo_l476rg", "-t", "nobuild", "-t", "upload")
    plan = flash.plan_flash("nucleo_l476rg", "/dev/ttyACM0", build=False)
    assert plan.command[-2:] == ("--upload-port", "/dev/ttyACM0")
    syms["__store_end"] -= 2048
    with pytest.raises(flash.FlashError, match="__store_end = 0x80ff800 but the board file"):
        flash.plan_flash("nucleo_l476rg", "", build=False)
    elf.unlink()
    with pytest.raises(flash.FlashError, match=r"firmware\.elf is missing: build the "
                                               r"firmware first"):
        flash.plan_flash("nucleo_l476rg", "", build=False)


def test_esp32_port_auto_is_resolved_only_after_every_offline_check(esp32_images):
    """`--port auto` picks the only USB serial device; here there is none, which is said
    in one line, after the layout and images passed (nothing was sent anywhere)."""
    r = CliRunner().invoke(main, ["flash", "--board", "esp32dev", "--port", "auto",
                                  "--no-build"])
    assert r.exit_code != 0
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and "--port auto found no USB serial device" in lines[0]
    assert "Traceback" not in r.output
