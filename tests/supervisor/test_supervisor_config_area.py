"""The config area shared by the modules' key-value data and the firmware's own records
(keys, version pins, crash counts), on the posix device (issue 14 items 2 and 7): a quota is
a bound in flash bytes, a module at its quota crowds out none of the firmware's records,
install refuses what the area cannot keep, pins and keys fail closed, and every module's
data is keyed by the one name `ls` shows."""

from __future__ import annotations

import hashlib
import struct
import subprocess
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.harness.posix_device import PosixDevice
from tests.protocol.conftest import CORE
from tests.supervisor.modules import i32, ints, package, signed, wasm
from wasmote import config_area
from wasmote.device import protocol as p
from wasmote.device.client import DeviceClient
from wasmote.device.errors import DeviceRefused
from wasmote.device.transport import SerialTransport
from wasmote.package.keys import public_key_bytes

E_NOTFOUND, E_QUOTA = -4, -6
FILLER_RECORD = config_area.record_bytes(len("filler"), 4, 0)  # 4-byte key, empty value
# Filling the pool at once needs a write budget far above what ten years of 10,000-cycle
# flash allow (docs/reliability.md): these devices are specified to last 1000 hours, which
# admits 275 KB an hour; the budget itself is tested in test_supervisor_kv_wear.py.
LIFETIME_H = 1000
BURST = f"kv_write = {256 * 1024}\n"


@pytest.fixture
def device(tmp_path: Path, device_exe: Path) -> Iterator[PosixDevice]:
    dev = PosixDevice(tmp_path / "flash.bin", variant="asan", retained=tmp_path / "retained.bin",
                      kv_lifetime_h=LIFETIME_H)
    with dev:
        yield dev


@pytest.fixture
def client(device: PosixDevice) -> Iterator[DeviceClient]:
    c = connect(device)
    try:
        yield c
    finally:
        c.transport.close()


def pool(device: PosixDevice) -> int:
    return config_area.module_pool(device.kv, device.sector)


def connect(device: PosixDevice, key: Ed25519PrivateKey | None = None) -> DeviceClient:
    """A client; with `key`, management requests carry tokens signed by it."""
    return DeviceClient(SerialTransport(device.url), timeout=3.0, key=key)


def refused(c: DeviceClient, name: str, data: bytes) -> DeviceRefused:
    with pytest.raises(DeviceRefused) as e:
        c.push(name, data)
    return e.value


def blame_reset(device: PosixDevice, name: str) -> None:
    """Power the device off as if its watchdog fired inside `name`'s slice: the retained
    RAM (a file here) says which module was running, exactly as a real reset leaves it."""
    assert device.retained is not None
    device.kill()
    raw = device.retained.read_bytes()
    _, boots = struct.unpack_from("<II", raw)
    device.retained.write_bytes(struct.pack("<II", 0x52544D57, boots) +
                                name.encode().ljust(32, b"\0"))
    device.start()


def test_python_and_c_agree_on_the_config_area(tmp_path: Path) -> None:
    src = tmp_path / "layout.c"
    src.write_text(r"""
#include <stdio.h>
#include "supervisor/supervisor.h"
int main(void) {
    printf("%u %u %u %u %u %u %u %u %u %u %u\n", (unsigned)WM_KV_RECORD_MAX,
           (unsigned)WM_KV_RECORD_OVERHEAD, (unsigned)WM_KV_ALIGN, (unsigned)WM_KV_HEADER_BYTES,
           (unsigned)WM_SUP_KV_RESERVE, (unsigned)WM_SB_PINS_MAX,
           (unsigned)WM_SB_PIN_RECORD_MAX, (unsigned)WM_STORE_MAX_RECORDS,
           (unsigned)WM_KV_BANK_MAX, (unsigned)WM_SUP_KV_ENDURANCE,
           (unsigned)WM_SUP_KV_LIFETIME_H);
    return 0;
}
""")
    exe = tmp_path / "layout"
    include = CORE.parent.parent / "include"
    subprocess.run(["cc", "-std=c99", f"-I{CORE}", f"-I{CORE}/sandbox", f"-I{CORE}/store",
                    f"-I{CORE}/crypto", f"-I{CORE}/base", f"-I{include}", str(src), "-o",
                    str(exe)], check=True)
    got = [int(x) for x in subprocess.run([str(exe)], capture_output=True, text=True,
                                          check=True).stdout.split()]
    a = config_area
    assert got == [a.RECORD_MAX, a.RECORD_OVERHEAD, a.ALIGN, a.BANK_HEADER, a.RESERVE,
                   a.PINS_MAX, a.PIN_RECORD_MAX, a.STORE_MAX_RECORDS, a.BANK_MAX,
                   a.ENDURANCE, a.LIFETIME_H]


