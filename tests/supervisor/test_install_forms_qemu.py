"""Loads of large modules on mps2-an386: a large pre-decoded form loads without the watchdog
resetting the board, and a module that traps at once is not reloaded faster than a share
of what its load takes.

The form's CRC-32 is checked at every load (boot, restart, RUN) and computed at install:
~11 Cortex-M4 instructions a form byte. It was one step the work meter did not see, so a
module whose form is most of the store (a 300 KiB module of loops: a 600 KiB form) held
the board ~7 M instructions without a kick, against the ~1 M the meter promises between
two (docs/reliability.md, "The worst install against the watchdog"). Here the board
boots from such a store under -icount shift=9 (512 ns an instruction: the 2 s watchdog
allows 3.9 M instructions, still well above the meter's longest stretch): before the CRC
charged the meter, that boot reset in the form's check; now it comes up once and the
module runs from its form.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench.install_worst import HEADER, VOID, _section, _vec
from tests.protocol.helpers import events_until
from tests.sim_client import booted_client
from tests.supervisor.modules import i32, ints, wasm
from tests.supervisor.test_install_worst_forms import loops
from tests.supervisor.test_supervisor_qemu import BOARD, RESET_DEADLINE_S, _boot, _wait_boots
from wasmote.device import protocol as p
from wasmote.device.errors import DeviceError
from wasmote.package.build import build_package
from wasmote.package.capabilities import parse_capabilities
from wasmote.package.container import Package
from wasmote.package.manifest import Limits, Manifest, Version, parse_manifest_toml
from wasmote.wasm.leb128 import encode_unsigned as uleb

pytestmark = [pytest.mark.qemu, pytest.mark.slow]

# sim's icount="while-running" comes first on QEMU's command line; this later one wins
SCALED = ("-icount", "shift=9,align=off,sleep=on")
LOOPS = 100_000  # 300 KiB of module, a form of 600 KiB: the store's 960 KiB hold both
TIMEOUT = 60.0  # a request's upper bound (the commit translates and writes 600 KiB)


def test_a_form_of_most_of_the_store_loads_within_the_watchdog(tmp_path: Path) -> None:
    flash = tmp_path / "store.bin"
    with booted_client(BOARD, timeout=TIMEOUT, icount="while-running", flash=flash) as c:
        r = c.push("loops", loops(LOOPS), autostart=False)
        assert r.note == "", r.note
        m = next(m for m in c.modules(detail=True) if m.name == "loops")
        assert m.code == "pre-decoded" and m.form_bytes > 500_000, m
    # A boot that resets never answers twice the same way: boots counts this QEMU's boots
    # in RAM a reset keeps.
    with booted_client(BOARD, timeout=TIMEOUT, icount="while-running", qemu_args=SCALED,
                       flash=flash) as c:
        assert c.run("loops", "f", []) == [i32(1)]  # the load checks the form's CRC
        info = p.DeviceInfo.decode(c.request(p.Msg.INFO).body)
        assert info.boots == 1, info  # no reset by the watchdog
        m = next(m for m in c.modules(detail=True) if m.name == "loops")
        assert m.code == "pre-decoded", m


def _crasher_with_code(size: int) -> bytes:
    """A package whose entry traps at once (`unreachable`) and restarts (on_trap), beside
    `size` bytes of the densest validated code: every restart reloads all of it."""
    step = b"\x03\x40\x20\x00\x20\x00\x6a\x21\x00\x0b"  # loop; x = x + x; end
    dense = b"\x01\x01\x7f" + step * ((size - 128) // len(step)) + b"\x0b"
    trap = b"\x00\x00\x0b"
    wasm = (HEADER + _section(1, _vec([VOID])) + _section(3, _vec([b"\x00", b"\x00"]))
            + _section(7, _vec([b"\x06_start\x00\x00", b"\x03pad\x00\x01"]))  # kept by strip
            + _section(10, _vec([uleb(len(trap)) + trap, uleb(len(dense)) + dense])))
    manifest = parse_manifest_toml('name = "crashy"\nversion = "1.0.0"\n'
                                   'on_trap = "restart"\ncapabilities = []\n')
    return build_package(wasm, manifest).package.to_bytes()


def test_a_restart_waits_a_share_of_what_its_load_took() -> None:
    """Each restart reloads the module (hash, validation, the form's checks: ~130 Cortex-M4
    instructions a byte of dense code), which fuel does not bound and nothing preempts. The
    back-off started at 100 ms whatever that cost, so a module of 400 KB that traps at once
    held the board loading for most of its first seconds; now the back-off is at least
    WM_SUP_RELOAD_SHARE (9) times the load, so reloads take at most a tenth of its time.
    Under -icount shift=0 the load's time is its instruction count (1 ns each)."""
    with booted_client(BOARD, timeout=TIMEOUT, icount="while-running") as c:
        c.push("crashy", _crasher_with_code(400_000))
        c.start("crashy")
        lines: list[str] = []

        def restarting(ev: p.Event) -> bool:
            if ev.module == "crashy" and ev.kind == p.Msg.EV_LOG and \
                    ev.text.startswith("restarting"):
                lines.append(ev.text)
            return len(lines) >= 2

        events_until(c, restarting, TIMEOUT)
        # the first back-off is the load's share (~70 ms of load: well above 100 ms)
        first = re.fullmatch(r"restarting in (\d+) ms \(its load took (\d+) ms\)", lines[0])
        assert first is not None, lines
        wait, load = int(first.group(1)), int(first.group(2))
        assert load >= 20 and wait == 9 * load, lines
        # then it doubles as before
        assert lines[1] == f"restarting in {2 * wait} ms", lines
        assert "crashy" in {m.name for m in c.modules()}  # it answers between loads


def test_a_reset_inside_a_load_is_blamed_on_the_module(tmp_path: Path) -> None:
    """The boot-loop guard counted resets inside a module's slices only: an autostart
    module whose load resets the board (here its start function hangs it, in the test
    image; a load check that ran past the watchdog would too) reset it at every boot,
    forever. A load that starts a module is now guarded like a slice: after three resets
    the module is disabled and the board answers."""
    s, c = _boot(f"{BOARD}-faults", tmp_path)
    try:
        # (the host's package builder refuses the test image's fault_hang import)
        manifest = Manifest(name="loadhanger", version=Version.parse("1.0.0"),
                            capabilities=parse_capabilities(["kv"]), limits=Limits(kv_bytes=1024),
                            autostart=True)
        c.push("loadhanger", Package(manifest, wasm("loadhanger")).to_bytes())  # not armed
        assert ints(c.run("loadhanger", "arm", [])) == [0]
        before = c.info().boots
        with pytest.raises(DeviceError):
            c.start("loadhanger")  # its load hangs: the watchdog resets the board
        # the START's reset and two at autostart: then it is no longer started
        info = _wait_boots(c, before + 3, timeout=3 * RESET_DEADLINE_S)
        assert info.reset_cause_name == "watchdog"
        assert "disabled: loadhanger (reset the device 3 times)" in info.notes
        assert next(m for m in c.modules() if m.name == "loadhanger").state == "disabled"
    finally:
        c.transport.close()
        s.stop()
