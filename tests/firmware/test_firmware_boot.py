"""Every QEMU board: build with PlatformIO, boot, banner, self-test on the real interpreter
(Cortex-M3/M4F/M33, RV32, Xtensa LX106), then the device protocol over the TCP serial line."""

from __future__ import annotations

import re
import time

import pytest

import wasmote
from wasmote import firmware
from wasmote.boards import load_board
from wasmote.device.client import DeviceClient
from wasmote.device.errors import DeviceError
from wasmote.device.transport import SerialTransport

from .conftest import QEMU_BOARDS

BANNER = re.compile(r"wasmote (\S+) board=(\S+) cpu=(\S+) clock=(\d+) ram_free=(\d+) "
                    r"store=(\d+) runtime=(yes|no)")


@pytest.fixture(scope="module")
def expected_selftest() -> dict[str, firmware.SelftestResult]:
    return {r.name: r for r in firmware.selftest_expected(firmware.selftest_wasm())}


@pytest.mark.qemu
@pytest.mark.parametrize("board", QEMU_BOARDS)
def test_firmware_boots_and_runs_selftest(boot, builds, board, expected_selftest):
    b = boot(board)
    banner = next((ln for ln in b.lines if ln.startswith("wasmote ")), None)
    assert banner is not None, f"{board}: no banner in the boot output: {b.lines}"
    m = BANNER.fullmatch(banner)
    assert m, banner
    version, name, cpu, clock, ram_free, store, runtime = m.groups()
    info = load_board(board)
    assert (version, name, cpu, int(clock)) == (wasmote.__version__, board, info.cpu,
                                                info.clock_hz)
    assert int(store) == info.store.size
    # the firmware's own figure and the one computed from the ELF agree (alignment slack)
    assert abs(int(ram_free) - builds[board].ram_free) <= 16
    assert runtime == "yes"

    cases = [ln for ln in b.lines if ln.startswith("selftest ")]
    results = {}
    for ln in cases[:-1]:
        _, fname, value, verdict = ln.split()
        results[fname] = (value, verdict)
    for exp in expected_selftest.values():
        digits = 8 if exp.type in ("i32", "f32") else 16
        assert results[exp.name] == (f"{exp.type}:0x{exp.bits:0{digits}x}", "ok"), exp.name
    assert re.match(rf"selftest done pass={len(expected_selftest)} fail=0 ", cases[-1])


@pytest.mark.qemu
@pytest.mark.parametrize("board", ["mps2-an386", "riscv32-virt", "xtensa-lx106"])
def test_firmware_speaks_the_device_protocol_after_boot(boot, board):
    b = boot(board)
    b.ser.close()  # the device commands reconnect, like a user's `wasmote info`
    t = SerialTransport(b.sim.url)
    try:
        c = DeviceClient(t, timeout=2.0)
        info = c.info()
        assert info.board == board and info.firmware_version == f"wasmote {wasmote.__version__}"
        assert {"store", "run", "sandbox", "scheduler"} <= set(info.feature_names())
        assert info.keys == 0 and "unprovisioned" in info.notes
        assert info.reset_cause_name == "power-on" and info.boots == 1
        c.reset()  # RESET reboots: the same device, one boot more, software reset
        deadline = time.monotonic() + 30
        while True:
            try:
                again = c.info()
                break
            except DeviceError:
                assert time.monotonic() < deadline, "no INFO after RESET"
        assert (again.boots, again.reset_cause_name) == (2, "software")
    finally:
        t.close()
