"""Short versions of the device campaigns (the long runs: `python -m
tests.campaigns.serial_faults` and `python -m tests.campaigns.power_cuts`,
docs/reliability.md): pushes through a faulty line, and kills at random moments of
installs, replaces, removes and key-value writes on the posix device (ASan+UBSan) and under
QEMU. Plus a check that the campaigns' own oracle sees a damaged store."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from tests.campaigns import power_cuts, serial_faults
from tests.campaigns.modules import tagged_module

needs_wat2wasm = pytest.mark.skipif(shutil.which("wat2wasm") is None,
                                    reason="wat2wasm (wabt) builds the key-value writer")


def test_pushes_through_a_faulty_line(tmp_path: Path) -> None:
    # the quiet line must get its pushes through: with the campaign's 5 retries of 0.1 s a
    # push gave up after 0.6 s without an answer, which a loaded machine's stall of the
    # ASan device is (a lost chunk is still resent after the same short timeout)
    quiet = serial_faults.run_rate(0.0005, 12, seed=7, variant="asan", work=tmp_path,
                                   retries=30)
    noisy = serial_faults.run_rate(0.004, 6, seed=8, variant="asan", work=tmp_path)
    for r in (quiet, noisy):
        assert (r.wrong_module, r.stopped_answering, r.other_error) == (0, 0, 0), r.problems
        assert r.succeeded + r.failed_cleanly == r.pushes
        assert r.faults > 0
    assert quiet.succeeded >= 10 and quiet.retransmits > 0
    assert noisy.failed_cleanly > 0  # the noisy line really is hopeless for big images


@pytest.mark.qemu
def test_pushes_through_a_faulty_line_into_qemu(tmp_path: Path) -> None:
    """The same line in front of the riscv32-virt firmware's emulated UART."""
    if shutil.which("qemu-system-riscv32") is None:
        pytest.skip("qemu-system-riscv32 not installed")
    r = serial_faults.run_rate(0.0005, 6, seed=9, variant="asan", work=tmp_path,
                               device="qemu")
    assert (r.wrong_module, r.stopped_answering, r.other_error) == (0, 0, 0), r.problems
    assert r.succeeded + r.failed_cleanly == r.pushes == 6 and r.succeeded >= 3
    assert r.faults > 0


@needs_wat2wasm
def test_power_cuts_on_the_posix_device(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WASMOTE_FLASH_TIMING", power_cuts.FLASH_TIMING)
    dev = power_cuts.PosixPowerDevice(tmp_path / "flash.bin", variant="asan", predecode=True)
    r = power_cuts.run_device(dev, "posix", 30, seed=3, work=tmp_path)
    assert (r.inconsistent, r.dead_after_restart) == (0, 0), r.problems
    assert r.consistent == r.trials == 30
    assert len(r.by_operation) >= 4  # installs, replaces, removes and kv writes were cut
    # some cuts landed while the device was still working on the request
    assert sum(v for k, v in r.by_phase.items() if "in progress" in k) >= 10


@pytest.mark.qemu
@needs_wat2wasm
def test_power_cuts_under_qemu(tmp_path: Path) -> None:
    if shutil.which("qemu-system-riscv32") is None:
        pytest.skip("qemu-system-riscv32 not installed")
    dev = power_cuts.QemuDevice(power_cuts.qemu_elf(), tmp_path / "ram.img")
    r = power_cuts.run_device(dev, "qemu", 3, seed=5, work=tmp_path,
                              sizes=power_cuts.QEMU_SIZES)
    assert (r.inconsistent, r.dead_after_restart) == (0, 0), r.problems
    assert r.consistent == 3


@needs_wat2wasm
def test_the_check_sees_a_module_that_is_not_what_it_claims(tmp_path: Path) -> None:
    """Damage the stored image's code behind the store's back (its tag constant): the
    campaign's check must call that inconsistent, so its zeros mean something."""
    flash = tmp_path / "flash.bin"
    dev = power_cuts.PosixPowerDevice(flash, variant="asan", predecode=True)
    model = power_cuts.Model()
    dev.start()
    try:
        c = power_cuts._client(dev)
        c.push(power_cuts.KV_NAME, power_cuts.kv_package(tmp_path))
        img = power_cuts.Image(tagged_module(0x1234, 3000, seed=1), 0x1234)
        c.push("m0", img.data)
        c.transport.close()
        ok, _, problem = power_cuts.check(dev, model, "m0", [None, img], {})
        assert ok, problem
    finally:
        dev.stop()
    raw = bytearray(flash.read_bytes())
    code = b"\x42" + bytes([0xB4, 0x24])  # i64.const 0x1234 (signed LEB128)
    at = raw.find(img.data[:64])
    assert at >= 0
    pos = raw.find(code, at)
    raw[pos + 2] &= ~0x04  # a bit programmed to 0, as flash damage would: now 0x1034
    # The device runs the module from its pre-decoded form (the record's tail, issue 20),
    # which holds the tag too: damaged there as well, the form's CRC refuses it at load and
    # the damaged image runs in place; either must be seen.
    form = raw.find(b"WMPF", at)
    if form >= 0:
        tag = raw.find((0x1234).to_bytes(4, "little"), form)  # the constant's low half
        assert tag >= 0
        raw[tag] &= ~0x04
    flash.write_bytes(bytes(raw))
    assert hashlib.sha256(bytes(raw[at:at + len(img.data)])).digest() != img.sha
    dev.start()
    try:
        ok, _, problem = power_cuts.check(dev, model, None, [], {})
    finally:
        dev.stop()
    assert not ok and "m0" in problem
