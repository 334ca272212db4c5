"""A module the loader is slowest on installs without the watchdog resetting the board.

The real mps2-an386 firmware under QEMU -icount while it runs (an instruction a nanosecond: the
watchdog's 2 s are 2 x 10^9 instructions, whatever the host's load). 16 000 exports, a
96 KB module: the loader compared each export's name with every earlier one, ~4.5 x 10^9
instructions, so the push's commit ran past the watchdog and the board reset, the push
lost; sorted, they load in ~25 M (bench/install_worst.py, docs/reliability.md).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench.install_worst import exports
from tests.sim_client import booted_client
from tests.supervisor.test_supervisor_qemu import BOARD
from wasmote.device import protocol as p
from wasmote.device.client import DeviceClient

pytestmark = [pytest.mark.qemu, pytest.mark.slow]

EXPORTS = 16_000


@pytest.fixture
def device() -> Iterator[DeviceClient]:
    with booted_client(BOARD, timeout=120.0, icount="while-running") as c:
        yield c


def test_many_exports_install_within_the_watchdog(device: DeviceClient) -> None:
    before = p.DeviceInfo.decode(device.request(p.Msg.INFO).body).boots
    device.push("exports", exports(EXPORTS))
    info = p.DeviceInfo.decode(device.request(p.Msg.INFO).body)
    assert info.boots == before, info  # no reset: not the watchdog's
    assert "exports" in {m.name for m in device.modules()}
