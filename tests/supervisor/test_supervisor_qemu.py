"""The supervisor on emulated hardware under QEMU: three modules side by side with the
blinker on the FPGA LED (mps2-an386, Cortex-M4F), and on mps2-an386, riscv32-virt and
xtensa-lx106 the watchdog catching a hung firmware, CPU faults blamed on the module that
ran, and the boot-loop guard."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.protocol.helpers import events_until, until
from tests.sim_client import past_banner
from tests.supervisor.modules import i32, ints, package, signed, wasm
from tests.supervisor.test_supervisor_device import collect_until, logged, state
from wasmote import config_area, sim
from wasmote.device import protocol as p
from wasmote.device.client import DeviceClient
from wasmote.device.errors import DeviceError, DeviceRefused
from wasmote.device.transport import SerialTransport
from wasmote.package.keys import public_key_bytes

pytestmark = pytest.mark.qemu

BOARD = "mps2-an386"
# How late the blinker (50 ms period) may wake beside a busy loop, in the board's own time:
# tests of scheduling run it on its instruction count (sim.launch(icount="while-running"):
# 1 instruction = 1 ns while it runs), so a loaded host slows QEMU down as a whole and adds
# nothing to this. 5 ms = 5 M instructions, a few slices of the busy loop (one slice of
# 10000 fuel is about 1.3 M instructions on this Cortex-M4) and a request handled meanwhile.
QEMU_BLINK_TOLERANCE_MS = 5
# Only an upper bound for a board that stopped sending what a test waits for (waits are
# for events; a loaded machine emulates a second of the board in many).
QEMU_EVENT_DEADLINE_S = 300.0
# The same for one reset: a watchdog's 2 s and a boot, emulated on a loaded machine.
RESET_DEADLINE_S = 120.0


def _boot(env: str | None, tmp_path: Path, trace: bool = False,
          board: str = BOARD, icount: sim.Icount = False) -> tuple[sim.Sim, DeviceClient]:
    args: tuple[str, ...] = ()
    if trace:  # QEMU's LED model logs every change of the FPGA's user LEDs
        args = ("-trace", "led_change_intensity", "-D", str(tmp_path / "leds.log"))
    s = sim.launch(board, env=env, qemu_args=args, icount=icount)
    try:
        line = past_banner(SerialTransport(s.url, open_timeout=10.0), board)
        return s, DeviceClient(line, timeout=3.0)
    except BaseException:
        s.stop()
        raise


@pytest.fixture
def firmware(tmp_path: Path) -> Iterator[tuple[DeviceClient, Path]]:
    s, c = _boot(None, tmp_path, trace=True, icount="while-running")
    try:
        yield c, tmp_path / "leds.log"
    finally:
        c.transport.close()
        s.stop()


@pytest.fixture(params=[BOARD, "riscv32-virt", "xtensa-lx106"])
def faults_firmware(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DeviceClient]:
    """The test image with fault injection: mps2 (SysTick watchdog), RV32 (machine-timer
    watchdog) and the Xtensa LX106 (CCOMPARE0 tick)."""
    board = str(request.param)
    s, c = _boot(f"{board}-faults", tmp_path, board=board)
    try:
        yield c
    finally:
        c.transport.close()
        s.stop()


def test_three_modules_on_the_board(firmware: tuple[DeviceClient, Path]) -> None:
    c, leds = firmware
    for name in ("busy", "blinker", "publisher", "subscriber"):
        c.push(name, package(name))
    for name in ("busy", "subscriber", "blinker", "publisher"):
        c.start(name)
    # two lateness reports of the blinker (40 wake-ups), the subscriber's fifth, the
    # publisher's exit
    events = collect_until(c, lambda evs: len(logged(evs, "blinker")) >= 2
                           and "got 5" in logged(evs, "subscriber")
                           and "exit" in logged(evs, "publisher"), QEMU_EVENT_DEADLINE_S)
    late = [int(text) for text in logged(events, "blinker")]
    assert max(late) <= QEMU_BLINK_TOLERANCE_MS, late  # the worst of every 20 wake-ups
    got = [e.text for e in events if e.module == "subscriber"]
    assert got == ["got 1", "got 2", "got 3", "got 4", "got 5"]
    mods = {m.name: m for m in c.modules()}
    assert mods["busy"].state == "ready" and mods["busy"].cpu_permille > 500
    assert mods["subscriber"].state == "waiting" and mods["publisher"].state == "exited"
    # the emulated board's LED really blinked: QEMU's LED model saw led0 (USERLED0) change
    changes = until(lambda: [ln for ln in leds.read_text().splitlines()
                             if "'USERLED0'" in ln], lambda got: len(got) >= 40)
    assert len(changes) >= 40, changes[:5]


def _wait_boots(c: DeviceClient, boots: int, timeout: float) -> p.DeviceInfo:
    """INFO once the device has booted `boots` times. Asked with one short try at a time:
    a hung device (the watchdog's 2 s) or a rebooting one does not answer, and the next
    try comes soon after; `timeout` is only an upper bound."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            info = p.DeviceInfo.decode(c.request(p.Msg.INFO, timeout=1.0, retries=0).body)
            if info.boots >= boots:
                return info
        except DeviceError:
            pass  # hung or rebooting
        assert time.monotonic() < deadline, f"the device did not reach boot {boots}"
        time.sleep(0.2)


def test_watchdog_and_the_boot_loop_guard(faults_firmware: DeviceClient) -> None:
    """A module that hangs the firmware: the watchdog resets the board, the reset is blamed
    on that module, and after three it is no longer started; the blinker runs on."""
    c = faults_firmware
    c.push("blinker", package("blinker", autostart=True))
    c.push("hanger", wasm("hanger"), autostart=True)  # hangs at once, and at every boot
    info = _wait_boots(c, 4, timeout=3 * RESET_DEADLINE_S)  # three resets
    assert (info.boots, info.reset_cause_name) == (4, "watchdog")
    assert "disabled: hanger (reset the device 3 times)" in info.notes
    assert state(c, "hanger").state == "disabled"
    assert state(c, "blinker").state in ("sleeping", "ready")
    events_until(c, lambda e: e.module == "blinker", QEMU_EVENT_DEADLINE_S)  # it blinks
    logs = c.logs()
    assert "hanger: the device reset while this module ran (3 of 3" in logs


def test_cpu_fault_is_blamed_on_the_module(faults_firmware: DeviceClient) -> None:
    c = faults_firmware
    c.push("faulter", wasm("faulter"))
    before = c.info().boots
    c.start("faulter")  # its first slice faults the CPU; the port resets the board
    info = _wait_boots(c, before + 1, timeout=RESET_DEADLINE_S)
    assert info.reset_cause_name == "fault"
    assert "faulter: the device reset while this module ran (1 of 3" in c.logs()
    assert state(c, "faulter").state == "idle"  # not autostarted: nothing runs it again


def test_the_config_area_keeps_the_firmware_records(tmp_path: Path) -> None:
    """Issue 14 item 2 on the board's own config area (64 KiB of 4 KiB sectors): a module
    that fills the pool modules may use, charged in flash bytes, leaves room for the keys,
    the version pins and key rotation, and rm gives its share back. (The test image's
    config area is specified for 1000 hours, so the module may write its pool at once.)"""
    s, c = _boot(f"{BOARD}-faults", tmp_path)
    try:
        full = config_area.module_pool(64 * 1024, 4096)
        burst = f"kv = {full}\nkv_write = {256 * 1024}\n"
        record = config_area.record_bytes(len("filler"), 4, 0)
        c.push("filler", package("filler", limits=burst))
        count, err = ints(c.run("filler", "fill", [i32(0)]))
        assert (count, err) == (full // record, -6)  # WM_E_QUOTA at exactly its flash bytes
        a, b = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
        c.provision([public_key_bytes(a)])
        c.key = a  # management now needs tokens
        c.push("busy", signed("busy", a, "2.0.0"))
        with pytest.raises(DeviceRefused) as e:
            c.push("busy", signed("busy", a, "1.0.0"))
        assert "replay refused" in e.value.message  # its pin was written
        c.provision([public_key_bytes(a), public_key_bytes(b)])
        assert c.info().keys == 2
        c.remove("filler")
        c.push("filler", signed("filler", b, limits=burst))
        assert ints(c.run("filler", "count", [i32(count)])) == [0]
        assert ints(c.run("filler", "fill", [i32(0)])) == [count, -6]
    finally:
        c.transport.close()
        s.stop()
