"""The pre-decoded form in the store (issue 20, stage 2) on the posix device: translated at
install and kept beside the module, shown by LIST (`wasmote ls`), run with the same results;
no room for it, or a damaged one, leaves the module running in place, said so."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.harness.posix_device import PosixDevice, filler_module
from tests.supervisor.modules import i32, wasm
from wasmote.cli import main
from wasmote.device import protocol as p
from wasmote.device.client import DeviceClient
from wasmote.device.transport import SerialTransport
from wasmote.wasm.leb128 import encode_unsigned

SUM_1000 = 499500


def _entry(c: DeviceClient, name: str) -> p.ModuleEntry:
    return next(m for m in c.modules(detail=True) if m.name == name)


def _padded(module: bytes, size: int) -> bytes:
    """`module` with a custom section appended so it is exactly `size` bytes."""
    for leb_len in range(1, 4):
        content = size - len(module) - 1 - leb_len
        if content >= 2 and len(encode_unsigned(content)) == leb_len:
            return module + b"\0" + encode_unsigned(content) + b"\x01p" + bytes(content - 2)
    raise ValueError(size)


@pytest.fixture
def dev(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[PosixDevice]:
    # store_sectors: a store of that many 4 KiB sectors (the config area after it)
    sectors = getattr(request, "param", 64)
    with PosixDevice(tmp_path / "flash.bin", flash_size=64 * 1024 + sectors * 4096,
                     variant="asan", predecode=True) as d:
        yield d


def _client(d: PosixDevice) -> DeviceClient:
    return DeviceClient(SerialTransport(d.url), timeout=2.0)


def test_installed_module_runs_from_its_stored_form(dev: PosixDevice) -> None:
    c = _client(dev)
    r = c.push("summer", wasm("summer"))
    assert r.note == ""
    m = _entry(c, "summer")
    assert (m.code, m.kind) == ("pre-decoded", "wasm") and m.form_bytes > 48
    assert c.run("summer", "sum", [i32(1000)]) == [i32(SUM_1000)]
    c.start("summer")
    assert _entry(c, "summer").code == "pre-decoded"  # loaded: the form was bound
    c.transport.close()
    out = CliRunner().invoke(main, ["ls", "-p", dev.url]).stdout
    assert "CODE" in out and "pre-decoded (" in out


@pytest.mark.parametrize("dev", [2], indirect=True)
def test_no_room_for_the_form_installs_and_runs_in_place(dev: PosixDevice) -> None:
    c = _client(dev)
    c.push("pad", filler_module(3000, 1))  # sector 0: summer gets the last sector, tight
    r = c.push("summer", _padded(wasm("summer"), 4096 - 128))
    assert "runs in place: no room in the store for its pre-decoded form" in r.note
    m = _entry(c, "summer")
    assert (m.code, m.form_bytes) == ("in place", 0)
    assert c.run("summer", "sum", [i32(1000)]) == [i32(SUM_1000)]
    c.transport.close()


def test_damaged_form_is_refused_and_the_module_runs_in_place(dev: PosixDevice) -> None:
    c = _client(dev)
    c.push("summer", wasm("summer"))
    c.transport.close()
    dev.stop()
    flash = bytearray(dev.flash.read_bytes())
    at = flash.index(b"WMPF")  # the form's prefix (docs/predecoded.md)
    flash[at + 48 + 20] ^= 0x01  # one bit of the form itself: only its CRC can tell
    dev.flash.write_bytes(bytes(flash))
    dev.start()
    c = _client(dev)
    assert c.run("summer", "sum", [i32(1000)]) == [i32(SUM_1000)]
    refusal = "pre-decoded form refused (it does not match the module): runs in place"
    assert refusal in c.logs()  # RUN's load checked it
    c.start("summer")
    assert _entry(c, "summer").code == "in place (form refused)"
    c.transport.close()


def _tall_stacks(height: int) -> bytes:
    """A valid module whose one function holds `height` values while it opens as many
    blocks: translating it would walk the whole stack at every block (quadratic)."""
    body = "(i32.const 0)" * height + "(block)" * height + "(drop)" * height
    wat = f'(module (func (export "tall") {body}) (func (export "one") (result i32) i32.const 1))'
    return subprocess.run(["wat2wasm", "-", "--output=-"], input=wat.encode(),
                          capture_output=True, check=True).stdout


def test_a_module_too_costly_to_translate_installs_and_runs_in_place(dev: PosixDevice) -> None:
    c = _client(dev)
    r = c.push("tall", _tall_stacks(2000))
    assert "runs in place: its operand stacks are too tall to pre-decode at install" in r.note
    assert _entry(c, "tall").code == "in place"
    assert c.run("tall", "one", []) == [i32(1)]
    c.transport.close()
