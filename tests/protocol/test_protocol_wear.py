"""The push is open to anyone on the line, so it must not be a way to wear out the module
store's flash (docs/security.md, "Store wear"). Each PUSH_BEGIN erases the run it picks,
and an abandoned push leaves its header there, so a loop of PUSH_BEGINs with new hashes
erased the same first free sector once a request: 300 in 0.18 s on the posix device, a NOR
sector's 10,000 cycles in minutes on a board. Erases of pushes that install nothing new
(abandoned, refused at the commit, the installed image again) now come from a bucket
(wire.h WM_PUSH_WASTE_*); pushes of new content are not charged. On the posix device with
its erases counted per sector."""

from __future__ import annotations

import struct
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness.posix_device import PosixDevice
from tests.protocol.helpers import image, sha
from tests.protocol.test_protocol_constants import wire_constants
from wasmote.device import protocol as p
from wasmote.device.client import DeviceClient
from wasmote.device.errors import DeviceRefused
from wasmote.device.transport import SerialTransport

WIRE = wire_constants()
BUCKET = WIRE["WM_PUSH_WASTE_ERASES"]
PER_HOUR = WIRE["WM_PUSH_WASTE_PER_HOUR"]
SECTOR = 4096


@pytest.fixture
def device(tmp_path: Path, device_exe: Path) -> Iterator[PosixDevice]:
    with PosixDevice(tmp_path / "flash.bin", variant="asan", sector=SECTOR,
                     erase_counts=tmp_path / "erases.bin") as dev:
        yield dev


@pytest.fixture
def client(device: PosixDevice) -> Iterator[DeviceClient]:
    t = SerialTransport(device.url)
    try:
        yield DeviceClient(t, timeout=3.0)
    finally:
        t.close()


def store_erases(device: PosixDevice) -> list[int]:
    assert device.erase_counts is not None
    raw = device.erase_counts.read_bytes()
    return list(struct.unpack(f"<{len(raw) // 4}I", raw))[:device.store_size // SECTOR]


def allowed(t0: float) -> int:
    """The most erases the bucket can have paid for since t0: full at boot, its refill over
    the time the test took (an upper bound: a slow host only allows more), and the one push
    that may overrun it."""
    return BUCKET + int((time.monotonic() - t0) / 3600 * PER_HOUR) + 2


def test_abandoned_push_begins_cannot_wear_out_a_sector(device: PosixDevice,
                                                        client: DeviceClient) -> None:
    client.push("keep", image(3000, 1))
    before = store_erases(device)
    t0 = time.monotonic()
    refused = None
    for i in range(4 * BUCKET):
        body = p.push_begin_body("w", 60 * SECTOR, struct.pack("<I", i) + bytes(28), 0)
        try:
            client.request(p.Msg.PUSH_BEGIN, body)
        except DeviceRefused as e:
            refused = e
            break
    assert refused is not None, "every PUSH_BEGIN was taken"
    assert refused.status == p.Status.BUSY
    assert "erase budget spent" in refused.message and "try again in" in refused.message
    worn = [a - b for a, b in zip(store_erases(device), before, strict=True)]
    assert 0 < max(worn) <= sum(worn) <= allowed(t0)
    # what was installed is untouched; resuming needs no budget, a new push does
    assert {m.name: m.sha256 for m in client.modules()} == {"keep": sha(image(3000, 1))}
    with pytest.raises(DeviceRefused) as again:
        client.push("other", image(2000, 2))
    assert again.value.status == p.Status.BUSY


def test_the_same_image_again_and_refused_commits_are_charged(device: PosixDevice,
                                                              client: DeviceClient) -> None:
    data = image(3000, 3)
    t0 = time.monotonic()
    before = store_erases(device)
    with pytest.raises(DeviceRefused) as e:
        for _ in range(2 * BUCKET):
            client.push("same", data)
    assert e.value.status == p.Status.BUSY
    assert sum(store_erases(device)) - sum(before) <= allowed(t0) + 2  # + the first install

    # a fresh device: a complete push whose image fails its hash is refused and charged
    device.restart()
    client.transport.close()
    c = DeviceClient(SerialTransport(device.url), timeout=3.0)
    t0 = time.monotonic()
    before = store_erases(device)
    statuses = set()
    for i in range(2 * BUCKET):
        bad = image(3000, 10 + i)
        begin = p.push_begin_body("junk", len(bad), bytes(32), 0)
        try:
            c.request(p.Msg.PUSH_BEGIN, begin)
        except DeviceRefused as busy:
            statuses.add(busy.status)
            break
        c.request(p.Msg.PUSH_CHUNK, struct.pack("<I", 0) + bad[:1024])
        c.request(p.Msg.PUSH_CHUNK, struct.pack("<I", 1024) + bad[1024:2048])
        c.request(p.Msg.PUSH_CHUNK, struct.pack("<I", 2048) + bad[2048:])
        with pytest.raises(DeviceRefused) as refused:
            c.request(p.Msg.PUSH_COMMIT)
        statuses.add(refused.value.status)
    assert statuses == {p.Status.HASH_MISMATCH, p.Status.BUSY}
    assert sum(store_erases(device)) - sum(before) <= allowed(t0)
    c.transport.close()


def test_pushes_of_new_content_are_not_charged(device: PosixDevice,
                                               client: DeviceClient) -> None:
    """A developer's push loop: more erases than the bucket holds, all of new images."""
    before = sum(store_erases(device))
    n = 0
    while sum(store_erases(device)) - before <= 2 * BUCKET:
        client.push(f"m{n % 3}", image(3000, 1000 + n))
        n += 1
    assert {m.name for m in client.modules()} == {"m0", "m1", "m2"}
