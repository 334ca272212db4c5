"""Fuel bounds a slice on the emulated board (issue 14, item 4): on mps2-an386 a module with
140 KB of straight-line code in a loop ran ~10000 x 47000 instructions per slice and the
watchdog reset the board. Now it is refused at install; the attacks that remain (a memory
fill, a log flood, a function with 30000 locals, each for ever) are preempted beside a
blinker, the board keeps answering and never resets. Events and INFO are asserted, not
times (the longest slice in instructions: test_fuel_bound_m4.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.supervisor import fuel_attacks
from tests.supervisor.modules import package
from tests.supervisor.test_supervisor_device import state
from tests.supervisor.test_supervisor_qemu import _boot
from wasmote.device import protocol as p
from wasmote.device.client import DeviceClient
from wasmote.device.errors import DeviceRefused

pytestmark = pytest.mark.qemu


@pytest.fixture
def board(tmp_path: Path) -> Iterator[DeviceClient]:
    s, c = _boot(None, tmp_path)
    try:
        yield c
    finally:
        c.transport.close()
        s.stop()


def test_attacks_on_the_slice_do_not_reset_the_board(board: DeviceClient) -> None:
    c = board
    boots = c.info().boots
    with pytest.raises(DeviceRefused, match="too much code between fuel check points"):
        c.push("straight", fuel_attacks.straight())
    c.push("blinker", package("blinker"))
    for what in ("fill", "flood", "deep"):
        c.push(what, fuel_attacks.forever(what, what))
        c.start(what)
    c.start("blinker")
    reports = floods = 0  # the blinker logs every 20 wake-ups: wait for five of those
    while reports < 5:
        ev = c.wait_event(60.0)  # (a generous upper bound: it is a few seconds)
        assert ev is not None, "the blinker stopped waking up"
        assert ev.kind == p.Msg.EV_LOG, ev  # no trap, no exit, no reset blamed on anyone
        reports += ev.module == "blinker"
        floods += ev.module == "flood"
    assert floods > 0
    info = c.info()
    assert info.boots == boots  # never reset
    for what in ("fill", "flood", "deep"):
        assert state(c, what).state == "ready", what  # preempted, and they run on
    c.stop("flood")
    assert state(c, "flood").state == "stopped"
