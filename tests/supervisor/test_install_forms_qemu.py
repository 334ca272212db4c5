"""A large pre-decoded form loads on mps2-an386 without the watchdog resetting the board.

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

from pathlib import Path

import pytest

from tests.sim_client import booted_client
from tests.supervisor.modules import i32
from tests.supervisor.test_install_worst_forms import loops
from tests.supervisor.test_supervisor_qemu import BOARD
from wasmote.device import protocol as p

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
