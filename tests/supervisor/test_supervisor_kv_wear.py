"""kv writes cannot wear out the config area (issue 14 item 9): every module has a write
budget (limits.kv_write, flash bytes per hour, a bucket that holds one hour's worth), the
device admits only budgets its flash sustains for its lifetime, and the flash work of a
write (programs, erases, compaction) is charged to the writer's fuel. On the posix device,
with the flash's erases counted per sector."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness.posix_device import PosixDevice
from tests.protocol.helpers import events_until
from tests.supervisor.modules import i32, ints, package
from wasmote import config_area
from wasmote.device import protocol as p
from wasmote.device.client import DeviceClient
from wasmote.device.errors import DeviceRefused
from wasmote.device.transport import SerialTransport
from wasmote.package.manifest import DEFAULT_KV_WRITE_PER_HOUR

E_BUDGET = -11
RECORD = config_area.record_bytes(len("rewriter"), 1, 4)  # "k" := 4 bytes
MS_PER_HOUR = 3_600_000


def erases(device: PosixDevice) -> list[int]:
    """Erases of each config-area sector since the flash file was made."""
    assert device.erase_counts is not None
    raw = device.erase_counts.read_bytes()
    counts = list(struct.unpack(f"<{len(raw) // 4}I", raw))
    return counts[device.store_size // device.sector:]


def launch(tmp_path: Path, lifetime_h: int | None = None, fuel: int | None = None
           ) -> PosixDevice:
    return PosixDevice(tmp_path / "flash.bin", variant="asan",
                       erase_counts=tmp_path / "erases.bin", kv_lifetime_h=lifetime_h,
                       fuel=fuel)


@pytest.fixture
def device(tmp_path: Path, device_exe: Path) -> Iterator[PosixDevice]:
    with launch(tmp_path) as dev:
        yield dev


def connect(device: PosixDevice) -> DeviceClient:
    return DeviceClient(SerialTransport(device.url), timeout=3.0)


def test_rewriting_one_key_stops_at_the_write_budget(device: PosixDevice) -> None:
    """The issue's attack (one module rewriting one key as fast as it can: about 830
    erases per config sector in 10 s): with the default budget it gets a bucket's worth of
    writes and then WM_E_BUDGET; not one compaction."""
    c = connect(device)
    c.push("rewriter", package("rewriter"))
    assert erases(device) == [1] * 8 + [0] * 8  # bank 0 formatted at the first boot
    # the bucket holds one hour's worth, at least one record of the largest size
    n = max(DEFAULT_KV_WRITE_PER_HOUR, config_area.RECORD_MAX) // RECORD
    assert ints(c.run("rewriter", "rewrite", [i32(100_000)])) == [n, E_BUDGET]
    c.events.clear()
    c.start("rewriter")  # scheduled the same: the budget is the module's, not the call's
    end = events_until(c, lambda e: e.module == "rewriter" and e.kind == p.Msg.EV_EXIT)[-1]
    assert end.text == "exit"
    assert erases(device) == [1] * 8 + [0] * 8
    c.transport.close()


def test_install_refuses_budgets_the_flash_cannot_sustain(device: PosixDevice) -> None:
    c = connect(device)
    most = config_area.write_capacity(device.kv, device.sector, config_area.ENDURANCE,
                                      config_area.LIFETIME_H)
    for n, budget in enumerate((most // 2, most - most // 2)):
        c.push(f"w{n}", package("rewriter", called=f"w{n}", limits=f"kv_write = {budget}\n"))
    with pytest.raises(DeviceRefused) as e:
        c.push("w2", package("rewriter", called="w2", limits="kv_write = 1\n"))
    assert e.value.status == p.Status.NO_SPACE
    assert e.value.message == (f"limits.kv_write 1 does not fit: the config area lasts its "
                               f"lifetime at {most} bytes/h, {most} given to others")
    assert sorted(m.name for m in c.modules()) == ["w0", "w1"]
    c.remove("w1")
    c.push("w2", package("rewriter", called="w2"))
    c.transport.close()


def test_the_budget_refills_at_its_rate(tmp_path: Path, device_exe: Path) -> None:
    """A bucket of one hour's worth that refills continuously: after draining it, a module
    writes again only as much as the time since allows (one record a second here)."""
    rate = RECORD * 3600
    with launch(tmp_path, lifetime_h=1000) as dev:
        c = connect(dev)
        c.push("rewriter", package("rewriter", limits=f"kv_write = {rate}\n"))
        after, elapsed = ints(c.run("rewriter", "refill", [i32(2500)]))
        assert elapsed >= 2500
        assert 2 <= after <= 1 + elapsed * rate // MS_PER_HOUR // RECORD, (after, elapsed)
        c.transport.close()


def test_flash_work_is_charged_to_the_writer(tmp_path: Path, device_exe: Path) -> None:
    """A write's work costs the writer fuel: one unit per 8 bytes programmed or erased
    (a compaction erases a whole bank) and 4 per record the store looked at, so a RUN that
    rewrites until it compacts runs out of fuel where the same calls, free, would not (they
    cost about 3 units each in the interpreter)."""
    with launch(tmp_path, lifetime_h=1000, fuel=20_000) as dev:
        c = connect(dev)
        c.push("rewriter", package("rewriter", limits=f"kv_write = {1 << 18}\n"))
        assert ints(c.run("rewriter", "rewrite", [i32(20)])) == [20, 0]  # appends only
        with pytest.raises(DeviceRefused) as e:
            c.run("rewriter", "rewrite", [i32(2000)])  # several compactions
        assert e.value.status == p.Status.TRAP and "out of fuel" in e.value.message
        c.transport.close()
