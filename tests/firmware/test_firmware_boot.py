"""Every QEMU board: build with PlatformIO, boot, banner, self-test on the real interpreter
(Cortex-M3/M4F/M33, RV32), ping/pong over the TCP serial line."""

from __future__ import annotations

import re

import pytest

import wasmote
from wasmote import firmware
from wasmote.boards import load_board

from .conftest import QEMU_BOARDS, runtime_in_tree

BANNER = re.compile(r"wasmote (\S+) board=(\S+) cpu=(\S+) clock=(\d+) ram_free=(\d+) "
                    r"store=(\d+) runtime=(yes|no)")


@pytest.fixture(scope="module")
def expected_selftest() -> dict[str, firmware.SelftestResult]:
    return {r.name: r for r in firmware.selftest_expected(firmware.selftest_wasm())}


@pytest.mark.qemu
@pytest.mark.parametrize("board", QEMU_BOARDS)
def test_firmware_boots_and_runs_selftest(boot, builds, board, expected_selftest):
    b = boot(board)
    banner = next(ln for ln in b.lines if ln.startswith("wasmote "))
    m = BANNER.fullmatch(banner)
    assert m, banner
    version, name, cpu, clock, ram_free, store, runtime = m.groups()
    info = load_board(board)
    assert (version, name, cpu, int(clock)) == (wasmote.__version__, board, info.cpu,
                                                info.clock_hz)
    assert int(store) == info.store.size
    # the firmware's own figure and the one computed from the ELF agree (alignment slack)
    assert abs(int(ram_free) - builds[board].ram_free) <= 16
    assert runtime == ("yes" if runtime_in_tree() else "no")

    cases = [ln for ln in b.lines if ln.startswith("selftest ")]
    if runtime == "no":
        assert cases == ["selftest skipped: runtime not built"]
        return
    results = {}
    for ln in cases[:-1]:
        _, fname, value, verdict = ln.split()
        results[fname] = (value, verdict)
    for exp in expected_selftest.values():
        digits = 8 if exp.type in ("i32", "f32") else 16
        assert results[exp.name] == (f"{exp.type}:0x{exp.bits:0{digits}x}", "ok"), exp.name
    assert re.match(rf"selftest done pass={len(expected_selftest)} fail=0 ", cases[-1])


@pytest.mark.qemu
def test_firmware_line_commands(boot):
    b = boot("mps2-an386")
    assert b.command("ping") == "pong"
    assert b.command("bogus") == "error unknown command"
    assert b.command("x" * 200) == "error line too long"
    assert b.command("info").startswith("wasmote ")
    assert b.command("ping") == "pong"


@pytest.mark.qemu
def test_firmware_reset_reboots(boot):
    b = boot("riscv32-virt")
    assert b.command("reset") == "resetting"
    from .conftest import read_until

    again = read_until(b.ser, "ready", timeout=30)
    assert any(ln.startswith("wasmote ") for ln in again)
    assert b.command("ping") == "pong"
