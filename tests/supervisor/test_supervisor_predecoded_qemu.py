"""The pre-decoded form on emulated hardware (issue 20, stage 2): the product firmware
(WM_PREDECODE) under QEMU translates a module at install, stores the form beside it in the
(RAM-emulated) flash store and runs it from there with the same results; a module that lands
in a hole with no room after it for its form is installed and runs in place, said so."""

from __future__ import annotations

import pytest

from tests.protocol.test_protocol_qemu import booted
from tests.supervisor.modules import i32, wasm
from tests.supervisor.test_supervisor_predecoded import SUM_1000, _entry, _padded
from wasmote.device.client import DeviceClient

pytestmark = pytest.mark.qemu

SECTOR = 4096  # the store sector of both boards (boards/*.json memory.store.sector)


@pytest.mark.parametrize("board", ["mps2-an386", "riscv32-virt"])
def test_module_runs_predecoded_from_flash_and_in_place_without_room(board: str) -> None:
    c: DeviceClient
    with booted(board) as c:
        assert c.push("summer", wasm("summer")).note == ""
        m = _entry(c, "summer")
        assert m.code == "pre-decoded" and m.form_bytes > 48
        assert c.run("summer", "sum", [i32(1000)]) == [i32(SUM_1000)]
        c.start("summer")
        assert _entry(c, "summer").code == "pre-decoded"  # loaded: bound to its form
        # a hole between two records (a removed module and its form): the module fills it
        # exactly, its form has no room
        c.push("hole", wasm("summer"))
        c.push("wall", wasm("summer"))
        h = _entry(c, "hole")
        span = 128 + (h.size + 7) // 8 * 8 + h.form_bytes  # WM_STORE_HEADER_SIZE, tail
        c.remove("hole")
        r = c.push("tight", _padded(wasm("summer"), -(-span // SECTOR) * SECTOR - 128))
        assert "runs in place: no room in the store for its pre-decoded form" in r.note
        t = _entry(c, "tight")
        assert (t.code, t.form_bytes) == ("in place", 0)
        assert c.run("tight", "sum", [i32(1000)]) == [i32(SUM_1000)]
