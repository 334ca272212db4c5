"""The longest install finishes without the watchdog resetting the board.

The store's largest package of the densest code (960 KiB less a record's header) is
pushed to the real mps2-an386 firmware under QEMU at an instruction a nanosecond (its
commit's ~145 M instructions are far inside the watchdog's 2 x 10^9 there), then the
board boots from that store under -icount shift=5: each instruction is 32 ns of the
guest's clock, so the 2 s watchdog allows 62.5 M instructions, about what a real 25 MHz
Cortex-M4 allows (50 M). The boot's autostart hashes and loads the module, ~145 M
instructions: before the install fed the watchdog as it went (core/base/wm_work.h) the
board reset in that load at every boot; now the longest stretch between two kicks is
~1 M instructions (bench/install_worst.py, docs/reliability.md). (A push under the
scaled clock is not the test: QEMU's serial line runs at the guest's line rate, so a
large push there takes many minutes; the commit runs the same hash and loader.)

The loader's export cap at the device: one past it is refused with its message, the cap
itself is installed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.install_worst import dense_code, exports
from tests.sim_client import booted_client
from tests.supervisor.test_supervisor_qemu import BOARD
from wasmote.device import protocol as p
from wasmote.device.client import DeviceClient
from wasmote.device.errors import DeviceRefused
from wasmote.wasm.validator import MAX_EXPORTS

pytestmark = [pytest.mark.qemu, pytest.mark.slow]

# sim's icount="while-running" comes first on QEMU's command line; this later one wins
SCALED = ("-icount", "shift=5,align=off,sleep=on")
# The mps2 store (1 MiB) less its key-value area (64 KiB), a record's header and room
LARGEST = 1024 * 1024 - 64 * 1024 - 4096


# A request's timeout: an upper bound (the longest answer here is the commit of the largest
# package, ~145 M instructions).
TIMEOUT = 30.0


@pytest.fixture
def device() -> Iterator[DeviceClient]:
    with booted_client(BOARD, timeout=TIMEOUT, icount="while-running") as c:
        yield c


def _info(device: DeviceClient) -> p.DeviceInfo:
    return p.DeviceInfo.decode(device.request(p.Msg.INFO).body)


def test_the_largest_package_of_dense_code_loads_within_the_watchdog(tmp_path: Path) -> None:
    flash = tmp_path / "store.bin"
    with booted_client(BOARD, timeout=TIMEOUT, icount="while-running", flash=flash) as c:
        c.push("dense", dense_code(LARGEST), autostart=True)
    # A boot that resets in the load never answers (the client's timeout ends the test);
    # boots counts this QEMU's boots in RAM a reset keeps.
    with booted_client(BOARD, timeout=60.0, icount="while-running", qemu_args=SCALED,
                       flash=flash) as c:
        info = _info(c)
        assert info.boots == 1, info  # no reset by the watchdog
        assert "dense" in {m.name for m in c.modules()}


def test_the_export_cap_installs_and_one_more_is_refused(device: DeviceClient) -> None:
    device.push("exports", exports(MAX_EXPORTS))
    assert "exports" in {m.name for m in device.modules()}
    with pytest.raises(DeviceRefused) as e:
        device.push("over", exports(MAX_EXPORTS + 1))
    assert re.search(rf"too many exports \(the limit is {MAX_EXPORTS}\)", str(e.value)), e.value
    assert "over" not in {m.name for m in device.modules()}
    assert "exports" in {m.name for m in device.modules()}  # nothing installed is lost
