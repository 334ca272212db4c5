"""Fuel bounds a slice (issue 14, item 4), on the posix device: what made slices unbounded
is refused at install (more straight-line code or more locals than one check point may pay
for) or charged by its work (bulk operations, zeroing locals, log lines), so a RUN budget
stops it; modules that do it for ever are preempted and a blinker beside them keeps waking
up. Every assertion counts fuel or events, none times anything (the instruction counts of
a slice are asserted on the Cortex-M4 under QEMU -icount: test_fuel_bound_m4.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness.posix_device import PosixDevice
from tests.protocol.conftest import device_exe
from tests.supervisor import fuel_attacks
from tests.supervisor.modules import i32, package
from tests.supervisor.test_supervisor_device import state
from wasmote.device import protocol as p
from wasmote.device.client import DeviceClient
from wasmote.device.errors import DeviceRefused
from wasmote.device.transport import SerialTransport

__all__ = ["device_exe"]

RUN_FUEL = 300_000  # the device's budget of one RUN call


@pytest.fixture
def client(tmp_path: Path, device_exe: Path) -> Iterator[DeviceClient]:
    dev = PosixDevice(tmp_path / "flash.bin", variant="asan", fuel=RUN_FUEL)
    with dev:
        t = SerialTransport(dev.url)
        try:
            yield DeviceClient(t, timeout=5.0)
        finally:
            t.close()


def test_unbounded_code_is_refused_at_install(client: DeviceClient) -> None:
    with pytest.raises(DeviceRefused, match="too much code between fuel check points"):
        client.push("straight", fuel_attacks.straight())
    with pytest.raises(DeviceRefused, match="too many locals"):
        client.push("locals", fuel_attacks.locals_over())
    assert [m.name for m in client.modules()] == []  # nothing was installed
    client.push("blinker", package("blinker"))  # the device goes on as before
    assert client.info().free_ram > 0


def _too_long(c: DeviceClient, export: str, n: int) -> bool:
    try:
        c.run("attacker", export, [i32(n)])
    except DeviceRefused as e:
        assert "out of fuel (the call ran too long)" in str(e), e
        return True
    return False


def test_bulk_work_locals_and_log_lines_are_charged(client: DeviceClient) -> None:
    """Within a RUN budget of 300 000 units: 10 fills of 64 KiB fit (8192 units each) and
    100 do not; 10 calls of a function with 30 000 locals fit and 100 do not (3752 each); 100
    log lines of 128 bytes fit and 1000 do not (~350 each). Before, all of them fitted: a
    fill cost 1024, the locals nothing, a log line nothing (one unit per loop turn)."""
    c = client
    c.push("attacker", fuel_attacks.attacker())
    assert not _too_long(c, "spin", 10_000)
    assert not _too_long(c, "fill", 10)
    assert _too_long(c, "fill", 100)
    assert not _too_long(c, "deep", 10)
    assert _too_long(c, "deep", 100)
    assert not _too_long(c, "flood", 100)
    while c.wait_event(0.5) is not None:  # the 100 lines
        pass
    assert _too_long(c, "flood", 1000)
    lines = 0
    while (ev := c.wait_event(0.5)) is not None:
        lines += ev.module == "attacker" and ev.kind == p.Msg.EV_LOG
    assert 100 < lines < 1000, lines  # it was stopped when its log lines used the budget


def test_a_log_flood_is_preempted_and_a_blinker_goes_on(client: DeviceClient) -> None:
    c = client
    c.push("blinker", package("blinker"))
    c.push("hostile", fuel_attacks.forever("hostile", "flood"))
    c.start("hostile")
    c.start("blinker")
    reports = 0  # the blinker logs its lateness every 20 wake-ups: wait for three
    while reports < 3:
        ev = c.wait_event(30.0)  # (a generous upper bound: it is a few seconds)
        assert ev is not None, "the blinker stopped waking up"
        assert ev.kind == p.Msg.EV_LOG or ev.module != "hostile", ev  # no trap, no exit
        reports += ev.module == "blinker" and ev.kind == p.Msg.EV_LOG
    assert state(c, "hostile").state == "ready"  # preempted, and it runs on
    assert state(c, "blinker").state in ("sleeping", "ready")
