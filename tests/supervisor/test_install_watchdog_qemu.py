"""The longest installs finish without the watchdog resetting the board.

The real mps2-an386 firmware under QEMU -icount shift=7: each guest instruction is 128 ns
of the guest's clock (a 7.8 MHz core), so the firmware's 2 s watchdog allows 15.6 M
instructions, less than a real 25 MHz Cortex-M4 allows (50 M), where the tests' usual
shift=0 (an instruction a nanosecond) allows 2 x 10^9. A push's commit of dense code
costs ~147 instructions a byte (its read-back hash and validation), so the 160 KiB
package here (~24 M) is past that watchdog as the store's largest, 960 KiB (~145 M), is
past a real board's: before the install fed the watchdog as it went
(core/base/wm_work.h) the board reset in that commit and the push was lost; now the
longest stretch between two kicks is ~1 M instructions (bench/install_worst.py, which
measures the largest package; docs/reliability.md). The largest package itself is not
pushed here: through QEMU's serial line under icount it takes minutes.

The loader's export cap at the device: one past it is refused with its message, the cap
itself is installed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

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
SCALED = ("-icount", "shift=7,align=off,sleep=on")
DENSE_BYTES = 160 * 1024


@pytest.fixture
def device() -> Iterator[DeviceClient]:
    with booted_client(BOARD, timeout=300.0, icount="while-running", qemu_args=SCALED) as c:
        yield c


def _boots(device: DeviceClient) -> int:
    return p.DeviceInfo.decode(device.request(p.Msg.INFO).body).boots


def test_a_package_of_dense_code_past_the_watchdog_installs(device: DeviceClient) -> None:
    before = _boots(device)
    device.push("dense", dense_code(DENSE_BYTES))
    assert _boots(device) == before  # no reset: not the watchdog's
    assert "dense" in {m.name for m in device.modules()}


def test_the_export_cap_installs_and_one_more_is_refused(device: DeviceClient) -> None:
    device.push("exports", exports(MAX_EXPORTS))
    assert "exports" in {m.name for m in device.modules()}
    with pytest.raises(DeviceRefused) as e:
        device.push("over", exports(MAX_EXPORTS + 1))
    assert re.search(rf"too many exports \(the limit is {MAX_EXPORTS}\)", str(e.value)), e.value
    assert "over" not in {m.name for m in device.modules()}
    assert "exports" in {m.name for m in device.modules()}  # nothing installed is lost
