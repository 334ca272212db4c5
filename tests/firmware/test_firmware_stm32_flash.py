"""The STM32 port's flash driver (src/port/stm32/stm32_flash.c), compiled unchanged for the
host against a FAKE STM32L476 flash controller (fake_stm32l4/: no STM32L4 runs under this
machine's QEMU), under the real module store and config area. The fake enforces what the
part would refuse or corrupt: a double word programmed twice after an erase (ECC), writes
outside a program operation or while locked, erasing the image bank, caches left on."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.harness import c_harness
from wasmote.boards import load_board
from wasmote.paths import FIRMWARE_DIR

HERE = Path(__file__).parent / "fake_stm32l4"
CORE_SOURCES = ("store/store.c", "store/flash_window.c", "crypto/sha256.c",
                "base/wm_crc32.c", "base/wm_mem.c", "sandbox/kv.c")


@pytest.fixture(scope="module")
def fake_flash(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The driver next to the fake register header (its quoted include finds the fake),
    linked with the store region where boards/nucleo_l476rg.json puts it."""
    board = load_board("nucleo_l476rg")
    out = tmp_path_factory.mktemp("fake_stm32l4")
    port = FIRMWARE_DIR / "src" / "port" / "stm32"
    shutil.copy(port / "stm32_flash.c", out)
    shutil.copy(port / "stm32_port.h", out)
    shutil.copy(port / "stm32l4_regs.h", out / "stm32l4_regs_real.h")
    for f in HERE.iterdir():
        shutil.copy(f, out)
    core = FIRMWARE_DIR / "src" / "core"
    exe = out / "fake_flash"
    cmd = ["gcc", "-std=c99", "-O1", "-g", "-Wall", "-Wextra", "-Werror",
           "-fsanitize=undefined", "-fno-sanitize-recover=all", "-no-pie",
           f"-I{out}", f"-I{FIRMWARE_DIR / 'include'}", f"-I{core}",
           f"-I{c_harness.INCLUDE_DIR}",
           *[f"-I{d}" for d in sorted(core.iterdir()) if d.is_dir()],
           str(out / "stm32_flash.c"), str(out / "fake_flash.c"),
           *[str(core / s) for s in CORE_SOURCES],
           f"-Wl,--defsym,__store_start=0x{board.store.base:x}",
           f"-Wl,--defsym,__store_end=0x{board.store.end:x}", "-o", str(exe)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return exe


def _run(exe: Path, chunk: int) -> dict[str, str]:
    proc = subprocess.run([str(exe), str(chunk)], capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return dict(kv.split("=", 1) for kv in proc.stdout.split())


def test_stm32_flash_driver_keeps_the_program_once_rule_under_store_and_kv(fake_flash):
    """Pushes in the host's 1024-byte chunks, a replace, a removal, compaction, a remount,
    and enough config-area writes to switch banks twice: no double word is programmed
    twice, everything reads back."""
    r = _run(fake_flash, 1024)
    assert r["violations"] == "0" and r["failures"] == "0"
    assert r["push_d"] == "ok"
    assert int(r["erases"]) > 16 and int(r["double_words"]) > 10000
    assert int(r["kv_bank_switches"]) >= 2


def test_stm32_flash_driver_refuses_rather_than_corrupts_on_odd_chunks(fake_flash):
    """A client pushing 100-byte chunks splits 8-byte slots between two program calls.
    On this flash that cannot be honoured; the driver must refuse it (the push fails with
    a flash error) without any double word written twice, and nothing else may suffer."""
    r = _run(fake_flash, 100)
    assert r["violations"] == "0" and r["failures"] == "0"
    assert r["push_d"] in ("ok", "eflash")