def test_a_module_at_its_quota_crowds_out_none_of_the_firmware_records(
        device: PosixDevice) -> None:
    """The issue's attack: one module fills the shared config area. Its quota is now charged
    in flash bytes and the firmware's records have their own reserve, so after the module
    filled the whole pool modules may use, provisioning, version pins, key rotation, the
    boot-loop guard and rm all still work."""
    c = connect(device)
    full = pool(device)
    c.push("filler", package("filler", limits=f"kv = {full}\n" + BURST))
    count, err = ints(c.run("filler", "fill", [i32(0)]))
    assert (count, err) == (full // FILLER_RECORD, E_QUOTA)  # flash bytes, not key bytes
    assert ints(c.run("filler", "count", [i32(count + 5)])) == [count]
    a, b = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    c.provision([public_key_bytes(a)])
    c.key = a  # management now needs tokens
    # the version pin of a signed push is written: an older version is a refused replay
    c.push("busy", signed("busy", a, "2.0.0", autostart=True))
    e = refused(c, "busy", signed("busy", a, "1.0.0"))
    assert e.status == p.Status.DENIED and "replay refused" in e.message
    # the boot-loop guard counts every reset blamed on a module, up to disabling it
    c.transport.close()
    for n in (1, 2, 3):
        blame_reset(device, "busy")
        c = connect(device, a)
        assert f"the device reset while this module ran ({n} of 3" in c.logs()
    assert "1 module(s) disabled" in c.info().notes
    assert next(m for m in c.modules() if m.name == "busy").state == "disabled"
    # key rotation writes the keys record
    c.provision([public_key_bytes(a), public_key_bytes(b)])
    assert c.info().keys == 2
    # rm frees the filler's data: a new module gets the whole pool again
    c.remove("filler")
    c.push("filler", signed("filler", b, limits=f"kv = {full}\n" + BURST))
    assert ints(c.run("filler", "count", [i32(count)])) == [0]
    assert ints(c.run("filler", "fill", [i32(0)])) == [count, E_QUOTA]
    c.transport.close()


def test_install_refuses_a_quota_the_config_area_cannot_keep(client: DeviceClient,
                                                             device: PosixDevice) -> None:
    c = client
    full = pool(device)
    e = refused(c, "filler", package("filler", limits=f"kv = {full + 1}\n" + BURST))
    assert e.status == p.Status.NO_SPACE
    assert e.message == (f"limits.kv {full + 1} does not fit: the config area keeps {full} "
                         "bytes for module data, 0 promised to others")
    c.push("filler", package("filler", limits=f"kv = {full}\n" + BURST))
    assert ints(c.run("filler", "put", [i32(7), i32(100)])) == [0]
    e = refused(c, "kvuser", package("kvuser"))  # its default 1024 no longer fits
    assert e.status == p.Status.NO_SPACE and f"{full} promised" in e.message
    assert [m.name for m in c.modules()] == ["filler"]  # nothing installed was lost
    # a replace is measured without the version it replaces
    c.push("filler", package("filler", "1.1.0", limits=f"kv = {full - 1024}\n" + BURST))
    assert ints(c.run("filler", "count", [i32(8)])) == [1]  # its data stayed
    c.push("kvuser", package("kvuser"))
    assert c.run("kvuser", "put", [i32(5)]) == [i32(0)]


def test_a_package_whose_pin_cannot_be_written_is_not_installed(client: DeviceClient) -> None:
    """Pins survive rm (a removed module must not come back older), so a device keeps pins
    for a bounded number of names, WM_SB_PINS_MAX; beyond that, a signed push is refused
    before it is committed, never installed without its pin."""
    c = client
    key = Ed25519PrivateKey.generate()
    c.provision([public_key_bytes(key)])
    c.key = key
    names = [f"{i:02d}".ljust(31, "x") for i in range(config_area.PINS_MAX + 1)]  # 64 B each
    for name in names[:-1]:
        c.push(name, signed("busy", key, "1.0.0", called=name))
        c.remove(name)
    e = refused(c, names[-1], signed("busy", key, "1.0.0", called=names[-1]))
    assert e.status == p.Status.NO_SPACE
    assert e.message == (f"no room for its version pin: the device keeps pins of at most "
                         f"{config_area.PINS_MAX} module names")
    assert [m.name for m in c.modules()] == []
    e = refused(c, names[0], signed("busy", key, "0.9.0", called=names[0]))
    assert "replay refused" in e.message  # the pins outlived rm
    c.push(names[0], signed("busy", key, "1.0.1", called=names[0]))  # raising one fits


def _config_area(device: PosixDevice) -> tuple[int, bytes]:
    flash = device.flash.read_bytes()
    return device.store_size, flash[device.store_size:]


def test_an_unreadable_keys_record_locks_the_device(device: PosixDevice) -> None:
    """A keys record that no longer reads back whole (one bit flipped in flash) used to boot
    the device unprovisioned: anyone could push unsigned code or provision their own key.
    Now it is locked: pushes refused, and every management request (PROVISION included)
    refused as if no key could sign it."""
    c = connect(device)
    key = Ed25519PrivateKey.generate()
    c.push("kvuser", package("kvuser"))
    c.provision([public_key_bytes(key)])
    c.push("kvuser", signed("kvuser", key, "2.0.0"))
    c.transport.close()
    device.kill()
    # one bit of a provisioned key flips in flash: the record no longer matches its CRC
    base, area = _config_area(device)
    at = area.find(b"#keyskeys")
    assert at > 0
    flash = bytearray(device.flash.read_bytes())
    flash[base + at + len("#keyskeys") + 7] ^= 0x10
    device.flash.write_bytes(bytes(flash))
    device.start()
    c = connect(device)
    info = c.info()
    assert "locked: the keys record cannot be read" in info.notes
    assert "unprovisioned" not in info.notes
    e = refused(c, "bare", wasm("busy"))  # it did not fall back to accepting anything
    assert (e.status, e.message) == (p.Status.DENIED, "the device is locked: its keys record "
                                     "in the config area cannot be read (erase the config "
                                     "area to recover)")
    for anyone in (None, key):  # no token opens it, not even one of the old key
        c.key = anyone
        with pytest.raises(DeviceRefused) as pe:
            c.provision([public_key_bytes(Ed25519PrivateKey.generate())])  # no takeover
        assert pe.value.status == p.Status.AUTH
        with pytest.raises(DeviceRefused) as re:
            c.run("kvuser", "get", [])
        assert re.value.status == p.Status.AUTH
    c.transport.close()


def _store_record(name: str, image: bytes, gen: int) -> bytes:
    """A committed module store record as firmware/src/core/store/store.h lays it out."""
    head = struct.pack("<IIII", 0x31524D57, gen, len(image), 0) + name.encode().ljust(32, b"\0")
    head += hashlib.sha256(image).digest()
    head += struct.pack("<I", zlib.crc32(head))
    head = head.ljust(96, b"\xff") + struct.pack("<I", 0x00C0FFEE)
    return head.ljust(128, b"\xff") + image


def test_kv_data_is_keyed_by_the_name_ls_shows(device: PosixDevice) -> None:
    """Issue 14 item 7: a package whose manifest claims another module's name cannot reach
    that module's data or pins: refused at the push, and one already in the store (from
    before the check) refused at every start and run; `rm` of it leaves the other's data."""
    # a store written before names were checked: "evil" holds a package named "kvuser"
    device.stop()
    flash = bytearray(b"\xff" * device.flash_size)
    record = _store_record("evil", package("kvuser"), 1)
    flash[:len(record)] = record
    device.flash.write_bytes(bytes(flash))
    device.start()
    c = connect(device)
    assert [m.name for m in c.modules()] == ["evil"]
    c.push("kvuser", package("kvuser"))
    assert c.run("kvuser", "put", [i32(5)]) == [i32(0)]
    for attempt in (lambda: c.run("evil", "get", []), lambda: c.start("evil")):
        with pytest.raises(DeviceRefused) as e:
            attempt()
        assert e.value.status == p.Status.BAD_NAME
        assert e.value.message == ("the package's manifest names 'kvuser' but it is installed "
                                   "as 'evil': a module runs only under its own name")
    e2 = refused(c, "evil2", package("kvuser"))
    assert e2.status == p.Status.BAD_NAME and "installed as 'evil2'" in e2.message
    c.remove("evil")
    assert c.run("kvuser", "get", []) == [i32(5)]  # its data was not evil's to delete
    assert sorted(m.name for m in c.modules()) == ["kvuser"]
    c.transport.close()
